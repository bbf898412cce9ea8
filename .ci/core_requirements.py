"""Print what the core-only test environment installs: pyproject's dependencies without
the GUI stack (PySide6, qasync), and the test tools tests/core uses. ``make test`` builds
``.venv-core`` from this list, so the Qt-free layer is proven to work without Qt."""

import tomllib
from pathlib import Path

GUI = ("pyside6", "qasync")
TEST_TOOLS = (
    "pytest",
    "pytest-asyncio",
    "pytest-timeout",
    "hypothesis",
    "pillow-heif",
    "google-auth",
    "pypdf",
    "mcp-server-time",  # real MCP servers for tests/core/tools
    "mcp-server-git",
)


def name(requirement: str) -> str:
    """The distribution name of a requirement string, lower-cased."""
    for stop in "<>=![; ":
        requirement = requirement.split(stop, 1)[0]
    return requirement.strip().lower()


project = tomllib.loads(Path(__file__).resolve().parents[1].joinpath("pyproject.toml").read_text())
project = project["project"]
wanted = [r for r in project["dependencies"] if not name(r).startswith(GUI)]
wanted += [r for r in project["optional-dependencies"]["dev"] if name(r) in TEST_TOOLS]
print("\n".join(wanted))

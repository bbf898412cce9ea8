"""``rill.core.attachments`` loads each name's module on first use (issue 14, item 7):
the composer's first paint names links, limits, errors and how a file goes, without
the documents, PDF, media and image modules or the message types."""

from __future__ import annotations

import importlib
import subprocess
import sys

import rill.core.attachments as face

# What the window's first paint names (gui/composer), and what must not load with it.
LIGHT_NAMES = (
    "AttachmentError AttachmentLimits FILES_API_PREFIX FileUri PICKER_FILTERS delivery "
    "human_bytes parse_file_uri provider_facts uri_delivery"
)
HEAVY = (
    "rill.core.attachments.documents",
    "rill.core.attachments.pdf",
    "rill.core.attachments.media",
    "rill.core.attachments.prepare",
    "rill.core.attachments.request_parts",
    "rill.core.types",
    "PIL",
)


def test_the_light_names_load_none_of_the_heavy_modules() -> None:
    code = (
        "import sys\n"
        f"from rill.core.attachments import {', '.join(LIGHT_NAMES.split())}\n"
        "limits = AttachmentLimits.from_env({})\n"
        "uri = parse_file_uri('https://example.com/a.pdf')\n"
        "assert uri is not None and uri.facts() == 'PDF link · example.com', uri.facts()\n"
        "assert uri_delivery(uri.uri, uri.known_mime_type, native=True, who='g').refusal is None\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-600:]
    assert done.stdout.strip() == "", f"loaded with the light names: {done.stdout.strip()}"


def test_every_name_is_its_home_modules() -> None:
    for name in face.__all__:
        value = getattr(face, name)
        home = importlib.import_module(f"rill.core.attachments.{face._HOMES.get(name, 'delivery')}")
        assert value is getattr(home, name), name
    # ``delivery`` is the function, not the module of that name.
    assert callable(face.delivery) and face.delivery.__module__ == "rill.core.attachments.delivery"


def test_a_link_becomes_the_same_part_as_before() -> None:
    uri = face.parse_file_uri("https://example.com/photo")
    assert uri is not None
    part = uri.to_part()
    assert (part.file_uri, part.mime_type) == ("https://example.com/photo", "image/jpeg")

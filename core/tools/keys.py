"""A server's secret values (an API token in an environment variable or a header),
kept where Rill keeps API keys: the keychain, else the private key file.

Each value is stored under ``mcp/<server>/env/<NAME>`` or ``mcp/<server>/header/<Name>``
through :mod:`rill.core.secrets`, so it is never in the settings file, a log or an
export. Every function here may block on the keychain: call them off the UI thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rill.core import secrets
from rill.core.tool_settings import ServerConfig


def secret_id(server: str, where: str, name: str) -> str:
    """The keychain user name of one secret; ``where`` is "env" or "header"."""
    return f"mcp/{server}/{where}/{name}"


def store_secrets(
    server: str, env: Mapping[str, str], headers: Mapping[str, str]
) -> secrets.StorageStatus | None:
    """Keep the secret values of ``server``; returns where they went (None: none given).

    Raises ValueError for an empty value and OSError when the fallback file cannot be
    written.
    """
    status = None
    for where, values in (("env", env), ("header", headers)):
        for name, value in values.items():
            status = secrets.set_api_key(secret_id(server, where, name), value)
    return status


def delete_secrets(server: str, config: ServerConfig) -> None:
    """Forget every secret value ``config`` names (the server is being removed)."""
    for name in config.secret_env:
        secrets.delete_api_key(secret_id(server, "env", name))
    for name in config.secret_headers:
        secrets.delete_api_key(secret_id(server, "header", name))


@dataclass(frozen=True)
class Resolved:
    """A server's secret values, read back for its start."""

    env: dict[str, str]
    headers: dict[str, str]
    missing: tuple[str, ...]  # named in the settings but not found (e.g. a new machine)


def resolve_secrets(server: str, config: ServerConfig) -> Resolved:
    """The secret values ``config`` names, and which of them are missing."""
    env: dict[str, str] = {}
    headers: dict[str, str] = {}
    missing: list[str] = []
    for where, names, into in (
        ("env", config.secret_env, env),
        ("header", config.secret_headers, headers),
    ):
        for name in names:
            value = secrets.get_api_key(secret_id(server, where, name), use_env=False)
            if value is None:
                missing.append(name)
            else:
                into[name] = value
    return Resolved(env, headers, tuple(missing))

"""A keychain for child launches, named by ``PYTHON_KEYRING_BACKEND``
(``tests.gui.support.held_keychain.Keyring``).

It holds a Gemini key, as a keychain does where another profile (or a person, by
hand) stored one, and writes each question asked of it to the file named by
``HELD_KEYCHAIN_LOG``: on a desktop whose keychain is locked, each question would
have been a password prompt.
"""

from __future__ import annotations

import os

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError, PasswordSetError

HELD_KEY = "held-key-not-a-real-one"
LOG_VARIABLE = "HELD_KEYCHAIN_LOG"


class Keyring(KeyringBackend):
    """Answers the Gemini key; refuses to store or delete (the test only reads)."""

    priority = 1  # type: ignore[assignment]  # > 0: rill.core.secrets counts it as usable

    def get_password(self, service: str, username: str) -> str | None:
        """The held key for ("rill", "gemini"), after noting the question."""
        log = os.environ.get(LOG_VARIABLE)
        if log:
            with open(log, "a", encoding="utf-8") as out:
                out.write(f"{service}/{username}\n")
        return HELD_KEY if (service, username) == ("rill", "gemini") else None

    def set_password(self, service: str, username: str, password: str) -> None:
        """Refused: nothing in these launches stores a key."""
        raise PasswordSetError("read-only test keychain")

    def delete_password(self, service: str, username: str) -> None:
        """Refused: nothing in these launches deletes a key."""
        raise PasswordDeleteError("read-only test keychain")

"""The window's size, position and splitter between runs, in QSettings: the one thing
kept there (everything else the user chooses goes through ``rill.core.settings``).
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

from rill.core.paths import config_dir

DEFAULT_SIZE = (1100, 720)
GEOMETRY_FILE = "window.ini"


def _store() -> QSettings:
    # Not created here: an unusable profile folder only costs the remembered size.
    path = config_dir(create=False) / GEOMETRY_FILE
    return QSettings(str(path), QSettings.Format.IniFormat)


def restore_geometry(window: QMainWindow, splitter: QSplitter) -> None:
    """Give ``window`` and ``splitter`` the size and shares they had last time (or the
    default size)."""
    store = _store()
    geometry = store.value("geometry")
    if not (isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)):
        window.resize(*DEFAULT_SIZE)
    shares = store.value("splitter")
    if isinstance(shares, QByteArray):
        splitter.restoreState(shares)


def save_geometry(window: QMainWindow, splitter: QSplitter | None) -> None:
    """Save the window's size and position, and ``splitter``'s shares unless None (a
    narrow window's are not the wide layout's); nothing when the profile is not
    writable."""
    try:
        config_dir()
    except OSError:
        return  # the notice about the profile folder has said why
    store = _store()
    store.setValue("geometry", window.saveGeometry())
    if splitter is not None:
        store.setValue("splitter", splitter.saveState())
    store.sync()

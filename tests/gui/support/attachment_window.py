"""The ``make_window`` fixture of the attachment tests, loaded through ``pytest_plugins``.

A real MainWindow built as ``main()`` builds it, shown, on the fake Gemini server.
"""

from __future__ import annotations

from tests.gui.support.window_factory import fake_gemini_windows

make_window = fake_gemini_windows(show=True)

"""Small pieces every gui package may use: the task launcher, Qt helpers, the theme,
Rill's icons, keyboard focus, and the thumbnail cache.
"""

from rill.gui.common import icons, thumbnail_cache
from rill.gui.common.focus import FocusReturn, keep_focus_on_click, order_tab_chain
from rill.gui.common.qt_helpers import plain_label, plain_tip, signals_blocked
from rill.gui.common.tasks import TaskLauncher, asyncgen_hooks
from rill.gui.common.theme import (
    FILE_BADGES,
    FILE_LINK_BADGE,
    MODES,
    ThemeManager,
    app_icon,
    make_application,
    markdown_theme,
    resource_path,
    tokens,
)
from rill.gui.common.thumbnail_cache import thumbnail_for

__all__ = [
    "FILE_BADGES",
    "FILE_LINK_BADGE",
    "MODES",
    "FocusReturn",
    "TaskLauncher",
    "ThemeManager",
    "app_icon",
    "asyncgen_hooks",
    "icons",
    "keep_focus_on_click",
    "make_application",
    "markdown_theme",
    "order_tab_chain",
    "plain_label",
    "plain_tip",
    "resource_path",
    "signals_blocked",
    "thumbnail_cache",
    "thumbnail_for",
    "tokens",
]

"""The responsive layout: chats | chat | settings in a wide window; below NARROW_PX the
chat alone, with settings or the chat list taking its place when asked for.

It builds the splitter and the chat column from the window's parts and decides what is
visible; the window keeps the menu's ticks and the chat bar in step through
``shown_changed``. The settings panel's place in the splitter (``panel_slot``) exists
from the start; the panel itself is made the first time it is to be shown (or when the
window finishes building after its first paint), so a window that opens with settings
closed does not build them before it appears.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QSplitter, QVBoxLayout, QWidget

from rill.gui.composer import Composer
from rill.gui.conversations import Sidebar

if TYPE_CHECKING:
    from rill.gui.settings import SettingsPanel

NARROW_PX = 700  # below this the chat list hides and settings take the whole width


def chat_column(cards: Sequence[QWidget], chat: QWidget, bars: Sequence[QWidget]) -> QWidget:
    """The middle column: ``cards`` above the ``chat`` (the first-run card sits above the
    chat, not over it), ``bars`` below it, the composer last of the bars."""
    column = QWidget()
    column.setObjectName("chatColumn")
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    for card in cards:
        layout.addLayout(_row(card, top=8))
    layout.addWidget(chat, 1)
    *rows, composer = bars
    for bar in rows:
        layout.addLayout(_row(bar, top=4))
    layout.addWidget(composer)
    return column


def add_bar(column: QWidget, bar: QWidget, composer: QWidget) -> None:
    """Put ``bar`` in ``column`` (a :func:`chat_column`) right above ``composer``: the
    bars the chat controller works (the edit banner, the tool consent bar) are made
    with it, after the window's first paint, and are hidden until used."""
    layout = column.layout()
    assert isinstance(layout, QVBoxLayout)
    layout.insertLayout(layout.indexOf(composer), _row(bar, top=4))


def _row(widget: QWidget, *, top: int) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(12, top, 12, 0)
    row.addWidget(widget)
    return row


class ResponsiveLayout(QObject):
    """Which of the chat list, the chat and the settings panel ``window`` shows.

    A wide window shows the list and the panel as the user last chose (View menu, chat
    bar); a narrow one shows the chat, or one panel in its place, and keeps the wide
    choice apart for when it is wide again. ``panel()`` gives the settings panel,
    making it on first call; it is called only when the panel is to be shown.

    Signals:
        shown_changed(bool chats, bool settings): the chat list / settings panel are
            (not) shown now.
        settings_chosen(bool visible): the user showed or hid settings in a wide window
            (a choice to remember).
    """

    shown_changed = Signal(bool, bool)
    settings_chosen = Signal(bool)

    def __init__(
        self,
        window: QMainWindow,
        sidebar: Sidebar,
        column: QWidget,
        panel: Callable[[], SettingsPanel],
        composer: Composer,
        *,
        settings_visible: bool,
    ) -> None:
        super().__init__(window)
        self._window, self._sidebar, self._column = window, sidebar, column
        self._panel, self._composer = panel, composer
        self._settings_wanted = settings_visible
        self._chats_wanted = True  # the wide layout's choice (View → Chat list)
        self.narrow = False
        self._settings_open = False  # a narrow window shows settings instead of chat
        self._list_open = False  # … or the chat list (View → Chat list, Ctrl+Shift+F)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        # The panel's place: its width is kept (and restored) before the panel exists.
        self.panel_slot = QWidget()
        self.panel_slot.setObjectName("settingsSlot")
        slot_layout = QVBoxLayout(self.panel_slot)
        slot_layout.setContentsMargins(0, 0, 0, 0)
        self.panel_slot.hide()
        for index, (part, stretch) in enumerate(((sidebar, 0), (column, 1), (self.panel_slot, 0))):
            self.splitter.addWidget(part)
            self.splitter.setStretchFactor(index, stretch)
        self.splitter.setSizes([220, 580, 300])
        sidebar.setMinimumWidth(160)
        column.setMinimumWidth(300)
        self.panel_slot.setMinimumWidth(260)

    def place_panel(self, panel: SettingsPanel) -> None:
        """Put the newly made settings ``panel`` in its place (the window calls this
        once, from the ``panel()`` it gave)."""
        slot_layout = self.panel_slot.layout()
        assert slot_layout is not None  # made in __init__
        slot_layout.addWidget(panel)

    def fit(self, width: int, *, force: bool = False) -> None:
        """Use the narrow or the wide layout for a window ``width`` px wide (laid out
        again only when that changes, or when ``force``)."""
        narrow = width < NARROW_PX
        if narrow != self.narrow:
            self.narrow = narrow
            self._settings_open = self._list_open = False
        elif not force:
            return
        self.apply()

    def toggle_chat_list(self) -> None:
        """Show or hide the chat list (narrow: in the chat's place, and back)."""
        if self.narrow:
            self._show_narrow_list(not self._list_open)
        else:
            self._chats_wanted = not self._sidebar.isVisibleTo(self._window)
            self.apply()
        if self.narrow and self._list_open:
            self._sidebar.list.setFocus(Qt.FocusReason.OtherFocusReason)
        elif not self._sidebar.isVisibleTo(self._window) or self.narrow:
            self._composer.focus_input()

    def toggle_settings(self) -> None:
        """Show or hide the settings panel; the choice is remembered (not when narrow)."""
        visible = not self.panel_slot.isVisible()
        if not self.narrow:
            self._settings_wanted = visible
            self.settings_chosen.emit(visible)
        self._settings_open = visible
        self._list_open = False
        self.apply()
        if visible:
            self._panel().model_combo.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            self._composer.focus_input()

    def reveal_chat_list(self) -> None:
        """Make sure the chat list is shown (for searching it)."""
        if self.narrow:
            self._show_narrow_list(True)
        elif not self._chats_wanted:
            self._chats_wanted = True
            self.apply()

    def back_to_chat(self, *_args: object) -> None:
        """A narrow window goes back to the chat once one was picked from the list."""
        if self.narrow and self._list_open:
            self._show_narrow_list(False)
            self._composer.focus_input()

    def apply(self) -> None:
        """Wide: chats | chat | settings. Narrow: the chat, or settings or the chat list
        in its place."""
        if self.narrow:
            settings_open = self._settings_open
            list_open = self._list_open and not settings_open
            self._sidebar.setVisible(list_open)
            self._show_panel(settings_open)
            self._column.setVisible(not (settings_open or list_open))
        else:
            self._sidebar.setVisible(self._chats_wanted)
            self._show_panel(self._settings_wanted)
            self._column.setVisible(True)
        # The menu's ticks and the bar's toggles say what is shown, nothing else.
        window = self._window
        shown = self.panel_slot.isVisibleTo(window)
        self.shown_changed.emit(self._sidebar.isVisibleTo(window), shown)

    def _show_panel(self, show: bool) -> None:
        if show:
            self._panel()  # made before it is shown, so it appears whole
        self.panel_slot.setVisible(show)

    def _show_narrow_list(self, show: bool) -> None:
        self._list_open = show
        if show:
            self._settings_open = False
        self.apply()

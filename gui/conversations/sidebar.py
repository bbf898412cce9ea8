"""The conversation sidebar: New chat, a search over every message, and the saved chats.

The list is a ``QListView`` over ``ConversationModel`` (ids, rows read lazily), pinned
chats first, then the most recently active. A row renames in place (F2 or a double
click); Del, or the context menu, deletes it (the window offers Undo); the menu also
pins and exports. Typing in the search box replaces the list by the hits after a
short pause; Esc brings the list back. The widget only emits requests: the window's
history controller does the work off the UI thread and reports back.

The window's first paint shows the list empty (the store opens after it), so the
rows' delegate and the search results' panel, with their modules, are made by
:meth:`Sidebar.finish_building` after that paint (issue 14, item 7), or as the first
rows arrive or the first search is typed, whichever comes first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from rill.gui.common import icons, plain_label, signals_blocked
from rill.gui.conversations.model import ConversationModel

if TYPE_CHECKING:
    from rill.core.store import SearchHit
    from rill.gui.conversations.search_panel import SearchPanel

SEARCH_DELAY_MS = 180  # typing pauses this long before a search runs


class ConversationView(QListView):
    """The list itself: Del asks to delete the current row.

    Signals:
        delete_pressed(): Del or Backspace on a row (not while renaming it).
    """

    delete_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Qt: Delete and Backspace ask to delete the selected chat."""
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and (
            self.state() != QAbstractItemView.State.EditingState
        ):
            self.delete_pressed.emit()
            return
        super().keyPressEvent(event)


class SearchEdit(QLineEdit):
    """The search box: Esc clears it, Down moves into the hits, Enter opens the first.

    Signals:
        escape_pressed(), down_pressed(), return_pressed()
    """

    escape_pressed = Signal()
    down_pressed = Signal()
    return_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Qt: Esc, Down and Enter are told as signals; other keys type."""
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
        elif key == Qt.Key.Key_Down:
            self.down_pressed.emit()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.return_pressed.emit()
        else:
            super().keyPressEvent(event)


class Sidebar(QWidget):
    """Saved conversations and the search over them.

    Signals:
        conversation_selected(int conversation_id): the user picked a conversation.
        new_chat_requested(): the New chat button.
        rename_requested(int conversation_id, str title): renamed inline.
        pin_requested(int conversation_id, bool pinned): Pin / Unpin in the menu.
        delete_requested(int conversation_id): Del or Delete in the menu.
        export_requested(int conversation_id): Export… in the menu.
        search_requested(str text): the search text after typing paused ("" cleared).
        hit_activated(object hit): a search hit (SearchHit) was chosen.
    """

    conversation_selected = Signal(int)
    new_chat_requested = Signal()
    rename_requested = Signal(int, str)
    pin_requested = Signal(int, bool)
    delete_requested = Signal(int)
    export_requested = Signal(int)
    search_requested = Signal(str)
    hit_activated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationList")
        self.new_button = QPushButton(icons.icon("new-chat"), "New chat", self)
        self.new_button.setObjectName("newChatButton")
        self.new_button.setToolTip("Start a new chat (Ctrl+N)")
        self.new_button.clicked.connect(self.new_chat_requested)
        self.search = SearchEdit(self)
        self.search.setObjectName("searchEdit")
        self.search.setPlaceholderText("Search all chats")
        self.search.setToolTip("Search every message of every chat (Ctrl+F)")
        self.search.setAccessibleName("Search all chats")
        # Rill's own magnifier and clear button, not the style's.
        position = QLineEdit.ActionPosition
        magnifier = self.search.addAction(icons.icon("search", "muted"), position.LeadingPosition)
        magnifier.setText("Search all chats")
        self.clear_action = self.search.addAction(
            icons.icon("close", "muted"), position.TrailingPosition
        )
        self.clear_action.setText("Clear the search")
        self.clear_action.setVisible(False)
        self.clear_action.triggered.connect(self.search.clear)
        self.model = ConversationModel(self)
        self.list = self._build_list()
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.list)
        self._results: SearchPanel | None = None  # made after the first paint
        self.hint = plain_label(QLabel(self))
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._on_search_timer_timeout)
        self._connect_search()
        self._layout()
        self._update_hint()

    def _build_list(self) -> ConversationView:
        view = ConversationView(self)
        view.setObjectName("chatList")
        view.setAccessibleName("Chats")
        view.setModel(self.model)
        # The rows' delegate comes before the first row does (finish_building).
        self.model.rowsAboutToBeInserted.connect(self.finish_building)
        self.model.modelAboutToBeReset.connect(self.finish_building)
        view.setUniformItemSizes(True)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        view.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
        )
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._on_list_context_menu_requested)
        view.delete_pressed.connect(self._on_list_delete_pressed)
        view.selectionModel().currentChanged.connect(self._on_list_current_changed)
        self.model.title_edited.connect(self.rename_requested)
        for changed in (self.model.rowsInserted, self.model.rowsRemoved, self.model.modelReset):
            changed.connect(self._update_hint)
        return view

    def finish_building(self) -> None:
        """Make what the window's first paint does not show: the rows' delegate and
        the search results' panel. Idempotent; the window calls it after that paint."""
        if self._results is not None:
            return
        from rill.gui.conversations.delegate import ConversationDelegate
        from rill.gui.conversations.search_panel import SearchPanel

        self.list.setItemDelegate(ConversationDelegate(self.list))
        self._results = SearchPanel(self)
        self._results.hit_activated.connect(self.hit_activated)
        self.stack.addWidget(self._results)

    @property
    def results(self) -> SearchPanel:
        """The search results' panel (made on first use, see :meth:`finish_building`)."""
        self.finish_building()
        assert self._results is not None
        return self._results

    def _connect_search(self) -> None:
        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.escape_pressed.connect(self.clear_search)
        self.search.down_pressed.connect(self._on_search_down_pressed)
        self.search.return_pressed.connect(self._on_search_return_pressed)

    def _layout(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search)
        layout.addWidget(self.hint)
        layout.addWidget(self.stack, 1)

    # ------------------------------------------------------------ the list

    def select(self, conversation_id: int) -> None:
        """Highlight a conversation (0: none) without emitting ``conversation_selected``."""
        row = self.model.row_of(conversation_id) if conversation_id else None
        selection = self.list.selectionModel()
        with signals_blocked(selection):
            if row is None:
                selection.clearSelection()
                self.list.setCurrentIndex(QModelIndex())
            else:
                self.list.setCurrentIndex(self.model.index(row))
                self.list.scrollTo(self.model.index(row))
        self.list.viewport().update()

    def selected_id(self) -> int | None:
        """The selected conversation (None when none is)."""
        index = self.list.currentIndex()
        return self.model.id_at(index.row()) if index.isValid() else None

    def conversation_ids(self) -> list[int]:
        """Every listed conversation id, in order."""
        return self.model.ids()

    def rename(self, conversation_id: int) -> None:
        """Open the inline title editor of a row (the menu's Rename, F2)."""
        row = self.model.row_of(conversation_id)
        if row is not None:
            self.clear_search()
            self.list.edit(self.model.index(row))

    def _on_list_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.conversation_selected.emit(self.model.id_at(current.row()))

    def _on_list_delete_pressed(self) -> None:
        cid = self.selected_id()
        if cid is not None:
            self.delete_requested.emit(cid)

    def _on_list_context_menu_requested(self, position: QPoint) -> None:
        index = self.list.indexAt(position)
        if not index.isValid():
            return
        cid = self.model.id_at(index.row())
        summary = self.model.summary(cid)
        pinned = summary is not None and summary.pinned
        menu = QMenu(self)
        menu.addAction("Rename", lambda: self.rename(cid))
        menu.addAction(
            "Unpin" if pinned else "Pin", lambda: self.pin_requested.emit(cid, not pinned)
        )
        menu.addAction("Export…", lambda: self.export_requested.emit(cid))
        menu.addSeparator()
        menu.addAction("Delete", lambda: self.delete_requested.emit(cid))
        menu.popup(self.list.viewport().mapToGlobal(position))

    # ------------------------------------------------------------ search

    @property
    def searching(self) -> bool:
        """Whether the search box holds a query."""
        return bool(self.search.text().strip())

    def focus_search(self) -> None:
        """Put the keyboard in the search box, its text selected."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def clear_search(self) -> None:
        """Empty the search box and go back to the list."""
        if self.search.text():
            self.search.clear()  # textChanged shows the list again
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_hits(self, text: str, hits: Sequence[SearchHit]) -> None:
        """Show the hits of a search for ``text`` (ignored when the box moved on)."""
        if text.strip() != self.search.text().strip():
            return
        self.results.set_hits(hits)
        self._update_hint()

    def _on_search_text_changed(self, text: str) -> None:
        self.clear_action.setVisible(bool(text))
        if text.strip():
            self.stack.setCurrentWidget(self.results)
            self._search_timer.start()
        else:
            self._search_timer.stop()
            if self._results is not None:
                self._results.set_hits([])
            self.stack.setCurrentWidget(self.list)
            self.search_requested.emit("")
        self._update_hint()

    def _on_search_timer_timeout(self) -> None:
        self.search_requested.emit(self.search.text().strip())

    def _on_search_down_pressed(self) -> None:
        if self.searching:
            self.results.setFocus(Qt.FocusReason.TabFocusReason)
        else:
            self.list.setFocus(Qt.FocusReason.TabFocusReason)

    def _on_search_return_pressed(self) -> None:
        if self._search_timer.isActive():  # Enter before the pause: search now
            self._search_timer.stop()
            self._on_search_timer_timeout()
        else:
            self.results.activate_current()

    def _update_hint(self) -> None:
        if self.searching:
            waiting = self._search_timer.isActive()
            text = "" if waiting or self.results.results.rowCount() else "No messages match."
        else:
            text = "" if self.model.rowCount() else "Your chats will be listed here."
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

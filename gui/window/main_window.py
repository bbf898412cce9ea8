"""The main window: chats | conversation over the composer | settings, and a status line.

It builds the widgets, wires them to the ChatController and keeps the layout usable
from 480 px wide up. Window geometry goes to QSettings (the one thing allowed there);
everything else the user chooses goes through ``rill.core.settings``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rill.core import settings as core_settings
from rill.core.paths import config_dir
from rill.core.providers import Provider
from rill.core.types import GenerationSettings, Message, Role
from rill.gui.chat import ChatController, ProviderFactory, image_refusal
from rill.gui.common import (
    MODES,
    FocusReturn,
    TaskLauncher,
    ThemeManager,
    keep_focus_on_click,
    order_tab_chain,
    plain_label,
)
from rill.gui.composer import AttachmentQueue, Composer, Drafts, EditBanner, WindowImageDrop
from rill.gui.conversations import ActionBar, ExportImport, History, Sidebar
from rill.gui.providers import WelcomeCard, install_providers
from rill.gui.settings import SettingsPanel
from rill.gui.transcript import ChatView
from rill.gui.window.chat_bar import ChatBar
from rill.gui.window.status_bar import StatusLine

NARROW_PX = 700  # below this the chat list hides and settings take the whole width
DEFAULT_SIZE = (1100, 720)
GEOMETRY_FILE = "window.ini"


class NoticeBar(QFrame):
    """A dismissible line above the conversation for failures outside any answer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.label = plain_label(QLabel(self))
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("×")
        close.setAccessibleName("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_text(self, text: str) -> None:
        """Show ``text`` (empty: hide the bar)."""
        self.label.setText(text)
        self.setVisible(bool(text))

    def withdraw(self, text: str) -> None:
        """Hide the bar if it still says ``text`` (a failure that no longer holds)."""
        if self.label.text() == text:
            self.show_text("")


class MainWindow(QMainWindow):
    """Rill's one window.

    Signals:
        closed(): the window was closed; the app shuts down its tasks and exits.
    """

    closed = Signal()

    def __init__(
        self,
        app_settings: core_settings.Settings,
        launcher: TaskLauncher,
        theme: ThemeManager,
        provider: Provider | None = None,
        provider_factory: ProviderFactory | None = None,
        defaults: GenerationSettings | None = None,
        *,
        key_lookup_pending: bool = False,
    ) -> None:
        """``key_lookup_pending``: a stored key is being looked up; the welcome card
        waits for :meth:`show_welcome` instead of flashing up before the key arrives."""
        super().__init__()
        self.setWindowTitle("Rill")
        self.app_settings = app_settings
        self.theme = theme
        self._settings_wanted = app_settings.ui.settings_panel_visible
        self._chats_wanted = True  # the wide layout's choice (View → Chat list)
        self._narrow = False
        self._narrow_settings_open = False  # narrow windows show settings instead of chat
        self._narrow_list_open = False  # … or the chat list (View → Chat list, Ctrl+F)
        self.view = ChatView()
        self.attachments = AttachmentQueue(launcher, parent=self)
        self.controller = ChatController(
            self.view,
            launcher,
            defaults or app_settings.generation_settings(),
            provider,
            provider_factory,
            parent=self,
        )
        self._build()
        self._build_menus()
        self._connect(launcher)
        self._build_history(launcher)
        self.panel.set_settings(self.controller.settings)
        self.view.set_show_thoughts(self.controller.settings.include_thoughts)
        if self.controller.has_provider or not key_lookup_pending:
            self._on_provider_changed(self.controller.has_provider)
        self._restore_geometry()
        # Providers: the panel's combo, Settings → Providers…, the offline default.
        self.providers = install_providers(self, launcher, owner=self)
        self._build_focus()

    # ------------------------------------------------------------ building

    def _build(self) -> None:
        self.conversations = Sidebar()
        self.panel = SettingsPanel()
        self.panel.setMinimumWidth(260)
        self.composer = Composer(queue=self.attachments)
        self.welcome = WelcomeCard()
        self.notice = NoticeBar()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.chat_column = QWidget()
        self.chat_column.setObjectName("chatColumn")
        column = QVBoxLayout(self.chat_column)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        notice_row = QHBoxLayout()
        notice_row.setContentsMargins(12, 8, 12, 0)
        notice_row.addWidget(self.notice)
        column.addLayout(notice_row)
        welcome_row = QHBoxLayout()  # the first-run card sits above the chat, not over it
        welcome_row.setContentsMargins(12, 8, 12, 0)
        welcome_row.addWidget(self.welcome)
        column.addLayout(welcome_row)
        column.addWidget(self.stack, 1)
        self.action_bar = ActionBar()
        self.edit_banner = EditBanner(self.controller, self.composer)
        for bar in (self.action_bar, self.edit_banner):
            row = QHBoxLayout()
            row.setContentsMargins(12, 4, 12, 0)
            row.addWidget(bar)
            column.addLayout(row)
        column.addWidget(self.composer)
        self._build_splitter()

    def _build_splitter(self) -> None:
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        self.splitter.addWidget(self.conversations)
        self.splitter.addWidget(self.chat_column)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([220, 580, 300])
        self.conversations.setMinimumWidth(160)
        self.chat_column.setMinimumWidth(300)
        central = QWidget()
        central.setObjectName("central")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        # Above the splitter, not in the chat column: in a narrow window the list or
        # the settings take the column's place, and the bar is the way back.
        self.chat_bar = ChatBar()
        self.chat_bar.chat_list_toggle_requested.connect(self.toggle_chat_list)
        self.chat_bar.settings_toggle_requested.connect(self.toggle_settings)
        layout.addWidget(self.chat_bar)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.status_line = StatusLine()
        self.setStatusBar(self.status_line)
        self.setMinimumSize(420, 360)

    def _build_focus(self) -> None:
        """The keyboard comes back to the input after an action (see rill.gui.common.focus),
        and Tab goes input → Send → the cards above it → chat → the bar's toggles →
        chat list → settings, then the composer's attachments and + (Shift+Tab from
        the input)."""
        self.focus_return = FocusReturn(self, self.focus_input)
        c = self.composer
        cards = (self.action_bar, self.edit_banner, self.notice, self.welcome)
        self.focus_return.watch(*cards, c.notice, c.long_card)
        for card in cards:
            keep_focus_on_click(*card.findChildren(QPushButton), *card.findChildren(QToolButton))
        self.view.action_done.connect(self.focus_return.give_back)
        chat = (self.view, self.chat_bar, self.conversations, self.panel)
        order_tab_chain(
            self,
            [c.edit, c.send_button, *cards, *chat, c.strip, c.long_card, c.notice, c.attach_button],
        )

    def _action(self, text: str, shortcut: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even with the menu bar hidden
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.new_chat_action = self._action("&New chat", "Ctrl+N", self.new_chat)
        self.quit_action = self._action("&Quit", "Ctrl+Q", self.close)
        self.attach_action = self._action("&Attach files…", "", self.composer.open_file_dialog)
        self.uri_action = self._action("Add file by &URI…", "", self.composer.open_uri_dialog)
        file_menu.addAction(self.new_chat_action)
        self._add_file_actions(file_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.attach_action)
        file_menu.addAction(self.uri_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        chat_menu = bar.addMenu("&Chat")
        # Esc anywhere in the window stops an answer, not only in the input.
        self.stop_action = self._action("&Stop answer", "Esc", self.controller.stop)
        self.stop_action.setEnabled(False)
        chat_menu.addAction(self.stop_action)
        self._add_history_actions(chat_menu)
        view_menu = bar.addMenu("&View")
        self.focus_action = self._action("&Focus input", "Ctrl+L", self.composer.focus_input)
        self.settings_action = self._action("&Settings", "Ctrl+,", self.toggle_settings)
        self.settings_action.setCheckable(True)
        self.chats_action = self._action("&Chat list", "", self._on_chats_action_triggered)
        self.chats_action.setCheckable(True)
        self.chats_action.setChecked(True)
        view_menu.addAction(self.focus_action)
        view_menu.addAction(self.settings_action)
        view_menu.addAction(self.chats_action)
        theme_menu = view_menu.addMenu("&Theme")
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for mode in MODES:
            action = QAction(mode.capitalize(), self.theme_group)
            action.setCheckable(True)
            action.setChecked(mode == self.theme.mode)
            action.triggered.connect(lambda _checked=False, m=mode: self.set_theme_mode(m))
            theme_menu.addAction(action)
            self.theme_actions[mode] = action

    def _connect(self, launcher: TaskLauncher) -> None:
        c, composer, panel = self.controller, self.composer, self.panel
        composer.send_requested.connect(c.send)
        composer.stop_requested.connect(c.stop)
        composer.attachment_failed.connect(self.status_line.set_state)
        c.turn_recorded.connect(self._on_controller_turn_recorded)
        c.send_refused.connect(composer.show_error)
        self.drafts = Drafts(composer, c)
        c.streaming_changed.connect(composer.set_streaming)
        c.streaming_changed.connect(self.stop_action.setEnabled)
        c.status_changed.connect(self.status_line.set_state)
        c.retry_scheduled.connect(self.status_line.show_countdown)
        c.answer_started.connect(self._on_controller_answer_started)
        c.answer_finished.connect(self._on_controller_answer_finished)
        c.current_chat_changed.connect(self._on_controller_current_chat_changed)
        c.settings_changed.connect(self._on_controller_settings_changed)
        c.models_loaded.connect(panel.set_models)
        c.models_failed.connect(panel.set_models_error)
        c.provider_changed.connect(self._on_provider_changed)
        c.key_saved.connect(self._on_controller_key_saved)
        c.key_save_failed.connect(self.welcome.show_message)
        self.conversations.new_chat_requested.connect(self.new_chat)
        panel.settings_edited.connect(self._on_panel_settings_edited)
        panel.use_as_default_requested.connect(self._on_panel_use_as_default)
        panel.reset_requested.connect(self._on_panel_reset_requested)
        panel.refresh_models_requested.connect(c.refresh_models)
        panel.close_requested.connect(self.toggle_settings)
        self.welcome.key_submitted.connect(c.save_api_key)
        self.view.retry_requested.connect(c.retry)
        self.view.link_hovered.connect(self.status_line.show_link)
        self.view.links.reported.connect(self.status_line.set_state)
        launcher.task_failed.connect(self._on_launcher_task_failed)
        self.theme.theme_changed.connect(self.view.set_dark)
        self.view.set_dark(self.theme.dark)
        # Images: after the panel's own handlers, so the model read here is current.
        c.upload_progressed.connect(composer.show_upload_progress)
        self.image_drop = WindowImageDrop(self, lambda: self.attachments.refusal)
        self.image_drop.payload_dropped.connect(self._on_image_drop_payload_dropped)
        for changed in (c.provider_changed, c.settings_changed, c.models_loaded):
            changed.connect(self._update_image_support)
        panel.settings_edited.connect(self._update_image_support)
        self._update_image_support()

    # ------------------------------------------------------------ actions

    def new_chat(self) -> None:
        """Start a new chat (or go back to the one begun and not yet sent)."""
        waiting, controller = self.drafts.waiting_new_chat(), self.controller
        if waiting is not None and not controller.is_untouched(controller.current_chat.id):
            controller.select_chat(waiting)  # the new chat already begun, words and all
        else:
            self.controller.new_chat()
        self.composer.focus_input()

    def _build_history(self, launcher: TaskLauncher) -> None:
        """The chat history (its store opens off the UI thread when start() runs) and
        File → Export/Import."""
        self.history = History(
            self.controller,
            self.view,
            self.conversations,
            self.action_bar,
            launcher,
            self.show_notice,
            self,
            reopen=self.app_settings.ui.open_conversation,
            typed=lambda: bool(self.composer.text),
        )
        self.history.worker.recovered.connect(self.notice.withdraw)
        self.exports = ExportImport(self.history, launcher, self, self)
        self.exports.finished.connect(self.status_line.set_state)
        sidebar = self.conversations
        for picked in (sidebar.conversation_selected, sidebar.hit_activated):
            picked.connect(self._on_sidebar_picked)
        sidebar.new_chat_requested.connect(self._on_sidebar_picked)

    def _add_file_actions(self, menu: QMenu) -> None:
        """File → Export conversation… and Import conversation…"""
        self.export_action = self._action("&Export conversation…", "Ctrl+Shift+E", self._on_export)
        self.import_action = self._action("&Import conversation…", "", self._on_import)
        menu.addSeparator()
        menu.addActions([self.export_action, self.import_action])

    def _add_history_actions(self, menu: QMenu) -> None:
        """Chat → Search all chats (Ctrl+F) and Undo delete (Ctrl+Z)."""
        self.search_action = self._action("&Search all chats", "Ctrl+F", self._on_search)
        # Ctrl+Z in a text field still undoes typing: text fields take it first.
        self.undo_action = self._action("&Undo delete", "Ctrl+Z", self.action_bar.trigger)
        menu.addActions([self.search_action, self.undo_action])

    def _on_export(self) -> None:
        self.exports.export_current()

    def _on_import(self) -> None:
        self.exports.import_file()

    def _on_search(self) -> None:
        """Ctrl+F: the sidebar's search box (the list is shown first if it was hidden)."""
        if self._narrow:
            self._show_narrow_list(True)
        elif not self._chats_wanted:
            self._chats_wanted = True
            self._apply_layout()
        self.conversations.focus_search()

    def toggle_chat_list(self) -> None:
        """Show or hide the chat list (narrow: in the chat's place, and back)."""
        if self._narrow:
            self._show_narrow_list(not self._narrow_list_open)
        else:
            self._chats_wanted = not self.conversations.isVisibleTo(self)
            self._apply_layout()
        if self._narrow and self._narrow_list_open:
            self.conversations.list.setFocus(Qt.FocusReason.OtherFocusReason)
        elif not self.conversations.isVisibleTo(self) or self._narrow:
            self.composer.focus_input()

    def toggle_settings(self) -> None:
        """Show or hide the settings panel; the choice is remembered (not when narrow)."""
        visible = not self.panel.isVisible()
        if not self._narrow:
            self._settings_wanted = visible
            self._save_ui(settings_panel_visible=visible)
        self._narrow_settings_open = visible
        self._narrow_list_open = False
        self._apply_layout()
        if visible:
            self.panel.model_combo.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            self.composer.focus_input()

    def set_theme_mode(self, mode: str) -> None:
        """Use theme ``mode`` and remember it."""
        self.theme.set_mode(mode)
        self.theme_actions[self.theme.mode].setChecked(True)
        self._save_ui(theme=self.theme.mode)

    def show_welcome(self) -> None:
        """No Gemini key: say the offline model answers (or ask for a key if none can)."""
        if self.controller.has_provider:
            self.welcome.show_offline()
        else:
            self.welcome.show_key_needed()
        self.focus_input()

    def show_notice(self, text: str) -> None:
        """Show ``text`` in the notice bar."""
        self.notice.show_text(text)

    def focus_input(self) -> None:
        """Give the keyboard to what the user will type into first."""
        if self.welcome.wants_focus:
            self.welcome.focus_input()
        else:
            self.composer.focus_input()

    # ------------------------------------------------------------ layout

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Qt: switch between the wide and the narrow layout."""
        super().resizeEvent(event)
        narrow = event.size().width() < NARROW_PX
        if narrow != self._narrow:
            self._narrow = narrow
            self._narrow_settings_open = False
            self._narrow_list_open = False
            self._apply_layout()

    def _apply_layout(self) -> None:
        """Wide: chats | chat | settings. Narrow: the chat, or settings or the chat list
        in its place."""
        if self._narrow:
            settings_open = self._narrow_settings_open
            list_open = self._narrow_list_open and not settings_open
            self.conversations.setVisible(list_open)
            self.panel.setVisible(settings_open)
            self.chat_column.setVisible(not (settings_open or list_open))
        else:
            self.conversations.setVisible(self._chats_wanted)
            self.panel.setVisible(self._settings_wanted)
            self.chat_column.setVisible(True)
        # The menu's ticks and the bar's toggles say what is shown, nothing else (a
        # narrow window keeps the wide choice apart, for when it is wide again).
        chats, settings = self.conversations.isVisibleTo(self), self.panel.isVisibleTo(self)
        self.chats_action.setChecked(chats)
        self.settings_action.setChecked(settings)
        self.chat_bar.show_state(chats, settings)

    def _on_chats_action_triggered(self) -> None:
        self.toggle_chat_list()

    def _show_narrow_list(self, show: bool) -> None:
        self._narrow_list_open = show
        if show:
            self._narrow_settings_open = False
        self._apply_layout()

    def _on_sidebar_picked(self, *_args: object) -> None:
        """A narrow window goes back to the chat once one was picked from the list."""
        if self._narrow and self._narrow_list_open:
            self._show_narrow_list(False)
            self.composer.focus_input()

    # ------------------------------------------------------------ handlers

    def _on_controller_turn_recorded(self, chat_id: int) -> None:
        if chat_id == self.controller.current_chat.id:
            self.composer.clear_sent()

    def _on_controller_answer_started(self, chat_id: int) -> None:
        # The last answer's numbers are not this one's (and it may wait for a retry).
        if chat_id == self.controller.current_chat.id:
            self.status_line.show_answer(None)

    def _on_controller_answer_finished(self, chat_id: int, message: Message) -> None:
        if chat_id == self.controller.current_chat.id:
            self.status_line.show_answer(message)

    def _on_controller_current_chat_changed(self, _chat_id: int) -> None:
        # The numbers on the right belong to the chat on screen, not to whichever
        # chat answered last: its last finished answer, or nothing.
        chat = self.controller.current_chat
        if chat.answer is not None:  # in flight: its numbers come when it ends
            self.status_line.show_answer(None)
            return
        answers = (m for m in reversed(chat.session.history) if m.role is Role.MODEL)
        self.status_line.show_answer(next(answers, None))

    def _on_controller_settings_changed(self, settings: GenerationSettings) -> None:
        self.panel.set_settings(settings)
        self.view.set_show_thoughts(settings.include_thoughts)

    def _on_panel_settings_edited(self, settings: GenerationSettings) -> None:
        self.controller.set_settings(settings)
        self.view.set_show_thoughts(settings.include_thoughts)

    def _on_panel_use_as_default(self, settings: GenerationSettings) -> None:
        self.controller.set_settings(settings)
        self.controller.set_defaults(settings)
        self.app_settings = self.app_settings.with_generation_defaults(settings)
        if self._save(self.app_settings):
            self.panel.show_saved("Saved: new chats start with these settings.")

    def _on_panel_reset_requested(self) -> None:
        defaults = self.controller.defaults
        self.controller.set_settings(defaults)
        self.panel.set_settings(defaults)
        self.view.set_show_thoughts(defaults.include_thoughts)

    def _on_provider_changed(self, configured: bool) -> None:
        # The composer stays: without any provider a send explains how to add one.
        if not configured:
            self.welcome.show_key_needed()
        self.focus_input()

    def _on_controller_key_saved(self, note: str) -> None:
        self.show_notice(note)
        self.welcome.key_accepted()
        self.status_line.set_state("API key saved.")

    def _update_image_support(self, *_args: object) -> None:
        """Grey out attaching when the provider or the chosen model cannot read images."""
        c = self.controller
        reason = image_refusal(c.provider, c.settings.model, c.models)
        self.composer.set_images_refused(reason)
        self.composer.set_target(c.provider)
        # Files still go (as text where the model reads no images); a URI goes only to
        # a provider that fetches it, and that one reads images.
        self.uri_action.setEnabled(reason is None)

    def _on_image_drop_payload_dropped(self, payload: object) -> None:
        if self.composer.isVisible():
            self.composer.add_payload(payload)
        else:
            self.show_notice("Images can be attached once an API key is set.")

    def _on_launcher_task_failed(self, _name: str, message: str) -> None:
        self.show_notice(message)

    # ------------------------------------------------------------ persistence

    def _save_ui(self, **changes: Any) -> None:
        ui = replace(self.app_settings.ui, **changes)
        self.app_settings = replace(self.app_settings, ui=ui)
        self._save(self.app_settings)

    def _save(self, settings: core_settings.Settings) -> bool:
        try:
            core_settings.save_settings(settings)
        except OSError as error:
            self.show_notice(f"Settings could not be saved: {error}")
            return False
        return True

    def replace_settings(self, settings: core_settings.Settings) -> bool:
        """Keep ``settings`` as the app's and save them; False (and a notice) on failure."""
        self.app_settings = settings
        return self._save(settings)

    def _geometry_store(self) -> QSettings:
        # Not created here: an unusable profile folder only costs the remembered size.
        path = config_dir(create=False) / GEOMETRY_FILE
        return QSettings(str(path), QSettings.Format.IniFormat)

    def _restore_geometry(self) -> None:
        store = self._geometry_store()
        geometry = store.value("geometry")
        if isinstance(geometry, QByteArray) and self.restoreGeometry(geometry):
            pass
        else:
            self.resize(*DEFAULT_SIZE)
        splitter = store.value("splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        self._narrow = self.width() < NARROW_PX
        self._apply_layout()

    def save_geometry(self) -> None:
        """Save the window's size and position (when the profile is writable)."""
        try:
            config_dir()
        except OSError:
            return  # the notice about the profile folder has said why
        store = self._geometry_store()
        store.setValue("geometry", self.saveGeometry())
        if not self._narrow:
            store.setValue("splitter", self.splitter.saveState())
        store.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Qt: save the geometry and the chat on screen, then close."""
        self.save_geometry()
        # The chat on screen opens again next time (see History.start).
        shown = self.history.persistence.current.conversation_id or 0
        if shown != self.app_settings.ui.open_conversation:
            self._save_ui(open_conversation=shown)
        self.attachments.shutdown()
        event.accept()
        self.closed.emit()

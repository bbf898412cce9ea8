"""The main window: chats | conversation over the composer | settings, and a status line.

It makes the parts (every other gui package's widgets and controllers, and its own:
notice bar, chat bar, status line, menus, responsive layout, geometry) and connects
them in ONE wiring table, :meth:`MainWindow._wiring`: the place to read how a signal
of one part reaches another. What a part does inside itself stays in its module.

What the first paint does not show is made after it (:meth:`MainWindow.finish_building`,
which the app calls once the window is on screen, before any input reaches it), or on
first use of its attribute: the chat half (the controller with what works on it: the
providers, the tool host and its consent bar, the edit banner, the drafts, the image
drop) when the app asks for it (``chat_after_paint``), the settings panel (closed by
default; made at once when the window opens with it shown), and the chat history with
export and import, whose store opens after the paint anyway. Their connections are the
table's other parts, :meth:`MainWindow._chat_wiring`, :meth:`MainWindow._panel_wiring`
and :meth:`MainWindow._history_wiring`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, SignalInstance
from PySide6.QtGui import QCloseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rill.core import settings as core_settings
from rill.core.types import GenerationSettings, Message, ModelInfo, Role
from rill.gui.common import (
    FocusReturn,
    TaskLauncher,
    ThemeManager,
    keep_focus_on_click,
    order_tab_chain,
)
from rill.gui.composer import AttachmentQueue, Composer
from rill.gui.conversations import ActionBar, Sidebar
from rill.gui.providers import WelcomeCard
from rill.gui.providers.names import provider_label, provider_names
from rill.gui.window.chat_bar import ChatBar
from rill.gui.window.context_meter import input_limit, last_prompt_tokens
from rill.gui.window.empty_state import EmptyState
from rill.gui.window.geometry import restore_geometry, save_geometry
from rill.gui.window.layout import ResponsiveLayout, add_bar, chat_column
from rill.gui.window.menus import WindowMenus
from rill.gui.window.notice_bar import NoticeBar
from rill.gui.window.status_bar import StatusLine
from rill.gui.window.view_on_demand import ViewOnDemand

if TYPE_CHECKING:
    from rill.core.providers import Provider
    from rill.core.tool_settings import ToolSettings
    from rill.gui.chat import ChatController
    from rill.gui.composer import Drafts, WindowImageDrop
    from rill.gui.conversations import ExportImport, History
    from rill.gui.providers.wiring import ProvidersUi
    from rill.gui.settings import SettingsPanel
    from rill.gui.tools import ToolsDialog
    from rill.gui.transcript import ChatView

Wire = tuple[SignalInstance, Callable[..., object]]


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
        defaults: GenerationSettings | None = None,
        *,
        key_lookup_pending: bool = False,
        chat_after_paint: bool = False,
    ) -> None:
        """``key_lookup_pending``: a stored key is being looked up; the welcome card
        waits for :meth:`show_welcome` instead of flashing up before the key arrives.
        ``chat_after_paint``: the chat half (see :attr:`controller`) is made by
        :meth:`finish_building`, after the first paint, not here."""
        super().__init__()
        self.setWindowTitle("Rill")
        self.app_settings = app_settings
        self.theme = theme
        self._view: ChatView | None = None
        self._chat: ChatController | None = None
        self._chat_args = defaults or app_settings.generation_settings(), provider
        self._key_lookup_pending = key_lookup_pending
        self.attachments = AttachmentQueue(launcher, parent=self)
        self._launcher = launcher
        self._panel: SettingsPanel | None = None
        self._history: tuple[History, ExportImport] | None = None
        self._build_parts()
        for signal, slot in self._wiring():
            signal.connect(slot)
        self._show_chat_target()
        restore_geometry(self, self.layout_parts.splitter)
        self.layout_parts.fit(self.width(), force=True)
        if not chat_after_paint:
            _ = self.controller

    # ------------------------------------------------------------ the parts

    def _build_parts(self) -> None:
        """The parts the first paint shows (the chat half comes with :attr:`controller`)."""
        self.conversations = Sidebar()
        self.composer = Composer(queue=self.attachments)
        self.welcome = WelcomeCard()
        self.notice = NoticeBar()
        self.action_bar = ActionBar()
        # The chat pane, or the empty state in its place while the chat has no message.
        self.empty_state = EmptyState()
        self.stack = QStackedWidget()  # the chat pane joins it when made (self.view)
        self.stack.addWidget(self.empty_state)
        self.tools_dialog: ToolsDialog | None = None
        bars = [self.action_bar, self.composer]  # the chat half adds its two bars
        self.chat_column = chat_column([self.notice, self.welcome], self.stack, bars)
        ui = self.app_settings.ui
        self.layout_parts = ResponsiveLayout(
            self, self.conversations, self.chat_column, lambda: self.panel, self.composer,
            settings_visible=ui.settings_panel_visible,
        )  # fmt: skip
        # Above the splitter, not in the chat column: in a narrow window the list or
        # the settings take the column's place, and the bar is the way back.
        self.chat_bar = ChatBar()
        central = QWidget()
        central.setObjectName("central")
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.chat_bar)
        column.addWidget(self.layout_parts.splitter, 1)
        self.setCentralWidget(central)
        self.status_line = StatusLine()
        self.setStatusBar(self.status_line)
        self.setMinimumSize(420, 360)
        self.menus = WindowMenus(self, self.theme.mode)
        self.chat_bar.set_more_menu(self.menus.more_menu)

    @property
    def controller(self) -> ChatController:
        """The chat controller, made with the chat half of the window on first use:
        at once, or after the first paint when the window was made ``chat_after_paint``
        (see :meth:`finish_building`)."""
        if self._chat is None:
            self._build_chat()
        assert self._chat is not None
        return self._chat

    @property
    def providers(self) -> ProvidersUi:
        """The window's provider pieces (the manager, Providers…), made with the chat
        half (see :attr:`controller`)."""
        _ = self.controller
        return self._providers

    def _build_chat(self) -> None:
        """The controller and what works on it; their wiring; what they show."""
        from rill.gui.chat import ChatController, ConsentBar, ToolHost
        from rill.gui.composer import Drafts, EditBanner, WindowImageDrop
        from rill.gui.providers import install_providers

        defaults, provider = self._chat_args
        view = ViewOnDemand(lambda: self.view)
        c = self._chat = ChatController(view, self._launcher, defaults, provider, parent=self)
        self.edit_banner = EditBanner(c, self.composer)
        # Tools from MCP servers: their one owner (servers start on first use) and the
        # bar that asks before a call runs.
        self.consent_bar = ConsentBar()
        self.tool_host = ToolHost(self.app_settings.tools, self)
        self.tool_host.consent = self.consent_bar.ask
        self.tool_host.retry = self.consent_bar.ask_retry
        c.tool_host = self.tool_host
        c.add_shutdown_hook(self.tool_host.shutdown)
        self.consent_bar.show_chat(c.current_chat.id)
        add_bar(self.chat_column, self.edit_banner, self.composer)
        add_bar(self.chat_column, self.consent_bar, self.composer)
        # Providers: the panel's combo, Settings → Providers…, the welcome card's key.
        self._providers = install_providers(self, self._launcher, owner=self)
        self.menus.add_providers_action(self._providers.action)
        self.drafts: Drafts = Drafts(self.composer, c)
        self.image_drop: WindowImageDrop = WindowImageDrop(self, lambda: self.attachments.refusal)
        for signal, slot in self._chat_wiring(self._launcher):
            signal.connect(slot)
        self._update_image_support()
        if c.has_provider or not self._key_lookup_pending:
            self._on_provider_changed(c.has_provider)
        self._show_chat_target()
        self._update_empty_state()
        self._build_focus()

    def _wiring(self) -> list[Wire]:
        """The connections between the parts the first paint shows, in the order they
        run (a signal's slots run in the order listed)."""
        composer, menus, layout = self.composer, self.menus, self.layout_parts
        sidebar, bar = self.conversations, self.chat_bar
        return [
            (self.empty_state.suggestion_chosen, composer.suggest),
            # History, export and import (their own signals: _history_wiring).
            (sidebar.new_chat_requested, self.new_chat),
            (sidebar.conversation_selected, layout.back_to_chat),
            (sidebar.hit_activated, layout.back_to_chat),
            (sidebar.new_chat_requested, layout.back_to_chat),
            (bar.new_chat_requested, self.new_chat),
            (bar.new_chat_requested, layout.back_to_chat),
            # Layout: the chat bar and the menu ask, the layout says what is shown.
            (self.chat_bar.chat_list_toggle_requested, layout.toggle_chat_list),
            (self.chat_bar.settings_toggle_requested, layout.toggle_settings),
            (layout.shown_changed, menus.show_panels),
            (layout.shown_changed, self.chat_bar.show_state),
            (layout.settings_chosen, self._on_layout_settings_chosen),
            # The menus.
            (menus.new_chat_action.triggered, self.new_chat),
            (menus.export_action.triggered, self._on_menus_export_triggered),
            (menus.import_action.triggered, self._on_menus_import_triggered),
            (menus.attach_action.triggered, composer.open_file_dialog),
            (menus.uri_action.triggered, composer.open_uri_dialog),
            (menus.quit_action.triggered, self.close),
            (menus.search_action.triggered, self._on_search),
            (menus.find_action.triggered, self._on_menus_find_triggered),
            (menus.undo_action.triggered, self.action_bar.trigger),
            (menus.focus_action.triggered, composer.focus_input),
            (menus.settings_action.triggered, layout.toggle_settings),
            (menus.chats_action.triggered, layout.toggle_chat_list),
            (menus.theme_chosen, self.set_theme_mode),
            (menus.tools_action.triggered, self.open_tools_dialog),
        ]

    def _chat_wiring(self, launcher: TaskLauncher) -> list[Wire]:
        """The chat half's connections (made with it, see :attr:`controller`), in the
        order they run."""
        c, m, composer = self.controller, self.providers.manager, self.composer
        menus, status, bar = self.menus, self.status_line, self.chat_bar
        return [
            # Sending, stopping, streaming.
            (composer.send_requested, self._on_composer_send_requested),  # first
            (composer.send_requested, c.send),
            (composer.stop_requested, c.stop),
            (composer.attachment_failed, status.set_state),
            (c.turn_recorded, self._on_controller_turn_recorded),
            (c.send_refused, composer.show_error),
            (c.streaming_changed, composer.set_streaming),
            (c.streaming_changed, menus.stop_action.setEnabled),
            (c.status_changed, status.set_state),
            (c.status_changed, m.on_chat_status),  # after: it may say more
            (m.status_changed, status.set_state),
            (c.retry_scheduled, status.show_countdown),
            (c.answer_started, self._on_controller_answer_started),
            (c.answer_finished, self._on_controller_answer_finished),
            (c.current_chat_changed, self._on_controller_current_chat_changed),
            (c.upload_progressed, composer.show_upload_progress),
            (launcher.task_failed, self._on_launcher_task_failed),
            # Tools from servers: the consent bar follows the chat on screen.
            (c.current_chat_changed, self.consent_bar.show_chat),
            (self.consent_bar.opened, self._on_consent_bar_opened),
            (self.consent_bar.closed, self._on_consent_bar_closed),
            (self.tool_host.settings_changed, self._on_tool_host_settings_changed),
            (self.tool_host.servers_failed, self.show_notice),
            # Settings: the panel's handlers first, so image support reads them current
            # (the panel's own signals: _panel_wiring).
            (c.settings_changed, self._on_controller_settings_changed),
            (m.provider_changed, self._on_provider_changed),
            (m.provider_changed, self._update_image_support),
            (c.settings_changed, self._update_image_support),
            (m.models_loaded, self._update_image_support),
            (self.image_drop.payload_dropped, self._on_image_drop_payload_dropped),
            # The chat bar's picker and meter, and the empty state: what answers.
            (bar.picker.model_chosen, self._on_picker_model_chosen),
            (bar.picker.provider_chosen, m.switch_to),  # as the panel's provider combo
            (m.current_changed, self._show_chat_target),
            (m.table_changed, self._show_chat_target),
            (m.provider_changed, self._show_chat_target),
            (m.models_loaded, self._show_chat_target),
            (c.settings_changed, self._show_chat_target),
            (c.answer_finished, self._show_chat_target),
            (c.current_chat_changed, self._show_chat_target),
            (c.current_chat_changed, self._update_empty_state),
            (c.turn_recorded, self._update_empty_state),
            (c.streaming_changed, self._update_empty_state),
            (menus.stop_action.triggered, c.stop),
        ]

    def _panel_wiring(self, panel: SettingsPanel) -> list[Wire]:
        """The settings panel's connections, made with the panel (after the first
        paint, or when it is first shown); in the order they run."""
        return [
            (panel.settings_edited, self._on_panel_settings_edited),
            (panel.use_as_default_requested, self._on_panel_use_as_default),
            (panel.reset_requested, self._on_panel_reset_requested),
            (panel.close_requested, self.layout_parts.toggle_settings),
            (panel.settings_edited, self._update_image_support),
            (panel.advanced_toggled, self._on_panel_advanced_toggled),
            (panel.settings_edited, self._show_chat_target),
        ]

    def _view_wiring(self, view: ChatView) -> list[Wire]:
        """The chat pane's connections, made with the pane."""
        return [
            (view.retry_requested, self.controller.retry),
            (view.link_hovered, self.status_line.show_link),
            (view.links.reported, self.status_line.set_state),
            (self.theme.theme_changed, view.set_dark),
            (view.action_done, self.focus_input),  # the keyboard back to the input
        ]

    def _history_wiring(self, history: History, exports: ExportImport) -> list[Wire]:
        """The chat history's and export's connections, made with them."""
        return [
            (history.worker.recovered, self.notice.withdraw),
            (self.tool_host.grants_changed, history.persistence.save_grants),
            (exports.finished, self.status_line.set_state),
        ]

    @property
    def view(self) -> ChatView:
        """The chat pane, made on first use: when a chat first has something to show,
        or when the window finishes building after its first paint (the empty state
        stands in for it until then)."""
        if self._view is None:
            self._view = self._build_view()
        return self._view

    def _build_view(self) -> ChatView:
        from rill.gui.transcript import ChatView  # with the pane: not before the paint

        view = ChatView()
        view.set_show_thoughts(self.controller.settings.include_thoughts)
        view.set_dark(self.theme.dark)
        self.stack.insertWidget(0, view)
        for signal, slot in self._view_wiring(view):
            signal.connect(slot)
        return view

    @property
    def history(self) -> History:
        """The chat history (its store opens off the UI thread when ``start()`` runs),
        made on first use (see :meth:`finish_building`)."""
        return self._history_parts()[0]

    @property
    def exports(self) -> ExportImport:
        """Export and import of conversations, made with :attr:`history`."""
        return self._history_parts()[1]

    def _history_parts(self) -> tuple[History, ExportImport]:
        if self._history is None:
            from rill.gui.conversations import ExportImport, History  # not before the paint

            history = History(
                self.controller, self.view, self.conversations, self.action_bar,
                self._launcher, self.show_notice, self,
                reopen=self.app_settings.ui.open_conversation,
                typed=lambda: bool(self.composer.text),
            )  # fmt: skip
            exports = ExportImport(history, self._launcher, self, self)
            for signal, slot in self._history_wiring(history, exports):
                signal.connect(slot)
            self._history = history, exports
        return self._history

    @property
    def panel(self) -> SettingsPanel:
        """The settings panel, made on first use (see :meth:`finish_building`)."""
        if self._panel is None:
            self._panel = self._build_panel()
        return self._panel

    def _build_panel(self) -> SettingsPanel:
        from rill.gui.settings import SettingsPanel  # with the panel: not before the paint

        panel = SettingsPanel()
        self.layout_parts.place_panel(panel)
        for signal, slot in self._panel_wiring(panel):
            signal.connect(slot)
        panel.set_settings(self.controller.settings)
        panel.set_advanced_open(self.app_settings.ui.settings_advanced_open)
        self.providers.attach_panel(panel)
        self._order_tabs(panel)
        return panel

    def finish_building(self) -> None:
        """Make what the first paint did not need: the chat half (the controller and
        what works on it), the chat history (before any turn can be sent) and the
        settings panel. The app calls this once the window is on screen, before any
        input reaches it, and :func:`rill.gui.app.connect_provider` before the chats
        get a provider. Idempotent."""
        _ = self.controller
        self._history_parts()
        _ = self.panel  # … which puts the Tab order in place (see _build_focus)

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
        # The Tab order is set with the settings panel (finish_building, before any
        # key reaches the window), not here: walking the focus chain meets Qt's own
        # widgets (viewports, scroll bars), and PySide resolves ~50 lazy Qt types the
        # first time it wraps one, 12 ms before the first paint.

    def _order_tabs(self, panel: QWidget) -> None:
        c = self.composer
        cards = (self.action_bar, self.edit_banner, self.notice, self.welcome)
        chat = (self.stack, self.chat_bar, self.conversations, panel)
        order_tab_chain(
            self,
            [
                c.edit,
                c.send_button,
                self.consent_bar,
                *cards,
                *chat,
                c.strip,
                c.long_card,
                c.notice,
                c.attach_button,
            ],
        )

    # ------------------------------------------------------------ actions

    def new_chat(self) -> None:
        """Start a new chat (or go back to the one begun and not yet sent)."""
        self._history_parts()  # a chat made now is saved like any other
        waiting, controller = self.drafts.waiting_new_chat(), self.controller
        if waiting is not None and not controller.is_untouched(controller.current_chat.id):
            controller.select_chat(waiting)  # the new chat already begun, words and all
        else:
            self.controller.new_chat()
        self.composer.focus_input()

    def toggle_chat_list(self) -> None:
        """Show or hide the chat list (narrow: in the chat's place, and back)."""
        self.layout_parts.toggle_chat_list()

    def toggle_settings(self) -> None:
        """Show or hide the settings panel; the choice is remembered (not when narrow)."""
        self.layout_parts.toggle_settings()

    def set_theme_mode(self, mode: str) -> None:
        """Use theme ``mode`` and remember it."""
        self.theme.set_mode(mode)
        self.menus.show_theme(self.theme.mode)
        self._save_ui(theme=self.theme.mode)

    def open_tools_dialog(self) -> None:
        """Settings → Tools…: the MCP servers (one non-modal dialog, made on first use)."""
        if self.tools_dialog is None:
            from rill.gui.tools import ToolsDialog  # not needed before the first paint

            self.tools_dialog = ToolsDialog(
                self.tool_host, self._launcher, lambda: self.controller.current_chat, self
            )
            self.controller.current_chat_changed.connect(self.tools_dialog.show_chat)
        self.tools_dialog.show()
        self.tools_dialog.raise_()
        self.tools_dialog.activateWindow()

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

    def _on_menus_export_triggered(self) -> None:
        self.exports.export_current()

    def _on_menus_import_triggered(self) -> None:
        self.exports.import_file()

    def _on_menus_find_triggered(self) -> None:
        self.view.open_find()

    def _on_search(self) -> None:
        """Ctrl+Shift+F: the sidebar's search box (the list is shown first if it was hidden)."""
        self.layout_parts.reveal_chat_list()
        self.conversations.focus_search()

    # ------------------------------------------------------------ handlers

    def _on_composer_send_requested(self, *_args: object) -> None:
        # A turn sent before the window finished building (a script, a very quick
        # user) is saved all the same: the history exists before the controller sends.
        self._history_parts()

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
        if self._panel is not None:  # a panel made later reads them then
            self._panel.set_settings(settings)
        if self._view is not None:  # … and so does a chat pane
            self._view.set_show_thoughts(settings.include_thoughts)

    def _on_picker_model_chosen(self, model: str) -> None:
        self.panel.choose_model(model)  # as if typed in the panel

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

    def _update_image_support(self, *_args: object) -> None:
        """Grey out attaching when the provider or the chosen model cannot read images."""
        from rill.gui.chat import image_refusal  # with the chat half

        c, m = self.controller, self.providers.manager
        reason = image_refusal(c.provider, c.settings.model, m.models)
        self.composer.set_images_refused(reason)
        self.composer.set_target(c.provider)
        # Files still go (as text where the model reads no images); a URI goes only to
        # a provider that fetches it, and that one reads images.
        self.menus.uri_action.setEnabled(reason is None)

    def _on_image_drop_payload_dropped(self, payload: object) -> None:
        if self.composer.isVisible():
            self.composer.add_payload(payload)
        else:
            self.show_notice("Images can be attached once an API key is set.")

    def _on_launcher_task_failed(self, _name: str, message: str) -> None:
        self.show_notice(message)

    def _on_consent_bar_opened(self) -> None:
        self.status_line.set_state("The answer waits for your decision on a tool call.")

    def _on_consent_bar_closed(self, had_keyboard: bool) -> None:
        if had_keyboard:
            self.composer.focus_input()

    def _on_tool_host_settings_changed(self, tools: ToolSettings) -> None:
        self.replace_settings(replace(self.app_settings, tools=tools))

    def _on_layout_settings_chosen(self, visible: bool) -> None:
        self._save_ui(settings_panel_visible=visible)

    def _on_panel_advanced_toggled(self, is_open: bool) -> None:
        self._save_ui(settings_advanced_open=is_open)

    def _show_chat_target(self, *_args: object) -> None:
        """The chat bar and the empty state say what answers the chat on screen: the
        provider and model, and how full the context is."""
        settings = self.app_settings
        if self._chat is None:  # the first paint: the default provider, not yet built
            name, model = settings.default_provider, self._chat_args[0].model
            models: list[ModelInfo] = []
            history: list[Message] = []
            offline = available = False
        else:
            c, providers = self._chat, self.providers
            name, model, models = providers.current_name, c.settings.model, providers.manager.models
            history = c.current_chat.session.history
            offline, available = providers.answering_offline, c.has_provider
        label = provider_label(name, settings)
        self.chat_bar.picker.show_choice(name, label, model)
        self.chat_bar.picker.set_models(models)
        self.chat_bar.picker.set_providers(
            [(n, provider_label(n, settings)) for n in provider_names(settings)]
        )
        self.chat_bar.meter.show_usage(last_prompt_tokens(history), input_limit(models, model))
        self.empty_state.show_target(label, model, offline=offline, available=available)

    def _update_empty_state(self, *_args: object) -> None:
        """The empty state stands in for the chat pane while the chat has no message."""
        c = self.controller
        empty = not c.current_chat.session.history and not c.is_busy
        self.stack.setCurrentWidget(self.empty_state if empty else self.view)

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

    def save_geometry(self) -> None:
        """Save the window's size and position (when the profile is writable)."""
        layout = self.layout_parts
        save_geometry(self, None if layout.narrow else layout.splitter)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Qt: switch between the wide and the narrow layout."""
        super().resizeEvent(event)
        self.layout_parts.fit(event.size().width())

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

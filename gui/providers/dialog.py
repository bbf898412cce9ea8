"""The Providers screen: the provider table, one entry's form, Test connection, network.

A non-modal dialog (``show()``, never ``exec()``): the chat stays usable while it is
open. It only shows and asks; the ProviderManager stores entries (settings file),
keys (keychain or the warned file) and runs the connection test off the UI thread.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rill.core import secrets
from rill.core.providers import registry
from rill.core.setting_ranges import READ_TIMEOUT
from rill.core.settings import ProviderConfig, Settings
from rill.gui.common import plain_label, signals_blocked
from rill.gui.providers.manager import IN_FILE, NO_KEY, ProviderManager
from rill.gui.providers.model_files import ModelFilesEditor
from rill.gui.providers.names import LOCAL, provider_names

KIND_LABELS = {
    "gemini": "Google Gemini",
    "openai": "OpenAI-compatible",
    "local": "Offline model (built in)",
    "vertex": "Gemini on Vertex AI",
}
COLUMNS = ("Name", "Kind", "Base URL", "Default model", "Key")
OPENAI_PRESETS = [p for p in registry.PRESETS if p.kind == "openai"]


def key_placeholder(status: str) -> str:
    """The key field's hint for a key status (:func:`manager.key_status`): the
    table's words, so the two never disagree on where the key is."""
    if status == NO_KEY:
        return "Not stored"
    if status == "…":
        return "Looking for a stored key…"
    if status.startswith("from "):
        return f"From {status[5:]}, which wins over a key saved here"
    return f"{status[:1].upper()}{status[1:]}: type a key to replace it"


class ProvidersDialog(QDialog):
    """Lists providers and edits one at a time; all work goes through ``manager``."""

    def __init__(self, manager: ProviderManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("providersDialog")
        self.setWindowTitle("Providers — Rill")
        self.setModal(False)
        self.resize(820, 640)
        self.manager = manager
        self._editing = ""  # the entry the form edits ("" = a new one)
        self._statuses: dict[str, str] = {}
        self._build()
        manager.table_changed.connect(self._on_manager_table_changed)
        manager.key_statuses_ready.connect(self._on_manager_key_statuses_ready)
        manager.test_finished.connect(self._on_manager_test_finished)
        self._fill_table(manager.settings)
        self._fill_network(manager.settings)
        self._select(manager.current or manager.settings.default_provider)
        manager.refresh_key_statuses()
        self._show_storage_warning()

    # ------------------------------------------------------------ building

    def _build(self) -> None:
        self.warning = plain_label(QLabel())
        self.warning.setObjectName("keyWarning")
        self.warning.setWordWrap(True)
        self.warning.hide()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(150)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(10)
        layout.addWidget(self.warning)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self._build_form())
        layout.addWidget(self._build_network())
        layout.addLayout(bottom)

    def _build_form(self) -> QGroupBox:
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. ollama, work-gemini")
        self.kind_combo = QComboBox()
        for kind in registry.KINDS:
            self.kind_combo.addItem(KIND_LABELS[kind], kind)
        self.kind_combo.currentIndexChanged.connect(self._on_kind_changed)
        self.preset_combo = QComboBox()
        self.preset_combo.addItem("Fill in from a preset…", "")
        for found in OPENAI_PRESETS:
            self.preset_combo.addItem(f"{found.label} — {found.base_url}", found.id)
        self.preset_combo.activated.connect(self._on_preset_activated)
        self.url_edit = QLineEdit()
        self.url_edit.textChanged.connect(self._show_overrides)
        self.env_note = plain_label(QLabel())
        self.env_note.setObjectName("hint")
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setAccessibleName("API key")
        self.model_edit = QLineEdit()
        self.model_edit.setPlaceholderText("Empty: the server's first model")
        self.project_edit = QLineEdit()
        self.project_edit.setPlaceholderText("Empty: from Application Default Credentials")
        self.location_edit = QLineEdit()
        self.location_edit.setPlaceholderText("us-central1")
        self.model_files = ModelFilesEditor()
        self.model_files.problem.connect(self._on_model_files_problem)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("primaryButton")
        self.save_button.clicked.connect(self._on_save_clicked)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self._on_test_clicked)
        self.outcome = plain_label(QLabel())
        self.outcome.setObjectName("testOutcome")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, field in (
            ("Name", self.name_edit),
            ("Kind", self.kind_combo),
            ("Preset", self.preset_combo),
            ("Base URL", self.url_edit),
            ("API key", self.key_edit),
            ("Default model", self.model_edit),
            ("Project", self.project_edit),
            ("Location", self.location_edit),
            ("Model files", self.model_files),
        ):
            self.form.addRow(label, field)
        self.form.insertRow(5, self.env_note)  # under the key: where address and key come from
        self.form.setRowVisible(self.env_note, False)
        self.form.addRow(buttons)
        self.form.addRow(self.outcome)
        box = QGroupBox("Provider")
        box.setLayout(self.form)
        return box

    def _build_network(self) -> QGroupBox:
        self.proxy_edit = QLineEdit()
        self.proxy_edit.setPlaceholderText("http://proxy.example:3128 (empty: HTTPS_PROXY)")
        self.timeout_spin = QDoubleSpinBox()
        self.timeout_spin.setRange(READ_TIMEOUT.lo, READ_TIMEOUT.hi)  # the settings' own range
        self.timeout_spin.setDecimals(0)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setToolTip("Longest wait between two pieces of an answer")
        self.network_button = QPushButton("Apply")
        self.network_button.clicked.connect(self._on_network_clicked)
        self.network_note = QLabel(
            "Servers on this computer are reached directly; NO_PROXY is honoured."
        )
        self.network_note.setObjectName("hint")
        self.network_note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.timeout_spin)
        row.addStretch(1)
        row.addWidget(self.network_button)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Proxy", self.proxy_edit)
        form.addRow("Read timeout", row)
        form.addRow(self.network_note)
        box = QGroupBox("Network")
        box.setLayout(form)
        return box

    # ------------------------------------------------------------ showing

    def _fill_table(self, settings: Settings) -> None:
        names = provider_names(settings)
        self.table.setRowCount(len(names))
        for row, name in enumerate(names):
            spec = registry.resolve(name, settings)
            url = spec.base_url or ("(on this computer)" if spec.kind == LOCAL else "(default)")
            env_url = registry.env_base_url(spec)
            if env_url is not None:  # the address the app really uses, and why
                url = f"{env_url.value} (from {env_url.variable})"
            key = self._statuses.get(name, "…") if spec.kind in ("gemini", "openai") else "—"
            cells = (name, KIND_LABELS.get(spec.kind, spec.kind), url, spec.default_model, key)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, name)
                self.table.setItem(row, column, item)

    def _fill_network(self, settings: Settings) -> None:
        self.proxy_edit.setText(settings.network.proxy)
        self.timeout_spin.setValue(settings.network.read_timeout)

    def _select(self, name: str) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.text() == name:
                self.table.selectRow(row)
                return

    def _load(self, name: str) -> None:
        """Put entry ``name`` into the form ("" = a blank new entry)."""
        settings = self.manager.settings
        self._editing = name if name in settings.providers else ""
        config = settings.providers.get(name)
        kind = registry.resolve(name, settings).kind if name else "openai"
        self.name_edit.setText(name)
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(kind)))
        self.url_edit.setText(config.base_url if config else "")
        self.model_edit.setText(config.default_model if config else "")
        self.project_edit.setText(config.project if config else "")
        self.location_edit.setText(config.location if config else "")
        self.model_files.set_paths(config.model_paths if config else ())
        self.key_edit.clear()
        self.preset_combo.setCurrentIndex(0)
        self.outcome.clear()
        removable = name in settings.providers and len(settings.providers) > 1
        self.remove_button.setEnabled(removable)
        self._on_kind_changed()

    def _show_overrides(self, *_args: object) -> None:
        """The key field and the note under the form say where the entry's key and
        address come from at run time, in the table's words (an environment variable
        wins over what is saved)."""
        name = self.name_edit.text().strip()
        status = self._statuses.get(name, NO_KEY if self._statuses else "…")
        self.key_edit.setPlaceholderText(key_placeholder(status))
        kind = str(self.kind_combo.currentData())
        url = self.url_edit.text().strip()
        settings = self.manager.settings
        entry = ProviderConfig(kind=kind, base_url=url)
        spec = registry.resolve(name, replace(settings, providers={name: entry}))
        overrides = []
        env_url = registry.env_base_url(spec)
        if env_url is not None:
            self.url_edit.setPlaceholderText(f"{env_url.value} (from {env_url.variable})")
            overrides.append(env_url.variable)
        env_key = registry.env_key(spec, spec.base_url) if kind in ("gemini", "openai") else None
        if env_key is not None:
            overrides.append(env_key.variable)
        # One short line: a wrapped label in the form would be squeezed and cut.
        note = ", ".join(overrides)
        self.env_note.setText(f"From the environment, used instead of what is saved: {note}")
        self.form.setRowVisible(self.env_note, bool(overrides))

    def _show_storage_warning(self) -> None:
        status = secrets.storage_status()
        if status.uses_keychain:
            self.warning.hide()
            return
        # Only a key really in the file is said to be there (not one from GEMINI_API_KEY).
        where = (
            f"saved keys are in {status.file_path}"
            if IN_FILE in self._statuses.values()
            else f"a key saved here goes to {status.file_path}"
        )
        self.warning.setText(f"⚠ No system keychain found: {where}, readable only by you.")
        self.warning.show()

    # ------------------------------------------------------------ form → config

    def form_entry(self) -> tuple[str, ProviderConfig, str]:
        """(name, config, key) as the form shows them; raises ValueError when invalid."""
        name = self.name_edit.text().strip()
        if not name:
            raise ValueError("Give the provider a name.")
        url = self.url_edit.text().strip()
        if url and not url.startswith(("http://", "https://")):
            raise ValueError("The base URL must start with http:// or https://.")
        kind = str(self.kind_combo.currentData())
        config = ProviderConfig(
            kind=kind,
            base_url=url if kind != LOCAL else "",
            default_model=self.model_edit.text().strip(),
            project=self.project_edit.text().strip() if kind == "vertex" else "",
            location=self.location_edit.text().strip() if kind == "vertex" else "",
            model_paths=self.model_files.paths() if kind == LOCAL else (),
        )
        return name, config, self.key_edit.text().strip()

    # ------------------------------------------------------------ handlers

    def _on_table_selection_changed(self) -> None:
        items = self.table.selectedItems()
        if items:
            self._load(str(items[0].data(Qt.ItemDataRole.UserRole)))

    def _on_add_clicked(self) -> None:
        self.table.clearSelection()
        self._load("")
        self.name_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_remove_clicked(self) -> None:
        if self._editing:
            self.manager.remove_entry(self._editing)

    def _on_kind_changed(self, *_args: object) -> None:
        kind = self.kind_combo.currentData()
        for field, shown in (
            (self.preset_combo, kind == "openai"),
            (self.url_edit, kind != LOCAL),
            (self.key_edit, kind in ("gemini", "openai")),
            (self.project_edit, kind == "vertex"),
            (self.location_edit, kind == "vertex"),
            (self.model_files, kind == LOCAL),
        ):
            self.form.setRowVisible(field, shown)
        defaults = {"gemini": "https://generativelanguage.googleapis.com", "vertex": "(default)"}
        self.url_edit.setPlaceholderText(defaults.get(str(kind), "http://localhost:11434/v1"))
        models = {
            "openai": "Empty: the server's first model",
            "local": registry.LOCAL_DEFAULT_MODEL,
        }
        self.model_edit.setPlaceholderText(models.get(str(kind), registry.GEMINI_DEFAULT_MODEL))
        self._show_overrides()

    def _on_model_files_problem(self, line: str) -> None:
        self._show_outcome(line, ok=False)

    def _on_preset_activated(self, index: int) -> None:
        found = registry.preset(str(self.preset_combo.itemData(index)))
        if found is None:
            return
        self.url_edit.setText(found.base_url)
        self.model_edit.setText(found.default_model)
        if not self.name_edit.text().strip():
            self.name_edit.setText(found.id)
        where = f" Get a key at {found.key_url}." if found.key_url else ""
        self._show_outcome(f"{found.label}: {found.base_url}.{where}")

    def _on_save_clicked(self) -> None:
        try:
            name, config, key = self.form_entry()
        except ValueError as error:
            self._show_outcome(f"✗ {error}", False)
            return
        previous, self._editing = self._editing, name  # the table reselects it when saved
        self.key_edit.clear()
        self.manager.save_entry(previous, name, config, key)
        self._show_outcome(f"Saved {name}.")

    def _on_test_clicked(self) -> None:
        try:
            name, config, key = self.form_entry()
        except ValueError as error:
            self._show_outcome(f"✗ {error}", False)
            return
        # The button stays enabled (disabling it would throw the keyboard focus onward);
        # a second click replaces the running test.
        self._show_outcome("Testing…")
        self.manager.test(name, config, key)

    def _on_network_clicked(self) -> None:
        proxy = self.proxy_edit.text().strip()
        if proxy and "://" not in proxy:
            self.network_note.setText("✗ The proxy must be a URL such as http://host:3128.")
            return
        self.manager.save_network(proxy, self.timeout_spin.value())
        self.network_note.setText("Saved; providers built from now on use these settings.")

    def _on_manager_table_changed(self, settings: Settings) -> None:
        selected = self._editing
        self._fill_table(settings)
        self._select(selected if selected in provider_names(settings) else LOCAL)
        self._show_storage_warning()

    def _on_manager_key_statuses_ready(self, statuses: dict[str, str]) -> None:
        self._statuses = statuses
        editing = self._editing or self.name_edit.text().strip()
        self._fill_table(self.manager.settings)
        with signals_blocked(self.table):  # keep what is typed in the form
            self._select(editing)
        self._show_overrides()  # the form says what the table says
        self._show_storage_warning()

    def _on_manager_test_finished(self, ok: bool, line: str) -> None:
        self._show_outcome(line, ok)

    def _show_outcome(self, line: str, ok: bool | None = None) -> None:
        """The outcome line, coloured by the style sheet when it is a verdict."""
        self.outcome.setProperty("ok", "" if ok is None else str(ok).lower())
        style = self.outcome.style()
        style.unpolish(self.outcome)
        style.polish(self.outcome)
        self.outcome.setText(line)

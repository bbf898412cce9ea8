"""The settings panel: provider, model and every generation setting of the current chat.

It opens on the model and its sampling settings; safety thresholds, stop sequences and
the seed wait under an "Advanced" fold. It only shows and edits a
``GenerationSettings``; the controller applies it to the chat and the window persists
defaults. Values set from code never echo back as edits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rill.core import setting_ranges as ranges
from rill.core.types import (
    SAFETY_CATEGORIES,
    SAFETY_THRESHOLDS,
    Capabilities,
    GenerationSettings,
    ModelInfo,
)
from rill.gui.common import icons, plain_label, plain_tip, signals_blocked
from rill.gui.settings.capability_rules import Offer, offer
from rill.gui.settings.fields import (
    DEFAULT_LABEL,
    SAFETY_FULL_NAMES,
    SAFETY_NAMES,
    TEMPERATURE_MAX,
    TEMPERATURE_STEP,
    THINKING_MODES,
    THRESHOLD_NAMES,
    optional_spin,
    parse_stop_sequences,
    section_title,
)
from rill.gui.settings.fold import Fold
from rill.gui.settings.provider_picker import ProviderPicker
from rill.gui.settings.tools_section import ToolsSection


class SettingsPanel(QWidget):
    """Edits the current chat's GenerationSettings.

    Signals:
        settings_edited(object settings): the user changed a value; the new
            GenerationSettings. Never emitted by :meth:`set_settings`.
        use_as_default_requested(object settings): make these the app-wide defaults.
        refresh_models_requested(): fetch the model list again.
        reset_requested(): go back to the app-wide defaults.
        close_requested(): the panel's close button.
        advanced_toggled(bool open): the user opened or closed the "Advanced" fold.

    The provider row is ``provider_picker`` (its own signals: ``provider_selected``,
    ``manage_requested``). :meth:`set_capabilities` hides what the provider ignores.
    """

    settings_edited = Signal(object)
    use_as_default_requested = Signal(object)
    refresh_models_requested = Signal()
    reset_requested = Signal()
    close_requested = Signal()
    advanced_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsPanel")
        self._settings = GenerationSettings()
        self._models: dict[str, ModelInfo] = {}
        self._capabilities = Capabilities()
        self._provider_label = "This provider"
        self._build_widgets()
        self._build_layout()
        self._connect()
        self.set_settings(self._settings)

    # ------------------------------------------------------------ building

    def _build_widgets(self) -> None:
        self._build_model_widgets()
        self._build_sampling_widgets()
        self._build_other_widgets()

    def _build_model_widgets(self) -> None:
        self.provider_picker = ProviderPicker()
        self.provider_combo = self.provider_picker.combo
        self.model_combo = QComboBox()
        self.model_combo.setEditable(True)  # an id the list does not know still works
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model_combo.setAccessibleName("Model")
        line = self.model_combo.lineEdit()
        if line is not None:
            line.setPlaceholderText("The provider's default")
        self.refresh_button = QToolButton()
        self.refresh_button.setIcon(icons.icon("regenerate"))
        self.refresh_button.setToolTip("Fetch the model list again")
        self.refresh_button.setAccessibleName("Refresh models")
        self.model_note = plain_label(QLabel())
        self.model_note.setObjectName("hint")
        self.model_note.setWordWrap(True)
        self.model_note.hide()

    def _build_sampling_widgets(self) -> None:
        self.temperature_slider = QSlider(Qt.Orientation.Horizontal)
        self.temperature_slider.setRange(0, round(TEMPERATURE_MAX / TEMPERATURE_STEP))
        self.temperature_slider.setAccessibleName("Temperature")
        self.temperature_spin = QDoubleSpinBox()
        self.temperature_spin.setDecimals(2)
        self.temperature_spin.setSingleStep(TEMPERATURE_STEP)
        self.temperature_spin.setRange(-TEMPERATURE_STEP, TEMPERATURE_MAX)
        self.temperature_spin.setSpecialValueText(DEFAULT_LABEL)
        self.temperature_spin.setAccessibleName("Temperature value")
        self.temperature_spin.setMaximumWidth(self.fontMetrics().horizontalAdvance("Default") + 48)
        self.top_p_spin = QDoubleSpinBox()
        self.top_p_spin.setDecimals(2)
        self.top_p_spin.setSingleStep(0.05)
        self.top_p_spin.setRange(-0.05, ranges.TOP_P.hi)
        self.top_p_spin.setSpecialValueText(DEFAULT_LABEL)
        self.top_k_spin = optional_spin(int(ranges.TOP_K.hi), "Sample from the k likeliest tokens")
        self.max_tokens_spin = optional_spin(
            int(ranges.MAX_OUTPUT_TOKENS.hi), "Longest answer, in tokens"
        )
        self.stop_edit = QPlainTextEdit()
        self.stop_edit.setPlaceholderText("One per line or comma-separated (up to 5)")
        self.stop_edit.setTabChangesFocus(True)
        self.stop_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.seed_edit = QLineEdit()
        self.seed_edit.setPlaceholderText("Random")
        seeds = ranges.SEED
        self.seed_edit.setValidator(QIntValidator(int(seeds.lo), int(seeds.hi), self.seed_edit))

    def _build_other_widgets(self) -> None:
        self.system_edit = QPlainTextEdit()
        self.system_edit.setPlaceholderText("How the model should behave in this chat")
        self.system_edit.setTabChangesFocus(True)
        self.system_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 5 + 12)
        self.thinking_combo = QComboBox()
        self.thinking_combo.addItems(THINKING_MODES)
        self.thinking_spin = QSpinBox()
        self.thinking_spin.setRange(1, int(ranges.THINKING_BUDGET.hi))
        self.thinking_spin.setSingleStep(256)
        self.thinking_spin.setSuffix(" tokens")
        self.show_thoughts_check = QCheckBox("Show thoughts")
        self.show_thoughts_check.setToolTip("Ask for the model's thought summaries and show them")
        self.safety_combos: dict[str, QComboBox] = {}
        for category in SAFETY_CATEGORIES:
            combo = QComboBox()
            combo.addItem(DEFAULT_LABEL, None)
            for threshold in SAFETY_THRESHOLDS:
                combo.addItem(THRESHOLD_NAMES.get(threshold, threshold), threshold)
            full = SAFETY_FULL_NAMES.get(category, category)
            combo.setAccessibleName(full)
            combo.setToolTip(f"What to block as {full.lower()}")
            self.safety_combos[category] = combo
        for combo in (self.thinking_combo, *self.safety_combos.values()):
            # Sized by its longest choice ("Block medium and above"), a combo pushed
            # its label onto a line of its own at the panel's usual width; it still
            # takes the whole field, and its list shows every choice.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(8)
        self.tools_section = ToolsSection()
        self.stream_check = QCheckBox("Stream answers as they are written")
        self.default_button = QPushButton("Use as default")
        self.default_button.setToolTip("New chats start with these settings")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the app-wide defaults")
        self.saved_note = plain_label(QLabel())
        self.saved_note.setObjectName("hint")

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._add_model_rows(form)
        self._add_other_rows(form)
        self._build_frame(form)
        self._form = form

    def _add_model_rows(self, form: QFormLayout) -> None:
        form.addRow(section_title("Model"))
        form.addRow("Provider", self.provider_picker)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(self.refresh_button)
        form.addRow("Model", model_row)
        form.addRow(self.model_note)
        form.addRow(section_title("Sampling"))
        temp_row = QHBoxLayout()
        temp_row.addWidget(self.temperature_slider, 1)
        temp_row.addWidget(self.temperature_spin)
        form.addRow("Temperature", temp_row)
        form.addRow("Top-p", self.top_p_spin)
        form.addRow("Top-k", self.top_k_spin)

    def _add_other_rows(self, form: QFormLayout) -> None:
        form.addRow(section_title("Output"))
        form.addRow("Max tokens", self.max_tokens_spin)
        form.addRow(self.stream_check)
        form.addRow(section_title("System instruction"))
        form.addRow(self.system_edit)
        self._thinking_title = section_title("Thinking")
        form.addRow(self._thinking_title)
        think_row = QHBoxLayout()
        think_row.addWidget(self.thinking_combo, 1)
        think_row.addWidget(self.thinking_spin, 1)
        form.addRow("Budget", think_row)
        self._think_row = think_row
        form.addRow(self.show_thoughts_check)
        self._tools_title = section_title("Tools")
        form.addRow(self._tools_title)
        form.addRow(self.tools_section)
        form.addRow(self._build_advanced())
        buttons = QHBoxLayout()
        buttons.addWidget(self.default_button)
        buttons.addWidget(self.reset_button)
        buttons.addStretch(1)
        form.addRow(buttons)
        form.addRow(self.saved_note)

    def _build_advanced(self) -> Fold:
        """Stop sequences, the seed and the safety thresholds, in a fold (closed)."""
        advanced = QFormLayout()
        advanced.setContentsMargins(0, 0, 0, 0)
        advanced.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        advanced.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        advanced.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        advanced.addRow("Stop at", self.stop_edit)
        advanced.addRow("Seed", self.seed_edit)
        self._safety_title = section_title("Safety")
        advanced.addRow(self._safety_title)
        for category, combo in self.safety_combos.items():
            advanced.addRow(SAFETY_NAMES.get(category, category), combo)
        body = QWidget()
        body.setObjectName("foldBody")
        body.setLayout(advanced)
        self._advanced_form = advanced
        self.advanced = Fold("Advanced", body, "Stop sequences, the seed and safety thresholds")
        self.advanced.toggled.connect(self.advanced_toggled)
        return self.advanced

    def set_advanced_open(self, is_open: bool) -> None:
        """Open or close the "Advanced" fold (as the user last left it); emits nothing."""
        self.advanced.set_open(is_open)

    def _build_frame(self, form: QFormLayout) -> None:
        """The scrolling body under a title row with the close button."""
        body = QWidget()
        body.setObjectName("settingsBody")
        body.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields, not the frame
        scroll.setWidget(body)
        self.close_button = QToolButton()
        self.close_button.setObjectName("panelClose")
        self.close_button.setIcon(icons.icon("close"))
        self.close_button.setToolTip("Hide settings (Ctrl+,)")
        self.close_button.setAccessibleName("Hide settings")
        header = QHBoxLayout()
        header.setContentsMargins(12, 8, 6, 0)
        title = QLabel("Chat settings")
        title.setObjectName("panelTitle")
        header.addWidget(title, 1)
        header.addWidget(self.close_button)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addLayout(header)
        outer.addWidget(scroll, 1)

    def _connect(self) -> None:
        self.model_combo.currentTextChanged.connect(self._on_model_changed)
        self.refresh_button.clicked.connect(self.refresh_models_requested)
        self.temperature_slider.valueChanged.connect(self._on_temperature_slider_changed)
        self.temperature_spin.valueChanged.connect(self._on_temperature_spin_changed)
        for spin in (self.top_p_spin, self.top_k_spin, self.max_tokens_spin, self.thinking_spin):
            spin.valueChanged.connect(self._emit_edited)
        for edit in (self.stop_edit, self.system_edit):
            edit.textChanged.connect(self._emit_edited)
        self.seed_edit.textChanged.connect(self._emit_edited)
        self.thinking_combo.currentIndexChanged.connect(self._on_thinking_mode_changed)
        self.show_thoughts_check.toggled.connect(self._emit_edited)
        self.stream_check.toggled.connect(self._emit_edited)
        self.tools_section.toggled.connect(self._emit_edited)
        for combo in self.safety_combos.values():
            combo.currentIndexChanged.connect(self._emit_edited)
        self.default_button.clicked.connect(self._on_default_clicked)
        self.reset_button.clicked.connect(self.reset_requested)
        self.close_button.clicked.connect(self.close_requested)

    def _all_inputs(self) -> list[QWidget]:
        return [
            self.model_combo,
            self.temperature_slider,
            self.temperature_spin,
            self.top_p_spin,
            self.top_k_spin,
            self.max_tokens_spin,
            self.stop_edit,
            self.seed_edit,
            self.system_edit,
            self.thinking_combo,
            self.thinking_spin,
            self.show_thoughts_check,
            self.stream_check,
            *self.safety_combos.values(),
        ]

    # ------------------------------------------------------------ model → widgets

    def set_settings(self, settings: GenerationSettings) -> None:
        """Show ``settings``; emits nothing."""
        self._settings = settings
        with signals_blocked(*self._all_inputs()):
            self.model_combo.setEditText(settings.model)
            self._show_model_start()
            self._apply_model_limits(settings.model)
            self._show_temperature(settings.temperature)
            self.top_p_spin.setValue(-0.05 if settings.top_p is None else settings.top_p)
            self.top_k_spin.setValue(settings.top_k or 0)
            self.max_tokens_spin.setValue(settings.max_output_tokens or 0)
            self.stop_edit.setPlainText("\n".join(settings.stop_sequences))
            self.seed_edit.setText("" if settings.seed is None else str(settings.seed))
            self.system_edit.setPlainText(settings.system_instruction or "")
            self._show_thinking(settings.thinking_budget)
            self.show_thoughts_check.setChecked(settings.include_thoughts)
            self.stream_check.setChecked(settings.stream)
            chosen = dict(settings.safety)
            for category, combo in self.safety_combos.items():
                combo.setCurrentIndex(max(0, combo.findData(chosen.get(category))))
            self.tools_section.show_settings(settings)
        self.saved_note.clear()

    def choose_model(self, model: str) -> None:
        """Pick ``model`` as if it were typed into the model box: the limits follow and
        ``settings_edited`` carries it (how the chat bar's model picker switches)."""
        self.model_combo.setEditText(model)
        self._show_model_start()

    def set_models(self, models: Sequence[ModelInfo]) -> None:
        """Fill the model list; the current model stays selected even if unlisted."""
        self._models = {m.id: m for m in models}
        current = self.model_combo.currentText() or self._settings.model
        with signals_blocked(self.model_combo):
            self.model_combo.clear()
            for info in models:
                self.model_combo.addItem(info.id)
                index = self.model_combo.count() - 1
                tip = info.display_name + (f"\n{info.description}" if info.description else "")
                # The name and description come from the server: shown as text.
                self.model_combo.setItemData(index, plain_tip(tip), Qt.ItemDataRole.ToolTipRole)
            self.model_combo.setEditText(current)
            self._show_model_start()
        self.model_note.hide()
        self._apply_model_limits(current)

    def _show_model_start(self) -> None:
        # A long id shows its beginning (the family), not its tail.
        line = self.model_combo.lineEdit()
        if line is not None:
            line.setCursorPosition(0)

    def set_models_error(self, message: str) -> None:
        """Say why the model list could not be loaded (empty: hide the note)."""
        self.model_note.setText(message)
        self.model_note.setVisible(bool(message))

    def show_saved(self, text: str) -> None:
        """Say where the defaults were saved."""
        self.saved_note.setText(text)

    def _show_temperature(self, value: float | None) -> None:
        with signals_blocked(self.temperature_slider, self.temperature_spin):
            if value is None:
                info = self._models.get(self._settings.model)
                shown = info.temperature if info and info.temperature is not None else 1.0
                self.temperature_slider.setValue(round(shown / TEMPERATURE_STEP))
                self.temperature_spin.setValue(self.temperature_spin.minimum())
            else:
                self.temperature_slider.setValue(round(value / TEMPERATURE_STEP))
                self.temperature_spin.setValue(value)

    def _show_thinking(self, budget: int | None) -> None:
        mode = {None: 0, 0: 1, -1: 2}.get(budget, 3)
        self.thinking_combo.setCurrentIndex(mode)
        self.thinking_spin.setVisible(mode == 3)
        if mode == 3 and budget is not None:
            self.thinking_spin.setValue(budget)

    def _apply_model_limits(self, model: str) -> None:
        """Cap temperature at the model's maxTemperature and tokens at its output limit."""
        info = self._models.get(model)
        cap = info.max_temperature if info and info.max_temperature else TEMPERATURE_MAX
        # A model list is a server's word: its caps are kept inside the table's range.
        cap = ranges.TEMPERATURE.clamp(cap) or TEMPERATURE_MAX
        with signals_blocked(self.temperature_slider, self.temperature_spin):
            self.temperature_slider.setMaximum(round(cap / TEMPERATURE_STEP))
            self.temperature_spin.setMaximum(cap)
        tokens = ranges.MAX_OUTPUT_TOKENS
        limit = info.output_token_limit if info and info.output_token_limit else tokens.hi
        with signals_blocked(self.max_tokens_spin):
            self.max_tokens_spin.setMaximum(int(tokens.clamp(limit)))
        self.tools_section.apply_model(model)
        self._apply_offer(offer(self._capabilities, info, self._provider_label))

    def set_capabilities(self, capabilities: Capabilities, provider_label: str) -> None:
        """Offer only what the provider (and the chosen model) can honour."""
        self._capabilities = capabilities
        self._provider_label = provider_label
        self._apply_model_limits(self.model_combo.currentText().strip())

    @property
    def current_offer(self) -> Offer:
        """What the panel offers now (for tests and the status of hidden controls)."""
        info = self._models.get(self.model_combo.currentText().strip())
        return offer(self._capabilities, info, self._provider_label)

    def _apply_offer(self, shown: Offer) -> None:
        """Hide thinking and safety where ignored; disable seed/top-k with a reason."""
        form = self._form if hasattr(self, "_form") else None
        if form is None:
            return
        for row in (self._thinking_title, self._think_row, self.show_thoughts_check):
            form.setRowVisible(row, shown.thinking)
        # setRowVisible shows every widget of the row: the budget box only with "Budget".
        budget = self.thinking_combo.currentIndex() == THINKING_MODES.index("Budget")
        self.thinking_spin.setVisible(shown.thinking and budget)
        # Gemini's own tools: not for OpenAI-compatible servers or the offline model.
        form.setRowVisible(self._tools_title, self._capabilities.builtin_tools)
        form.setRowVisible(self.tools_section, self._capabilities.builtin_tools)
        self._advanced_form.setRowVisible(self._safety_title, shown.safety)
        for combo in self.safety_combos.values():
            self._advanced_form.setRowVisible(combo, shown.safety)
        self.thinking_combo.setEnabled(shown.thinking)
        self.thinking_spin.setEnabled(shown.thinking)
        self.show_thoughts_check.setEnabled(shown.thinking)
        # The reasons name the model as the server does: shown as text.
        self.thinking_combo.setToolTip(plain_tip(shown.thinking_reason))
        self.seed_edit.setEnabled(shown.seed)
        self.seed_edit.setToolTip(plain_tip(shown.seed_reason))
        self.top_k_spin.setEnabled(shown.top_k)
        self.top_k_spin.setToolTip(
            plain_tip(shown.top_k_reason or "Sample from the k likeliest tokens")
        )

    # ------------------------------------------------------------ widgets → model

    def settings(self) -> GenerationSettings:
        """The GenerationSettings the widgets show now."""
        temperature = self.temperature_spin.value()
        top_p = self.top_p_spin.value()
        seed = self.seed_edit.text().strip()
        shown = replace(
            self._settings,
            model=self.model_combo.currentText().strip() or self._settings.model,
            temperature=None if temperature < 0 else round(temperature, 2),
            top_p=None if top_p < 0 else round(top_p, 2),
            top_k=self.top_k_spin.value() or None,
            max_output_tokens=self.max_tokens_spin.value() or None,
            stop_sequences=parse_stop_sequences(self.stop_edit.toPlainText()),
            seed=int(seed) if seed.lstrip("-").isdigit() else None,
            system_instruction=self.system_edit.toPlainText().strip() or None,
            thinking_budget=self._thinking_budget(),
            include_thoughts=self.show_thoughts_check.isChecked(),
            safety=tuple(
                (category, combo.currentData())
                for category, combo in self.safety_combos.items()
                if combo.currentData() is not None
            ),
            stream=self.stream_check.isChecked(),
        )
        # Where the provider has no tools the section is hidden: its values are kept.
        return self.tools_section.applied(shown) if self._capabilities.builtin_tools else shown

    def _thinking_budget(self) -> int | None:
        mode = self.thinking_combo.currentIndex()
        return [None, 0, -1, self.thinking_spin.value()][mode]

    def _emit_edited(self) -> None:
        self._settings = self.settings()
        self.saved_note.clear()
        self.settings_edited.emit(self._settings)

    def _on_model_changed(self, model: str) -> None:
        self._apply_model_limits(model.strip())
        # A lower cap may have clamped the value; the slider follows the box.
        self._on_temperature_spin_changed(self.temperature_spin.value())

    def _on_temperature_slider_changed(self, position: int) -> None:
        with signals_blocked(self.temperature_spin):
            self.temperature_spin.setValue(position * TEMPERATURE_STEP)
        self._emit_edited()

    def _on_temperature_spin_changed(self, value: float) -> None:
        if value >= 0:
            with signals_blocked(self.temperature_slider):
                self.temperature_slider.setValue(round(value / TEMPERATURE_STEP))
        self._emit_edited()

    def _on_thinking_mode_changed(self, mode: int) -> None:
        self.thinking_spin.setVisible(mode == THINKING_MODES.index("Budget"))
        self._emit_edited()

    def _on_default_clicked(self) -> None:
        self.use_as_default_requested.emit(self.settings())

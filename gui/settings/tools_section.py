"""The settings panel's "Tools" section: Google Search, URL context, code execution and
images in answers, for the providers and models that take them.

A tool the chosen model does not take is shown switched off and disabled, with the
reason under the boxes, so no request can ask for a combination the API refuses.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from rill.core.providers.gemini_tools import TOOL_LABELS, image_reason, tool_support
from rill.core.types import BUILTIN_TOOLS, GenerationSettings
from rill.gui.common import plain_label, plain_tip, signals_blocked

TOOL_TIPS = {
    "google_search": "Ground answers in a Google Search: numbered sources and the searches used",
    "url_context": "Let the model read the web pages whose addresses are in your message",
    "code_execution": "Let the model write and run Python, and show the code and its output",
    "image_output": "Ask an image model to answer with pictures as well as text",
}
NAMES = (*BUILTIN_TOOLS, "image_output")


class ToolsSection(QWidget):
    """Four check boxes and the reason for any that is disabled.

    Signals:
        toggled(): the user switched a tool on or off. Never emitted by :meth:`show_settings`.
    """

    toggled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toolsSection")
        self.checks: dict[str, QCheckBox] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for name in NAMES:
            box = QCheckBox(TOOL_LABELS[name])
            box.setAccessibleName(TOOL_LABELS[name])
            box.toggled.connect(self.toggled)
            self.checks[name] = box
            layout.addWidget(box)
        self.reason = plain_label(QLabel())
        self.reason.setObjectName("hint")
        self.reason.setWordWrap(True)
        self.reason.hide()
        layout.addWidget(self.reason)
        self._model = ""

    def show_settings(self, settings: GenerationSettings) -> None:
        """Show what ``settings`` ask for, as far as their model takes it; emits nothing."""
        self._model = settings.model
        with signals_blocked(*self.checks.values()):
            for name, box in self.checks.items():
                box.setChecked(bool(getattr(settings, name)))
        self.apply_model(settings.model)

    def apply_model(self, model: str) -> None:
        """Enable what ``model`` takes; what it does not is unchecked, with the reason."""
        self._model = model
        support = tool_support(model)
        refused: list[str] = []
        with signals_blocked(*self.checks.values()):
            for name, box in self.checks.items():
                allowed = support.allows(name)
                if name == "image_output":
                    reason = "" if allowed else image_reason(model)
                else:
                    reason = "" if allowed else support.reasons.get(name, "")
                box.setEnabled(allowed)
                if not allowed:
                    box.setChecked(False)
                    if name != "image_output":
                        refused.append(TOOL_LABELS[name])
                # The model id in a reason comes from the user or a server: plain text.
                box.setToolTip(plain_tip(reason or TOOL_TIPS[name]))
        self.checks["image_output"].setVisible(support.image_output)
        text = ""
        if refused:
            listed = ", ".join(refused[:-1]) + (" or " if len(refused) > 1 else "") + refused[-1]
            text = f"{model or 'This model'} does not take {listed} (Google's model pages)."
        self.reason.setText(text)
        self.reason.setVisible(bool(text))

    def applied(self, settings: GenerationSettings) -> GenerationSettings:
        """``settings`` with the tools as the boxes show them (a disabled box is off)."""
        on = {name: box.isEnabled() and box.isChecked() for name, box in self.checks.items()}
        return replace(
            settings,
            google_search=on["google_search"],
            url_context=on["url_context"],
            code_execution=on["code_execution"],
            image_output=on["image_output"],
        )

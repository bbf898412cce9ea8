"""The settings panel's vocabulary: ranges, labels and the small parsers behind fields.

The ranges themselves are ``rill.core.setting_ranges``'s: a value the settings file,
the store or the command line accepts always fits the widget that shows it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QSpinBox

from rill.core import setting_ranges as ranges

TEMPERATURE_STEP = 0.05
TEMPERATURE_MAX = ranges.TEMPERATURE.hi
MAX_STOP_SEQUENCES = ranges.MAX_STOP_SEQUENCES
DEFAULT_LABEL = "Default"
THINKING_MODES = ("Default", "Off", "Auto", "Budget")
# Short labels: the form's label column is as wide as its widest label, and "Dangerous
# content" squeezed every field of the panel (the full names are the tooltips).
SAFETY_NAMES = {
    "HARM_CATEGORY_HARASSMENT": "Harassment",
    "HARM_CATEGORY_HATE_SPEECH": "Hate speech",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT": "Sexual",
    "HARM_CATEGORY_DANGEROUS_CONTENT": "Dangerous",
}
SAFETY_FULL_NAMES = {
    "HARM_CATEGORY_HARASSMENT": "Harassment",
    "HARM_CATEGORY_HATE_SPEECH": "Hate speech",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT": "Sexually explicit content",
    "HARM_CATEGORY_DANGEROUS_CONTENT": "Dangerous content",
}
THRESHOLD_NAMES = {
    "BLOCK_LOW_AND_ABOVE": "Block low and above",
    "BLOCK_MEDIUM_AND_ABOVE": "Block medium and above",
    "BLOCK_ONLY_HIGH": "Block only high",
    "BLOCK_NONE": "Block none",
    "OFF": "Off",
}


def parse_stop_sequences(text: str) -> tuple[str, ...]:
    """One sequence per line or comma; blanks dropped; at most MAX_STOP_SEQUENCES."""
    pieces = [p.strip() for line in text.splitlines() for p in line.split(",")]
    return tuple(p for p in pieces if p)[:MAX_STOP_SEQUENCES]


def section_title(title: str) -> QLabel:
    """A small heading between groups of fields."""
    label = QLabel(title)
    label.setObjectName("sectionTitle")
    return label


def optional_spin(maximum: int, tooltip: str) -> QSpinBox:
    """An integer box whose 0 reads "Default" (the field is not sent)."""
    spin = QSpinBox()
    spin.setRange(0, maximum)
    spin.setSpecialValueText(DEFAULT_LABEL)
    spin.setToolTip(tooltip)
    spin.setAccelerated(True)
    return spin

"""The settings panel's layout at the width the window gives it by default."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QFormLayout, QLabel, QWidget
from pytestqt.qtbot import QtBot

from rill.gui.common.theme import ThemeManager
from rill.gui.settings.panel import SettingsPanel

DEFAULT_WIDTH = 300  # the panel's share of the splitter in a new window (main_window)


@pytest.fixture(params=["light", "dark"])
def themed(qapp: QApplication, request: pytest.FixtureRequest) -> Iterator[str]:
    theme = ThemeManager(qapp, request.param)
    theme.apply()
    yield request.param
    qapp.setStyleSheet("")
    qapp.setPalette(QPalette())
    theme.deleteLater()


def same_row(first: QWidget, second: QWidget) -> bool:
    a, b = first.geometry(), second.geometry()
    return a.top() < b.bottom() and b.top() < a.bottom()


def label_of(panel: SettingsPanel, field: QWidget) -> QLabel:
    label = panel._form.labelForField(field) or panel._advanced_form.labelForField(field)
    assert isinstance(label, QLabel)
    return label


def test_safety_labels_sit_beside_their_combos(qtbot: QtBot, themed: str) -> None:
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    panel.resize(DEFAULT_WIDTH, 900)
    panel.set_advanced_open(True)  # the safety combos are under "Advanced"
    panel.show()
    qtbot.waitExposed(panel)
    form = panel._form
    safety = [label_of(panel, combo) for combo in panel.safety_combos.values()]
    labels = [form.itemAt(row, QFormLayout.ItemRole.LabelRole) for row in range(form.rowCount())]
    others = [i.widget() for i in labels if i is not None and i.widget() not in safety]
    widest = max(label.sizeHint().width() for label in others if label is not None)
    for combo in panel.safety_combos.values():
        label = label_of(panel, combo)
        assert same_row(label, combo), f"{label.text()!r} wraps above its combo"
        assert combo.geometry().right() < panel.width()
        # …and no safety label widens the label column, squeezing every field.
        assert label.sizeHint().width() <= widest, f"{label.text()!r} widens the labels"
    assert form.labelForField(panel.provider_picker) is not None
    provider = panel.provider_combo
    assert provider.width() >= provider.fontMetrics().horizontalAdvance("Google Gemini") + 30

"""The chat bar's model picker: "provider · model" on a button, and a searchable popup.

The popup lists the provider manager's models (typed words filter them by id and
name) and, under them, the other providers. It only says what was chosen
(``model_chosen``, ``provider_chosen``); the window switches through the same path the
settings panel uses. Model names and descriptions come from a server: shown as text.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QResizeEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QFrame, QLineEdit, QListView, QToolButton, QVBoxLayout, QWidget

from rill.core.generation import ModelInfo
from rill.gui.common import icons, keep_focus_on_click, plain_tip

KIND = Qt.ItemDataRole.UserRole + 1  # "model", "provider" or "heading"
VALUE = Qt.ItemDataRole.UserRole + 2  # the model id or the provider's name
SEARCH = Qt.ItemDataRole.UserRole + 3  # what the filter matches, lower case
POPUP_WIDTH, POPUP_HEIGHT = 360, 420
_Index = QModelIndex | QPersistentModelIndex


class _Filter(QSortFilterProxyModel):
    """Rows whose id or name hold every typed word; a heading stays while a row of its
    section does."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []

    def set_words(self, text: str) -> None:
        # Qt 6.10 deprecates invalidateFilter() for a begin/end pair; 6.9 (still in
        # the pinned range) has only the former.
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            self._words = text.lower().split()
            self.endFilterChange()
        else:
            self._words = text.lower().split()
            self.invalidateFilter()

    def _matches(self, row: int) -> bool:
        source = self.sourceModel()
        found = str(source.index(row, 0).data(SEARCH) or "")
        return all(word in found for word in self._words)

    def filterAcceptsRow(self, row: int, parent: _Index) -> bool:
        """Qt: whether source ``row`` is shown."""
        source = self.sourceModel()
        if source.index(row, 0, parent).data(KIND) != "heading":
            return self._matches(row)
        following = row + 1
        while following < source.rowCount() and source.index(following, 0).data(KIND) != "heading":
            if self._matches(following):
                return True
            following += 1
        return False


class ModelPopup(QFrame):
    """A filter field over the list of models and providers.

    Signals:
        chosen(str kind, str value): "model" and its id, or "provider" and its name.
    """

    chosen = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("modelPopup")
        self.filter = QLineEdit(self)
        self.filter.setObjectName("modelFilter")
        self.filter.setPlaceholderText("Search models")
        self.filter.setAccessibleName("Search models")
        leading = QLineEdit.ActionPosition.LeadingPosition
        self.filter.addAction(icons.icon("search", "muted"), leading)
        self.items = QStandardItemModel(self)
        self.proxy = _Filter(self)
        self.proxy.setSourceModel(self.items)
        self.list = QListView(self)
        self.list.setObjectName("modelList")
        self.list.setAccessibleName("Models")
        self.list.setModel(self.proxy)
        self.list.setUniformItemSizes(True)
        self.list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        self.filter.textChanged.connect(self._on_filter_text_changed)
        self.filter.installEventFilter(self)
        self.list.activated.connect(self._on_list_activated)
        self.list.clicked.connect(self._on_list_activated)

    def fill(
        self, models: Sequence[ModelInfo], current_model: str, providers: Sequence[tuple[str, str]]
    ) -> None:
        """List ``models`` (``current_model`` first selected, listed even if the server
        does not) and the other ``providers`` (name, label)."""
        self.items.clear()
        ids = [m.id for m in models]
        if current_model and current_model not in ids:
            models = [ModelInfo(current_model), *models]
        for info in models:
            item = QStandardItem(info.id)
            tip = "\n".join(t for t in (info.display_name, info.description) if t)
            item.setData(plain_tip(tip or info.id), Qt.ItemDataRole.ToolTipRole)
            self._add(item, "model", info.id, f"{info.id} {info.display_name}")
        if providers:
            self._add(QStandardItem("Switch provider"), "heading", "", "")
            for name, label in providers:
                item = QStandardItem(label)
                item.setIcon(icons.icon("key", "muted"))
                item.setToolTip(plain_tip(f"Answer with {label}"))
                self._add(item, "provider", name, f"{label} {name}")
        self.filter.clear()
        self._select(current_model)

    def fitting_height(self) -> int:
        """As tall as the list (at most POPUP_HEIGHT): a short list, a short popup."""
        rows = max(3, self.items.rowCount())
        row = max(self.list.sizeHintForRow(0), self.list.fontMetrics().height() + 10)
        chrome = self.filter.sizeHint().height() + 6 + 16 + 2 * self.list.frameWidth() + 8
        return min(POPUP_HEIGHT, rows * row + chrome)

    def _add(self, item: QStandardItem, kind: str, value: str, search: str) -> None:
        item.setData(kind, KIND)
        item.setData(value, VALUE)
        item.setData(search.lower(), SEARCH)
        item.setEditable(False)
        if kind == "heading":
            item.setSelectable(False)
            item.setEnabled(False)
        self.items.appendRow(item)

    def _select(self, model: str) -> None:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(KIND) == "model" and index.data(VALUE) == model:
                self.list.setCurrentIndex(index)
                self.list.scrollTo(index)
                return
        self._move(0, 1)

    def _move(self, start: int, step: int) -> None:
        """Make the first choosable row from ``start`` on (going ``step``) current."""
        row = start
        while 0 <= row < self.proxy.rowCount():
            index = self.proxy.index(row, 0)
            if index.data(KIND) != "heading":
                self.list.setCurrentIndex(index)
                return
            row += step

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Qt: Up/Down/PageUp/PageDown in the filter move in the list; Enter chooses."""
        if watched is self.filter and isinstance(event, QKeyEvent):
            if event.type() != QEvent.Type.KeyPress:
                return False
            key = event.key()
            current = self.list.currentIndex().row()
            steps = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 8}
            steps[Qt.Key.Key_PageUp] = -8
            if key in steps:
                step = steps[Qt.Key(key)]
                target = max(0, min(self.proxy.rowCount() - 1, current + step))
                self._move(target, 1 if step > 0 else -1)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._on_list_activated(self.list.currentIndex())
                return True
        return super().eventFilter(watched, event)

    def _on_filter_text_changed(self, text: str) -> None:
        self.proxy.set_words(text)
        self._move(0, 1)

    def _on_list_activated(self, index: QModelIndex) -> None:
        kind = index.data(KIND) if index.isValid() else None
        if kind in ("model", "provider"):
            self.hide()
            self.chosen.emit(str(kind), str(index.data(VALUE)))


class ModelPicker(QToolButton):
    """The button that shows "provider · model" and opens the popup.

    Signals:
        model_chosen(str model): the user picked a model of the current provider.
        provider_chosen(str name): the user picked another provider.
    """

    model_chosen = Signal(str)
    provider_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelPicker")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setLayoutDirection(Qt.LayoutDirection.RightToLeft)  # the chevron after the text
        self.setIcon(icons.icon("chevron-down", "muted"))
        self.setIconSize(QSize(16, 16))
        self.setAccessibleName("Model")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        keep_focus_on_click(self)
        self._popup: ModelPopup | None = None  # made when first opened
        self.clicked.connect(self.open_popup)
        self._models: list[ModelInfo] = []
        self._providers: list[tuple[str, str]] = []
        self._provider, self._model, self._label, self._text = "", "", "", ""
        self._whole = QSize()  # the size hint with the whole line shown
        self.show_choice("", "", "")

    def show_choice(self, provider: str, label: str, model: str) -> None:
        """Show provider ``provider`` (its ``label``) and ``model`` as the current choice."""
        self._provider, self._label, self._model = provider, label, model
        text = " · ".join(t for t in (label, model or "default model") if t)
        self._text = text
        self._measure()
        self.setToolTip(plain_tip(f"{text}\nChoose the model (provider · model)"))
        self.setAccessibleDescription(plain_tip(text))

    @property
    def popup(self) -> ModelPopup:
        """The popup, made on first use (not before the window's first paint)."""
        if self._popup is None:
            self._popup = ModelPopup(self)
            self._popup.chosen.connect(self._on_popup_chosen)
        return self._popup

    @property
    def choice(self) -> str:
        """The whole "provider · model" line (the button may show it shortened)."""
        return self._text

    def sizeHint(self) -> QSize:
        """Qt: wide enough for the whole line."""
        return QSize(self._whole)

    def minimumSizeHint(self) -> QSize:
        """Qt: it may shrink to a few letters (the line is elided) in a narrow window."""
        return QSize(96, super().minimumSizeHint().height())

    def changeEvent(self, event: QEvent) -> None:
        """Qt: the style sheet's font (bold) arrives when the button is polished."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._measure()

    def _measure(self) -> None:
        self.setText(self._text)
        self._whole = super().sizeHint()  # the style's own measure of the whole line
        self._elide()
        self.updateGeometry()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Qt: elide the line to the width the bar gives the button."""
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        chrome = self._whole.width() - metrics.horizontalAdvance(self._text)
        room = self.width() - chrome
        shown = self._text
        if self.width() < self._whole.width():
            shown = metrics.elidedText(self._text, Qt.TextElideMode.ElideRight, room)
        if shown != self.text():
            self.setText(shown)

    def set_models(self, models: Sequence[ModelInfo]) -> None:
        """The current provider's models, for the popup."""
        self._models = list(models)

    def set_providers(self, entries: Sequence[tuple[str, str]]) -> None:
        """Every provider a chat can use, (name, label)."""
        self._providers = list(entries)

    def open_popup(self) -> None:
        """Show the popup under the button, the keyboard in its filter field."""
        others = [(n, label) for n, label in self._providers if n != self._provider]
        popup = self.popup
        popup.fill(self._models, self._model, others)
        window = self.window()
        width = min(POPUP_WIDTH, max(240, window.width() - 16))
        popup.resize(width, popup.fitting_height())
        corner = self.mapToGlobal(QPoint(0, self.height() + 2))
        # Kept inside the window: at 480 px the button may sit near its right edge.
        right = window.mapToGlobal(QPoint(window.width() - 8, 0)).x()
        corner.setX(max(window.mapToGlobal(QPoint(8, 0)).x(), min(corner.x(), right - width)))
        popup.move(corner)
        popup.show()
        popup.filter.setFocus(Qt.FocusReason.PopupFocusReason)

    def _on_popup_chosen(self, kind: str, value: str) -> None:
        if kind == "provider":
            self.provider_chosen.emit(value)
        elif value != self._model:
            self.model_chosen.emit(value)

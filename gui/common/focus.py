"""Where the keyboard goes: back to the input after an action, and the window's Tab order.

What a user types after clicking Stop, Retry, a card's button or closing a dialog
belongs in the input. Qt gives focus to whatever was clicked, and moves it to the next
widget in the chain when the focused one is disabled or hidden (Stop turning into a
disabled Send sent it to the settings panel's ×, where Space closed the panel). So:
buttons next to the input never take focus on a click (:func:`keep_focus_on_click`),
and :class:`FocusReturn` gives the keyboard back when a card that holds it goes away
or one of the window's own dialogs closes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget


def holds_focus(widget: QWidget) -> bool:
    """Whether ``widget`` or one of its children has the keyboard."""
    focused = QApplication.focusWidget()
    return focused is not None and (focused is widget or widget.isAncestorOf(focused))


def keep_focus_on_click(*widgets: QWidget) -> None:
    """Tab still reaches ``widgets``; a click on one leaves the keyboard where it was."""
    for widget in widgets:
        widget.setFocusPolicy(Qt.FocusPolicy.TabFocus)


def tab_stops(window: QWidget) -> list[QWidget]:
    """The widgets of ``window``'s focus chain that Tab can stop at, in chain order
    (shown or not). Widgets with a focus proxy (a combo box's line edit) are left out:
    Tab never stops at them, and Qt moves them with their owner."""
    stops: list[QWidget] = []
    widget = window.nextInFocusChain()
    while widget is not None and widget is not window:
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.focusProxy() is None:
            stops.append(widget)
        widget = widget.nextInFocusChain()
    return stops


def order_tab_chain(window: QWidget, groups: Sequence[QWidget]) -> None:
    """Make Tab visit ``groups`` in order, each group a widget and its children (in
    the order they had). Widgets of no group come first, before the first group."""

    def rank(widget: QWidget) -> int:
        for i, group in enumerate(groups):
            if widget is group or group.isAncestorOf(widget):
                return i
        return -1

    ordered = sorted(tab_stops(window), key=rank)  # stable: each group keeps its order
    for first, second in itertools.pairwise(ordered):
        QWidget.setTabOrder(first, second)


class FocusReturn(QObject):
    """Gives the keyboard to ``target()`` (the window's input) when it would be lost.

    - a card watched with :meth:`watch` hides while it (or a child) has the keyboard:
      Qt would pass it to the next widget in the chain;
    - ``window`` is activated again after one of its own dialogs: Qt would give the
      keyboard back to whatever had it before, e.g. the button that opened the dialog.
    """

    def __init__(self, window: QWidget, target: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._target = target
        self._left_for_dialog = False
        window.installEventFilter(self)

    def watch(self, *cards: QWidget) -> None:
        """Give the keyboard back to the input when one of ``cards`` goes away with it."""
        for card in cards:
            card.installEventFilter(self)

    def give_back(self) -> None:
        """Put the keyboard in the input now."""
        self._target()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Qt: hand the keyboard back when a watched card hides or a dialog of the window closes."""
        kind = event.type()
        if watched is self._window:
            if kind == QEvent.Type.WindowDeactivate:
                # Qt has already made the new window the active one.
                self._left_for_dialog = self._is_own_dialog(QApplication.activeWindow())
            elif kind == QEvent.Type.WindowActivate and self._left_for_dialog:
                self._left_for_dialog = False
                self._target()
        elif kind == QEvent.Type.Hide and isinstance(watched, QWidget) and holds_focus(watched):
            # Hide comes before Qt moves the keyboard off a hidden widget; taking it
            # here leaves Qt nothing to move.
            self._target()
        return False

    def _is_own_dialog(self, widget: QWidget | None) -> bool:
        """A dialog of the window's own (a menu or a tooltip is a window too, and a
        menu's action may have put the keyboard somewhere on purpose)."""
        if not isinstance(widget, QDialog):
            return False
        parent = widget.parentWidget()  # isAncestorOf stops at the dialog's own window
        while parent is not None and parent is not self._window:
            parent = parent.parentWidget()
        return parent is self._window

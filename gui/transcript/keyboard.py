"""The keyboard's and screen readers' way into the painted cards.

The cards are painted, so nothing in them is a widget that Tab, Enter or a screen
reader could reach. For each card in view the surface keeps a *proxy*: an invisible
widget over the card (mouse events pass through it to the surface) whose accessible
name says whose message it is ("Your message", "Answer from gemini-2.5-flash") and
whose description is its text. While the surface or one of its buttons has the
keyboard, each proxy also holds a real, focusable button over every painted action of
its card (Copy, Edit, Regenerate, Delete, the version arrows, Retry, a code card's
Copy, the thoughts' fold) and every link in its text, in reading order: Tab and
Shift+Tab walk them, Enter or Space acts as a click would, each has an accessible name
and a tooltip, and the one with the keyboard wears a ring in the theme's link colour.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QAccessible,
    QColor,
    QFocusEvent,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QApplication, QToolButton, QWidget

from rill.core.types import Role
from rill.gui.transcript.chrome import FooterBlock
from rill.gui.transcript.renderers.base import Hit
from rill.gui.transcript.renderers.doc_block import DocBlock

if TYPE_CHECKING:
    from rill.gui.transcript.cards import Card
    from rill.gui.transcript.surface_input import Surface

RING_PX = 2
SPARE_PROXIES = 24  # hidden proxies kept for reuse (more than a view shows)
# Unless one of their buttons has the keyboard, proxies follow the cards at most this
# often: moving a proxy repaints the view under it, and a streamed answer moves every
# card in view each frame (each frame was painted twice). A focused button's ring, and
# the button it moves to, follow at every paint.
FOLLOW_S = 0.25
SETTLE_S = 0.15  # ... and, while the reader scrolls, once it stopped for this long
# What a screen reader says for a button whose painted label is a glyph.
NAMES = {"‹": "Previous version", "›": "Next version", "⧉": "Copy code"}


def message_name(card: Card) -> str:
    """What a screen reader calls the message: whose it is."""
    message = card.shown
    if message.role is Role.USER:
        return "Your message"
    return f"Answer from {message.model or 'the model'}"


def card_hits(card: Card, blocks: range) -> list[tuple[int, Hit]]:
    """(block index, hit) of everything in ``card``'s ``blocks`` a click acts on, in
    reading order: the footer's actions as hovering shows them, links in the text,
    other buttons."""
    out: list[tuple[int, Hit]] = []
    for index in blocks:
        block = card.blocks[index]
        if isinstance(block, FooterBlock):
            shown, block.shown = block.shown, True
            hits = block.hits()
            block.shown = shown
        else:
            hits = block.hits()
        out += [(index, hit) for hit in hits if hit.href]
    return out


def opens_menu(event: QKeyEvent) -> bool:
    """Whether ``event`` is the Menu key or Shift+F10 (a keyboard's context menu)."""
    shift = event.modifiers() == Qt.KeyboardModifier.ShiftModifier
    return event.key() == Qt.Key.Key_Menu or (event.key() == Qt.Key.Key_F10 and shift)


class ActionButton(QToolButton):
    """A focusable stand-in for one painted button or link (it paints only its ring)."""

    def __init__(self, parent: QWidget, hit: Hit, on_focus: Callable[[], None]) -> None:
        super().__init__(parent)
        self.hit = hit
        self._on_focus = on_focus
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.ring = QColor("#0969da")
        self.bind(hit)

    def bind(self, hit: Hit) -> None:
        """Stand in for ``hit`` (a new button, or one reused for another action)."""
        self.hit = hit
        external = not hit.href.startswith("rill:")
        label = hit.text.strip() or hit.href
        name = NAMES.get(label, label)
        self.setText(label)
        self.setAccessibleName(f"Link: {name}" if external else name)
        self.setToolTip(hit.tip or name)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter and Return act, as Space does; the Menu key and Shift+F10 open the
        message's menu (sent to the surface as a keyboard context menu)."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.click()
            return
        if opens_menu(event):
            event.ignore()  # the surface (the viewport's owner) takes it
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        """Show the card's actions and bring the button into view."""
        super().focusInEvent(event)
        self._on_focus()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Nothing but the ring, while it has the keyboard (the card paints the rest)."""
        del event
        if not self.hasFocus():
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(self.ring, RING_PX))
        half = RING_PX / 2
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(half, half, -half, -half), 6, 6)
        painter.end()


class MessageProxy(QWidget):
    """The accessible stand-in of one card in view (see the module docstring)."""

    def __init__(self, parent: QWidget, card: Card) -> None:
        super().__init__(parent)
        self._card: Card | None = card
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.buttons: list[ActionButton] = []
        self.spare: list[ActionButton] = []  # hidden, for the next card's actions
        self._described: tuple[int, bool] = (-1, False)
        self.placed: tuple[object, ...] = ()  # what its buttons were placed for
        self.setAccessibleName(message_name(card))
        self.show()

    @property
    def card(self) -> Card:
        """The card it stands in for (only while it does: see :meth:`retire`)."""
        assert self._card is not None, "a retired proxy stands in for no card"
        return self._card

    def bind(self, card: Card) -> None:
        """Stand in for ``card`` now (a proxy reused after its card left the view)."""
        self._card = card
        self._described = (-1, False)
        self.placed = ()
        self.setAccessibleName(message_name(card))
        self.show()

    def retire(self) -> None:
        """Out of view: hidden, its buttons kept hidden for reuse, and its card let go
        (a spare proxy kept the last card it stood for, so a chat left for another
        kept its longest answer's blocks and documents, 9,000 for 1 MB of dense
        Markdown, until the proxy was used again, and they all went at once then)."""
        self._card = None
        self.hide()
        self.retire_buttons(self.buttons)
        self.buttons = []
        self.placed = ()

    def retire_buttons(self, buttons: list[ActionButton]) -> None:
        """Hide ``buttons`` (none has the keyboard) and keep them for reuse."""
        for button in buttons:
            button.hide()
        self.spare += buttons

    def describe(self) -> None:
        """Give the proxy the card's text (again once the answer settled; while it
        streams, only when a screen reader listens: a frame must not copy 1 MB)."""
        key = (len(self.card.shown.parts), self.card.live)
        if key != self._described or (self.card.live and QAccessible.isActive()):
            self._described = key
            self.setAccessibleName(message_name(self.card))
            self.setAccessibleDescription(self.card.text)

    def has_focus(self) -> bool:
        """Whether one of its buttons has the keyboard."""
        return any(button.hasFocus() for button in self.buttons)


class KeyboardProxies:
    """The proxies of the cards in view, kept in step with the surface's paints."""

    def __init__(self, surface: Surface) -> None:
        self._surface = surface
        self._proxies: dict[int, MessageProxy] = {}
        # Proxies of cards that left the view, hidden, reused for the next ones: a wheel
        # flick brings a dozen cards in, and making their widgets (and dropping the old
        # ones) each step was a good part of its cost. Bounded: the most a view shows.
        self._spare: list[MessageProxy] = []
        self._focused: Card | None = None
        self._synced_at = -FOLLOW_S
        self._later = QTimer(surface)
        self._later.setSingleShot(True)
        self._later.timeout.connect(self._on_later_timeout)

    @property
    def focused_card(self) -> Card | None:
        """The card one of whose buttons has (or last had) the keyboard."""
        return self._focused

    @property
    def proxies(self) -> list[MessageProxy]:
        """The proxies, in the cards' order."""
        return sorted(self._proxies.values(), key=lambda p: p.card.index)

    def buttons(self) -> list[ActionButton]:
        """Every focusable stand-in, in Tab order."""
        return [button for proxy in self.proxies for button in proxy.buttons]

    def active(self) -> bool:
        """Whether the keyboard is on the surface or one of its buttons."""
        focus = QApplication.focusWidget()
        return focus is not None and (
            focus is self._surface or self._surface.viewport().isAncestorOf(focus)
        )

    def sync(self, *, now: bool = False) -> None:
        """Proxies for the cards in view (buttons too while :meth:`active`): ``now``,
        or while a button has the keyboard, or once FOLLOW_S has passed since the last
        time and SETTLE_S since the reader last scrolled (then later, once)."""
        # While the reader scrolls, not until it settles: at a wheel flick's every
        # step the stand-ins of a screenful of new cards moved, and the view under
        # them was painted a second time (the flick's slowest steps).
        due = max(self._synced_at + FOLLOW_S, self._surface.scrolled_at + SETTLE_S)
        wait = due - time.monotonic()
        if wait > 0 and not now and not self._button_focused():
            if not self._later.isActive():
                self._later.start(max(1, round(wait * 1000)))
            return
        self._later.stop()
        self._synced_at = time.monotonic()
        self._sync_now()

    def _on_later_timeout(self) -> None:
        self.sync()  # (later again if the reader is still scrolling)

    def describe(self, card: Card) -> None:
        """Give ``card``'s stand-in, if it has one, the card's text now: a finished
        answer is read whole at once, not when the stand-ins next follow the cards
        (up to FOLLOW_S later, or longer while the reader scrolls)."""
        proxy = self._proxies.get(card.id)
        if proxy is not None and proxy.card is card:
            proxy.describe()

    def forget(self, cards: list[Card]) -> None:
        """``cards`` left the surface: their stand-ins retire now, not at the next sync
        (a hidden pane has none), and the keyboard's card is let go."""
        for card in cards:
            proxy = self._proxies.get(card.id)
            if proxy is not None and proxy.card is card:
                del self._proxies[card.id]
                self._retire(proxy)
        if self._focused is not None and self._focused in cards:
            self._focused = None

    def _button_focused(self) -> bool:
        focus = QApplication.focusWidget()
        return focus is not None and self._surface.viewport().isAncestorOf(focus)

    def _sync_now(self) -> None:
        surface = self._surface
        with_buttons = self.active()
        old, self._proxies = self._proxies, {}
        top = surface.verticalScrollBar().value()
        for card in surface.visible():
            proxy = old.pop(card.id, None)
            if proxy is None or proxy.card is not card:
                if proxy is not None:
                    self._retire(proxy)
                proxy = self._proxy_for(card)
            rect = QRect(surface.column_x, surface.card_top(card.index) - top, 0, card.height)
            rect.setWidth(surface.column)
            if proxy.geometry() != rect:
                proxy.setGeometry(rect)
                surface.paint_asked = True  # (Qt repaints the view under it)
            proxy.describe()
            if with_buttons:
                self._place_buttons(proxy)
            self._proxies[card.id] = proxy
        for card_id, proxy in old.items():
            if proxy.has_focus():  # scrolled away with the keyboard on it: it stays
                self._proxies[card_id] = proxy
            else:
                self._retire(proxy)
        if with_buttons:
            chain: QWidget = surface
            for button in self.buttons():
                QWidget.setTabOrder(chain, button)
                chain = button

    def _proxy_for(self, card: Card) -> MessageProxy:
        if self._spare:
            proxy = self._spare.pop()
            proxy.bind(card)
            return proxy
        return MessageProxy(self._surface.viewport(), card)

    def _retire(self, proxy: MessageProxy) -> None:
        if len(self._spare) >= SPARE_PROXIES:
            proxy.deleteLater()
            return
        proxy.retire()
        self._spare.append(proxy)

    def _place_buttons(self, proxy: MessageProxy) -> None:
        card = proxy.card
        surface = self._surface
        # Every paint syncs (a streamed frame too): a card that neither moved nor
        # changed keeps its buttons, without asking its blocks for their hits again.
        blocks = card.blocks
        key = (
            proxy.geometry().getRect(), surface.viewport().height(), card.live,
            len(blocks), id(blocks[-1]) if blocks else 0, surface.context.palette.link,
            surface.context.hits_moved,
        )  # fmt: skip
        if key == proxy.placed and not card.live:
            return
        proxy.placed = key
        tops = card.block_tops(surface.column)
        y = proxy.pos().y()  # the card's top in the view: only blocks in view count
        height = surface.viewport().height()
        first = max(0, bisect.bisect_right(tops, -y) - 1)
        last = first
        while last < len(card.blocks) and y + tops[last] < height:
            last += 1
        wanted = [] if card.live else card_hits(card, range(first, last))
        buttons = proxy.buttons
        same = len(buttons) == len(wanted) and all(
            b.hit.href == hit.href and b.hit.text == hit.text
            for b, (_i, hit) in zip(buttons, wanted, strict=True)
        )
        if not same:
            proxy.retire_buttons([b for b in buttons if not b.hasFocus()])
            kept = [b for b in buttons if b.hasFocus()]
            buttons = []
            for _index, hit in wanted:
                match = next((b for b in kept if b.hit.href == hit.href), None)
                button = match or self._button(proxy, hit)
                buttons.append(button)
            proxy.retire_buttons([stale for stale in kept if stale not in buttons])
            proxy.buttons = buttons
        origin = proxy.pos()
        ring = QColor(self._surface.context.palette.link)
        for button, (index, hit) in zip(proxy.buttons, wanted, strict=True):
            button.hit = hit
            button.ring = ring
            at = self._surface.block_origin(card, index) - origin
            rect = hit.rect.translated(at).adjusted(-RING_PX, -RING_PX, RING_PX, RING_PX)
            if isinstance(card.blocks[index], DocBlock):  # a link: its first character
                rect.setWidth(max(rect.width(), 12))
            if button.geometry() != rect:
                button.setGeometry(rect)
            button.show()

    def _button(self, proxy: MessageProxy, hit: Hit) -> ActionButton:
        if proxy.spare:
            button = proxy.spare.pop()
            button.bind(hit)
            return button
        button = ActionButton(proxy, hit, lambda: self._on_button_focused(proxy))
        button.clicked.connect(
            lambda: self._surface.activated.emit(button.hit.href, button.hit.text)
        )
        return button

    def _on_button_focused(self, proxy: MessageProxy) -> None:
        card = proxy.card
        if self._focused is not None and self._focused is not card:
            self._focused.set_hovered(False)
        self._focused = card
        card.set_hovered(True)  # its actions show, as on hover
        surface = self._surface
        view = surface.viewport().rect()
        if not view.contains(proxy.geometry().topLeft()) and not view.contains(
            proxy.geometry().bottomLeft()
        ):
            surface.scroll_to_card(card.index)
        surface.viewport().update()

    def focus_left(self) -> None:
        """The keyboard left the surface and its buttons: the actions hide again."""
        if self._focused is not None and not self.active():
            self._focused.set_hovered(False)
            self._focused = None
            self._surface.viewport().update()

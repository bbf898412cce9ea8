"""The surface's input: links and buttons on click, hover, selection, copy, the wheel,
keys, tooltips and context menus.

A click acts only when press and release land on the same link or button; what it
does is the view's business (``activated``). Selection runs from a press to a release
across blocks and messages; Ctrl+C copies it as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QFocusEvent,
    QGuiApplication,
    QHelpEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QMenu, QToolTip, QWidget

from rill.gui.common import plain_tip
from rill.gui.transcript.cards import Card
from rill.gui.transcript.keyboard import KeyboardProxies, opens_menu
from rill.gui.transcript.renderers.base import Block, Context, Hit, join_lines
from rill.gui.transcript.surface import SurfaceGeometry

# A message's own entries in the context menu: (label, rill: action on the card).
MESSAGE_MENU = (
    ("Copy message (Markdown)", "copy-message"),
    ("Copy message as plain text", "copy-plain"),
    ("Save message as…", "save-message"),
)


@dataclass(frozen=True, slots=True)
class Spot:
    """A text position: card, block within it, position within the block."""

    card: Card
    block: int
    position: int

    def key(self) -> tuple[int, int, int]:
        """Reading order."""
        return (self.card.index, self.block, self.position)


class Surface(SurfaceGeometry):
    """The chat surface (see ``surface``), with its input.

    Signals:
        activated(str href, str text): a link or button was clicked (``href`` is an
            http/https/mailto link or a ``rill:`` action; ``text`` what it shows).
        hovered(str tip): the pointer is on a link ("" when it left it); the tip is
            the link's real address.
        viewport_painted(): a paint of the view finished.
    """

    activated = Signal(str, str)
    hovered = Signal(str)
    viewport_painted = Signal()

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.viewport().setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._press: Hit | None = None
        self._hover_card: Card | None = None
        self._hover_tip = ""
        self._anchor_spot: Spot | None = None
        self._focus_spot: Spot | None = None
        self._selected: list[Block] = []
        self.menu: QMenu | None = None
        self.setAccessibleName("Conversation")
        self.keyboard = KeyboardProxies(self)

    def focusInEvent(self, event: QFocusEvent) -> None:
        """The keyboard arrived: the actions of the cards in view become Tab stops."""
        super().focusInEvent(event)
        self.keyboard.sync(now=True)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        """The keyboard left (maybe only for one of the cards' buttons)."""
        super().focusOutEvent(event)
        QTimer.singleShot(0, self.keyboard.focus_left)

    def forget(self, cards: list[Card]) -> None:
        """Cards that left the surface: nothing here keeps them (a selection in one, or
        its stand-in, held the card, and so all its blocks and documents)."""
        super().forget(cards)
        spots = (self._anchor_spot, self._focus_spot)
        if any(spot is not None and spot.card in cards for spot in spots):
            self._clear_selection()
        self.keyboard.forget(cards)

    def after_paint(self) -> None:
        """Keep the cards' keyboard and screen-reader stand-ins in step, and announce
        the paint (the benchmarks' and tests' "painted" mark)."""
        self.keyboard.sync()
        self.viewport_painted.emit()

    # ------------------------------------------------------------ mouse

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Hover (actions, link tips, the pointer's shape) or extend a selection."""
        pos = event.position().toPoint()
        found = self.block_at(pos)
        self._set_hover_card(found[0] if found is not None else None)
        if self._anchor_spot is not None and event.buttons() & Qt.MouseButton.LeftButton:
            spot = self._spot_at(pos)
            if spot is not None:
                self._focus_spot = spot
                self._apply_selection()
            return
        hit = found[2].hit_at(found[3]) if found is not None else None
        tip = hit.tip if hit is not None else ""
        if tip != self._hover_tip:
            self._hover_tip = tip
            self.hovered.emit(tip)
        selectable = found is not None and found[2].position_at(found[3]) is not None
        shape = (
            Qt.CursorShape.PointingHandCursor
            if hit is not None
            else Qt.CursorShape.IBeamCursor
            if selectable
            else Qt.CursorShape.ArrowCursor
        )
        self.viewport().setCursor(shape)

    def _set_hover_card(self, card: Card | None) -> None:
        if card is self._hover_card:
            return
        if self._hover_card is not None:
            self._hover_card.set_hovered(False)
        self._hover_card = card
        if card is not None:
            card.set_hovered(True)
        self.viewport().update()

    def leaveEvent(self, event: QEvent) -> None:
        """The pointer left: no hover, no link tip."""
        super().leaveEvent(event)
        self._left()

    def _left(self) -> None:
        self._set_hover_card(None)
        if self._hover_tip:
            self._hover_tip = ""
            self.hovered.emit("")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A press on a button or link arms it; elsewhere it starts a selection."""
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        pos = event.position().toPoint()
        found = self.block_at(pos)
        self._press = found[2].hit_at(found[3]) if found is not None else None
        self._clear_selection()
        if self._press is None:
            self._anchor_spot = self._focus_spot = self._spot_at(pos)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """A click acts when it ends on what it started on."""
        if event.button() != Qt.MouseButton.LeftButton:
            super().mouseReleaseEvent(event)
            return
        pos = event.position().toPoint()
        pressed, self._press = self._press, None
        found = self.block_at(pos)
        if pressed is not None and found is not None:
            hit = found[2].hit_at(found[3])
            if hit is not None and hit.href == pressed.href:
                self.activated.emit(hit.href, hit.text)
        if self._anchor_spot is not None and self._focus_spot == self._anchor_spot:
            self._anchor_spot = self._focus_spot = None  # a click, not a selection

    def _spot_at(self, pos: QPoint) -> Spot | None:
        found = self.block_at(pos)
        if found is None:
            return None
        card, index, block, local = found
        position = block.position_at(local)
        return Spot(card, index, position) if position is not None else None

    # ------------------------------------------------------------ selection

    def clear_selection(self) -> None:
        """Select nothing."""
        self._clear_selection()

    def show_range(
        self,
        card: Card,
        block: int,
        start: int,
        end: int,
        margin: int,
        *,
        end_block: int | None = None,
    ) -> None:
        """Select from ``start`` of block ``block`` of the built ``card`` to ``end`` of
        the same block (or of ``end_block``) and scroll the start's line to ``margin``
        px under the top of the view (a find's match)."""
        self._clear_selection()
        self._anchor_spot = Spot(card, block, start)
        self._focus_spot = Spot(card, block if end_block is None else end_block, end)
        self._apply_selection()
        for _ in range(2):  # once to lay the block out, once more to its line
            column = self.column
            target = card.blocks[block]
            if target.needs_layout(column):
                target.layout(column)
            self.card_changed(card)
            self.scroll_to_card(card.index, margin - target.position_y(start), block)
            self.lay_out_visible()

    def _clear_selection(self) -> None:
        for block in self._selected:
            block.set_selection(0, 0)
        self._selected = []
        self._anchor_spot = self._focus_spot = None
        self.viewport().update()

    def _ordered(self) -> tuple[Spot, Spot] | None:
        a, b = self._anchor_spot, self._focus_spot
        if a is None or b is None:
            return None
        return (a, b) if a.key() <= b.key() else (b, a)

    def _selection_ranges(self) -> list[tuple[Block, int, int]]:
        ordered = self._ordered()
        if ordered is None:
            return []
        start, end = ordered
        out: list[tuple[Block, int, int]] = []
        for index in range(start.card.index, end.card.index + 1):
            card = self.cards[index]
            blocks = card.blocks
            first = start.block if card is start.card else 0
            last = end.block if card is end.card else len(blocks) - 1
            for j in range(first, min(last, len(blocks) - 1) + 1):
                block = blocks[j]
                if not block.text_length:
                    continue
                lo = start.position if (card is start.card and j == start.block) else 0
                hi = end.position if (card is end.card and j == end.block) else block.text_length
                out.append((block, lo, hi))
        return out

    def _apply_selection(self) -> None:
        for block in self._selected:
            block.set_selection(0, 0)
        ranges = self._selection_ranges()
        for block, lo, hi in ranges:
            block.set_selection(lo, hi)
        self._selected = [block for block, _, _ in ranges]
        self.viewport().update()

    def selected_text(self) -> str:
        """The selection as plain text (blocks on lines of their own, except a piece of
        the line before: see ``join_lines``)."""
        return join_lines(
            (block.selected_text(lo, hi), lo == 0 and block.continues_line)
            for block, lo, hi in self._selection_ranges()
        )

    def select_all_of(self, card: Card) -> None:
        """Select everything ``card`` shows (tests; "select all" of a message)."""
        blocks = card.blocks
        spots = [j for j, b in enumerate(blocks) if b.text_length]
        if not spots:
            return
        self._anchor_spot = Spot(card, spots[0], 0)
        self._focus_spot = Spot(card, spots[-1], blocks[spots[-1]].text_length)
        self._apply_selection()

    # ------------------------------------------------------------ keys, wheel, menus

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Copy, and Home/End (the scroll area does the page keys)."""
        if event.matches(QKeySequence.StandardKey.Copy):
            text = self.selected_text()
            if text:
                QGuiApplication.clipboard().setText(text)
            return
        if opens_menu(event):
            origin = self.viewport().mapToGlobal(QPoint(0, 0))
            keyboard = QContextMenuEvent.Reason.Keyboard
            self.contextMenuEvent(QContextMenuEvent(keyboard, QPoint(0, 0), origin))
            return
        bar = self.verticalScrollBar()
        if event.key() == Qt.Key.Key_Home:
            bar.setValue(0)
        elif event.key() == Qt.Key.Key_End:
            self.scroll_to_bottom()
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        """A block that scrolls sideways (code) takes its wheel; the rest scrolls."""
        found = self.block_at(event.position().toPoint())
        if found is not None and found[2].wheel(event, found[3]):
            self.viewport().update()
            event.accept()
            return
        super().wheelEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:
        """Tooltips: a link's real address, a button's purpose; leaving ends a hover."""
        if event.type() == QEvent.Type.Leave:
            self._left()
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            found = self.block_at(event.pos())
            hit = found[2].hit_at(found[3]) if found is not None else None
            if hit is not None and hit.tip:
                QToolTip.showText(event.globalPos(), plain_tip(hit.tip), self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        """Copy (a selection); the message's Copy as Markdown, Copy as plain text and
        Save as…; and what the block offers (Save image as…, Copy image). From the
        keyboard (the Menu key, Shift+F10): the message whose button has the keyboard,
        else the last one in view."""
        mouse = event.reason() == QContextMenuEvent.Reason.Mouse
        found = self.block_at(event.pos()) if mouse else None
        card = found[0] if found is not None else None if mouse else self._keyboard_card()
        entries = found[2].menu_actions(found[3]) if found is not None else []
        text = self.selected_text()
        if card is None and not entries and not text:
            return
        menu = QMenu(self)
        if text:
            menu.addAction("Copy", lambda: QGuiApplication.clipboard().setText(text))
        if card is not None:
            for label, action in MESSAGE_MENU:
                menu.addAction(label, partial(self.activated.emit, f"rill:{action}/{card.id}", ""))
        if entries:
            menu.addSeparator()
        for label, href in entries:
            menu.addAction(label, partial(self.activated.emit, href, ""))
        menu.aboutToHide.connect(menu.deleteLater)
        self.menu = menu
        where = event.globalPos() if mouse else self.viewport().mapToGlobal(self._menu_spot(card))
        menu.popup(where)

    def _keyboard_card(self) -> Card | None:
        card = self.keyboard.focused_card
        if (
            card is not None
            and 0 <= card.index < len(self.cards)
            and self.cards[card.index] is card
        ):
            return card
        visible = list(self.visible())
        return visible[-1] if visible else None

    def _menu_spot(self, card: Card | None) -> QPoint:
        """Where a keyboard-opened menu appears: at the card's top, in the column."""
        if card is None:
            return QPoint(self.column_x, 0)
        y = self.card_top(card.index) - self.verticalScrollBar().value()
        return QPoint(self.column_x + 24, max(0, min(self.viewport().height() - 24, y + 24)))

    # ------------------------------------------------------------ finding things

    def locate(self, href: str, nth: int = 0) -> QPoint | None:
        """Bring the ``nth`` link or button to ``href`` into view (newest first) and return
        its centre in viewport coordinates; None when no card has it."""
        seen = 0
        column = self.column
        for card in reversed(self.cards):
            was = card.hovered
            card.set_hovered(True)  # the footer's actions show on hover
            blocks = card.blocks
            for j, block in enumerate(blocks):
                if block.needs_layout(column):
                    block.layout(column)
                for hit in block.hits():
                    if hit.href != href:
                        continue
                    if seen < nth:
                        seen += 1
                        continue
                    self.card_changed(card)
                    self.scroll_to_card(card.index, margin=60, block=j)
                    self.lay_out_visible()
                    self._set_hover_card(card)  # as the pointer on its way there would
                    card.set_hovered(True)
                    return self.block_origin(card, j) + hit.rect.center()
            card.set_hovered(was)
        return None

    def all_hits(self) -> list[Hit]:
        """Every link and button of every card (builds and lays out all: tests only)."""
        column = self.column
        out: list[Hit] = []
        for card in self.cards:
            card.set_hovered(True)
            for block in card.blocks:
                if block.needs_layout(column):
                    block.layout(column)
                out += block.hits()
            card.set_hovered(False)
        return out

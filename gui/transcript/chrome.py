"""The chrome of a card: the user's bubble and the footer row of every message.

The footer holds the ‹ n/m › version switcher (always, when there are versions), the
facts under an answer (model, tokens, speed), and the message's actions as small
buttons that show only while the pointer is on the card or it has the keyboard.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter

from rill.core.file_parts import file_label, kind_of
from rill.core.types import Message, Part
from rill.gui.common import FILE_BADGES, FILE_LINK_BADGE, icons
from rill.gui.transcript.message_html import Palette, TurnInfo
from rill.gui.transcript.renderers.base import Block, Context, Hit
from rill.gui.transcript.renderers.doc_block import DocBlock
from rill.gui.transcript.renderers.lines import small_font

ROW_PX = 32  # the footer row: buttons are 28 px, the version switcher too
BUTTON_PX = 28
BUBBLE_PAD_PX = 12
BUBBLE_RADIUS_PX = 14
BUBBLE_SHARE = 0.8  # a user bubble is at most this much of the column
USER_CHUNK_CHARS = 8_000  # a long user turn is several blocks of about this much


ICON_PX = 18  # an action's icon inside its 28 px button


@dataclass(frozen=True, slots=True)
class Action:
    """A footer button: its ``rill:`` action, name (what a screen reader says),
    tooltip, and icon (one of ``rill.gui.common.icons.NAMES``; "" shows the name)."""

    action: str
    label: str
    tip: str
    icon: str = ""


def user_actions(info: TurnInfo) -> list[Action]:
    """Edit, Copy, Delete (only Copy for a pane that cannot act on turns)."""
    copy = Action("copy-message", "Copy", "Copy this message (Markdown)", "copy")
    if not info.actions:
        return [copy]
    return [
        Action("edit", "Edit", "Edit this message and send it again", "edit"),
        copy,
        Action("delete", "Delete", "Delete this message and what follows", "delete"),
    ]


def answer_actions(
    message: Message, info: TurnInfo, *, regenerate: bool, retry: bool
) -> list[Action]:
    """Copy (when there is text), Regenerate (or Retry), Delete."""
    out = [Action("copy-message", "Copy", "Copy this answer (Markdown)", "copy")]
    out = out if message.text else []
    if info.actions:
        if regenerate:
            label = "Retry" if retry else "Regenerate"
            out.append(
                Action("regenerate", label, f"{label}: ask for this answer again", "regenerate")
            )
        out.append(Action("delete", "Delete", "Delete this answer", "delete"))
    return out


class FooterBlock(Block):
    """The row under a message: versions, facts, and actions on hover or focus."""

    def __init__(
        self,
        context: Context,
        card_id: int,
        info: TurnInfo,
        actions: list[Action],
        facts: list[str],
        *,
        align_right: bool = False,
    ) -> None:
        super().__init__()
        self.context = context
        self.card_id = card_id
        self.info = info
        self.actions = actions
        self.facts = " · ".join(facts)
        self.align_right = align_right
        self.shown = False  # the card is hovered or focused: the buttons show

    def estimate(self, column: int) -> int:
        """One row."""
        del column
        return ROW_PX

    def layout(self, column: int) -> int:
        """One row at the column's width."""
        self.width, self.height = column, ROW_PX
        self.laid_at, self.dirty = column, False
        return self.height

    def _buttons(self) -> list[tuple[str, str, str, QRect, str]]:
        """(href, label, tip, rect, icon) for every button, in reading order; an
        href of "" is a part of the switcher that does not act (shown muted)."""
        metrics = QFontMetrics(small_font(self.context))
        items: list[tuple[str, str, str, str]] = []
        info = self.info
        if info.versions > 1:
            card, version = self.card_id, info.version
            back = f"rill:version/{card}/{version - 1}" if version > 1 else ""
            ahead = f"rill:version/{card}/{version + 1}" if version < info.versions else ""
            items.append((back, "Previous version", "Previous version", "chevron-left"))
            items.append(("", f"{version}/{info.versions}", "", ""))
            items.append((ahead, "Next version", "Next version", "chevron-right"))
        if self.shown:
            items += [
                (f"rill:{a.action}/{self.card_id}", a.label, a.tip, a.icon) for a in self.actions
            ]
        widths = [
            BUTTON_PX if icon else max(BUTTON_PX, metrics.horizontalAdvance(label) + 16)
            for _, label, _, icon in items
        ]
        top = (ROW_PX - BUTTON_PX) // 2
        out: list[tuple[str, str, str, QRect, str]] = []
        x = self.width - sum(widths) - 4 * (len(widths) - 1) if self.align_right else 0
        for (href, label, tip, icon), width in zip(items, widths, strict=True):
            out.append((href, label, tip, QRect(x, top, width, BUTTON_PX), icon))
            x += width + 4
        return out

    def paint(self, painter: QPainter, clip: QRect) -> None:
        """Switcher and buttons, then the facts in the room left."""
        del clip
        palette = self.context.palette
        font = small_font(self.context)
        painter.save()
        painter.setFont(font)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        right = 0
        left = self.width
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        for href, label, _tip, rect, icon in self._buttons():
            if icon:
                # Acting: the text colour; a switcher end with nowhere to go: muted.
                token = "text" if href else "muted"
                pixmap = icons.pixmap(icon, ICON_PX, token, dark=palette.dark, ratio=ratio)
                inset = (BUTTON_PX - ICON_PX) // 2
                painter.drawPixmap(rect.topLeft() + QPoint(inset, inset), pixmap)
            else:
                painter.setPen(QColor(palette.link if href else palette.muted))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
            right, left = max(right, rect.right()), min(left, rect.left())
        if self.facts:
            painter.setPen(QColor(palette.muted))
            metrics = QFontMetrics(font)
            if self.align_right:
                room = QRect(0, 0, max(0, left - 12), ROW_PX)
                align = Qt.AlignmentFlag.AlignRight
            else:
                start = right + 12 if right else 0
                room = QRect(start, 0, max(0, self.width - start), ROW_PX)
                align = Qt.AlignmentFlag.AlignLeft
            text = metrics.elidedText(self.facts, Qt.TextElideMode.ElideRight, room.width())
            painter.drawText(room, align | Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()

    def hits(self) -> list[Hit]:
        """The buttons that act."""
        return [
            Hit(href, rect, tip, label) for href, label, tip, rect, _ in self._buttons() if href
        ]

    def text(self) -> str:
        """The switcher and the facts, as the old pane's text had them."""
        switcher = f"‹ {self.info.version}/{self.info.versions} ›" if self.info.versions > 1 else ""
        return "   ".join(bit for bit in (switcher, self.facts) if bit)


class BubbleBlock(Block):
    """A piece of the user's text in a rounded, tinted bubble at the right."""

    align_right = True

    def __init__(self, context: Context, text: str, *, first: bool, last: bool) -> None:
        super().__init__()
        self.context = context
        self.first, self.last = first, last
        self.body = DocBlock(context, prose=False)
        self.body.shrink = first and last
        self.body.chars = 2 * len(text)  # for estimates until the text goes in
        self.source = text
        self._filled = False  # the text goes into the document at the first layout

    def _fill(self) -> None:
        if not self._filled:
            self._filled = True
            # (The block puts break opportunities into long runs: soft_breaks.)
            escaped = html.escape(self.source).replace("\n", "<br/>")
            self.body.add(f'<p style="margin:0px;">{escaped}</p>')

    def _pad(self) -> tuple[int, int]:
        return (BUBBLE_PAD_PX if self.first else 0, BUBBLE_PAD_PX if self.last else 0)

    def estimate(self, column: int) -> int:
        """The text's guess plus padding."""
        if self.laid_at == column and not self.dirty:
            return self.height
        top, bottom = self._pad()
        return self.body.estimate(int(column * BUBBLE_SHARE)) + top + bottom

    def layout(self, column: int) -> int:
        """As wide as its text up to 80 % of the column (a long turn: all of that)."""
        self._fill()
        inner = max(80, math.floor(column * BUBBLE_SHARE) - 2 * BUBBLE_PAD_PX)
        self.body.max_width = inner
        self.body.layout(inner)
        top, bottom = self._pad()
        self.width = self.body.width + 2 * BUBBLE_PAD_PX
        self.height = top + self.body.height + bottom
        self.laid_at, self.dirty = column, False
        return self.height

    def paint(self, painter: QPainter, clip: QRect) -> None:
        """The bubble (rounded at its ends), then the text."""
        palette = self.context.palette
        top, _bottom = self._pad()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(palette.user_bubble))
        radius = BUBBLE_RADIUS_PX
        extend_top = 0 if self.first else radius
        extend_bottom = 0 if self.last else radius
        painter.setClipRect(QRect(0, 0, self.width, self.height))
        painter.drawRoundedRect(
            QRectF(0, -extend_top, self.width, self.height + extend_top + extend_bottom),
            radius, radius,
        )  # fmt: skip
        painter.setClipping(False)
        painter.translate(BUBBLE_PAD_PX, top)
        self.body.paint(painter, clip.translated(-BUBBLE_PAD_PX, -top))
        painter.restore()

    def hit_at(self, pos: QPoint) -> Hit | None:
        """Nothing: the user's text is plain, never linked."""
        del pos
        return None

    def text(self) -> str:
        """The piece of text."""
        return self.source

    @property
    def text_length(self) -> int:
        """Selectable positions."""
        self._fill()
        return self.body.text_length

    def position_at(self, pos: QPoint) -> int | None:
        """A position in the text."""
        self._fill()
        return self.body.position_at(pos - QPoint(BUBBLE_PAD_PX, self._pad()[0]))

    def set_selection(self, start: int, end: int) -> None:
        """Select text."""
        self.body.set_selection(start, end)

    def selected_text(self, start: int, end: int) -> str:
        """The selected text."""
        self._fill()
        return self.body.selected_text(start, end)

    def search_text(self) -> str:
        """The user's text, one character per position."""
        self._fill()
        return self.body.search_text()

    def position_y(self, position: int) -> int:
        """Inside the padding, the line holding ``position``."""
        return self._pad()[0] + self.body.position_y(position)


def user_chunks(text: str) -> list[str]:
    """The user's text cut into pieces of about USER_CHUNK_CHARS at paragraph breaks
    (a single long line at that length), so no bubble block lays out a huge text."""
    if len(text) <= USER_CHUNK_CHARS:
        return [text] if text else []
    out: list[str] = []
    at = 0
    while at < len(text):
        end = min(len(text), at + USER_CHUNK_CHARS)
        if end < len(text):
            cut = text.rfind("\n", at + USER_CHUNK_CHARS // 2, end)
            end = cut + 1 if cut > 0 else end
        out.append(text[at:end].removesuffix("\n"))
        at = end
    return out


def file_tiles(files: list[Part], palette: Palette) -> str:
    """A turn's documents, audio and video as tiles, as the composer showed them: one
    row each in a small table (Qt's rich text has no inline boxes), a badge in the
    kind's colour under its extension, then the name, kind and size. All escaped."""
    rows = []
    for part in files:
        kind = kind_of(part.mime_type)
        name = file_label(part)
        extension = name.rsplit(".", 1)[-1] if "." in name else kind.value
        badge = FILE_BADGES.get(kind.value, FILE_BADGES["other"])
        if part.data is None:
            badge, size = FILE_LINK_BADGE, "by reference"
        else:
            count = len(part.data)
            mb = count >= 1048576
            size = f"{count / 1048576:.1f} MB" if mb else f"{max(1, count // 1024)} KB"
        rows.append(
            f'<tr><td width="44" align="center" valign="middle" '
            f'style="background-color:{badge}; color:#ffffff; font-weight:600;">'
            f"{html.escape(extension[:4].upper())}</td>"
            f'<td style="background-color:{palette.base};">'
            f"{html.escape(name)}<br/>"
            f'<span style="color:{palette.muted};">{html.escape(kind.value)} · {size}</span>'
            "</td></tr>"
        )
    return f'<table cellspacing="4" cellpadding="6">{"".join(rows)}</table>'

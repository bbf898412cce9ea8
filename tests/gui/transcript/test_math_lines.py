"""A prose line holding an inline formula: as tall as its neighbours when the formula is
shallow, the formula's baseline on the line's, a deep formula whole in a taller line."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo, QImage, QPainter, QTextBlock, QTextDocument, QTextLine
from pytestqt.qtbot import QtBot

from rill.core.markdown.typeset import Typeset, typeset
from rill.gui.transcript.math import MATH_SCALE, OBJECT, RESULTS
from rill.gui.transcript.view import ChatView
from tests.gui.support.chat_view_support import finished, make_view, user
from tests.gui.transcript.test_math_view import documents, wait_typeset

SHALLOW = ["x^2", r"\alpha + \beta", r"e^{i\pi}"]
DEEP = [r"\frac{a}{b}", "x_{i,j}", r"\sum_{i=1}^n"]
SMALL = ["x", "y"]  # lower than the text: Qt centres them in the line


def paragraph(tex: str) -> str:
    """Three lines of one paragraph (hard breaks), the formula in the middle one."""
    return f"Plain words before it,\\\nthen ${tex}$ in a line,\\\nand plain words after."


def math_px(view: ChatView) -> float:
    return round(QFontInfo(view.context.font).pixelSize() * MATH_SCALE, 1)


def show(qtbot: QtBot, texts: list[str], make: Callable[[str, float], Typeset]) -> ChatView:
    """A view showing a paragraph per formula, each typeset by ``make`` (no worker)."""
    view = make_view(qtbot)
    for tex in texts:
        RESULTS.put((tex, False, math_px(view)), make(tex, math_px(view)))
    text = "\n\n".join(paragraph(tex) for tex in texts)
    view.set_messages([user("Maths"), finished(text)])
    wait_typeset(qtbot, view)
    return view


def formula_lines(view: ChatView) -> list[tuple[QTextDocument, QTextBlock, QTextLine, int]]:
    """(document, paragraph, line, position) of each formula, in order."""
    out = []
    for document in documents(view):
        found = document.find(OBJECT, 0)
        while not found.isNull():
            block = found.block()
            at = found.selectionStart() - block.position()
            out.append((document, block, block.layout().lineForTextPosition(at), at))
            found = document.find(OBJECT, found.selectionEnd())
    return out


def inline(tex: str, size: float) -> Typeset:
    result = typeset(tex, False, size)
    assert isinstance(result, Typeset)
    return result


def pitches(block: QTextBlock) -> list[float]:
    """The distance from each line's top to the next's, in one paragraph."""
    layout = block.layout()
    tops = [layout.lineAt(n).y() for n in range(layout.lineCount())]
    return [below - above for above, below in itertools.pairwise(tops)]


def test_a_shallow_formula_leaves_its_line_as_tall_as_the_others(qtbot: QtBot) -> None:
    view = show(qtbot, SHALLOW, inline)
    lines = formula_lines(view)
    assert len(lines) == len(SHALLOW)
    for tex, (_, block, line, _) in zip(SHALLOW, lines, strict=True):
        assert line.lineNumber() == 1, tex
        plain, with_formula = pitches(block)
        assert abs(with_formula - plain) <= 2, (tex, plain, with_formula)


def test_a_deep_formula_is_whole_in_a_taller_line(qtbot: QtBot) -> None:
    view = show(qtbot, DEEP, inline)
    for tex, (_, block, line, _) in zip(DEEP, formula_lines(view), strict=True):
        result = inline(tex, math_px(view))
        plain, with_formula = pitches(block)
        assert with_formula >= plain, tex
        # The line makes room for all of the formula: nothing reaches into its neighbours.
        assert line.ascent() >= result.height - result.depth - 0.5, tex
        assert line.descent() >= result.depth - 0.5, tex


def bar(tex: str, size: float) -> Typeset:
    """A stand-in for ``tex`` typeset: its box, with ink only in the pixel row just above
    its baseline (where the formula's baseline is, in the picture)."""
    real = inline(tex[1:-1], size)  # "{x^2}": its own pictures, not those of "x^2"
    ascent = real.height - real.depth
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{real.width}" '
        f'height="{real.height}" viewBox="0 0 {real.width} {real.height}">'
        f'<rect x="0" y="{ascent - 1}" width="{real.width}" height="1"/></svg>'
    )
    return Typeset(svg.encode(), real.width, real.height, real.depth)


def test_each_formula_sits_on_its_lines_baseline(qtbot: QtBot) -> None:
    texts = [f"{{{tex}}}" for tex in SHALLOW + DEEP + SMALL]
    view = show(qtbot, texts, bar)
    for tex, (document, block, line, at) in zip(texts, formula_lines(view), strict=True):
        picture = QImage(document.size().toSize(), QImage.Format.Format_ARGB32_Premultiplied)
        picture.fill(Qt.GlobalColor.transparent)
        painter = QPainter(picture)
        document.drawContents(painter)
        painter.end()
        x = round(line.cursorToX(at)[0] + 2)  # inside the formula, clear of text
        top = block.layout().position().y() + line.y()
        rows = range(int(top), min(picture.height(), int(top + line.height()) + 1))
        inked = [y for y in rows if picture.pixelColor(x, y).alpha()]
        assert inked, tex
        # The bar's bottom edge, to a fraction of a pixel (antialiased coverage).
        edge = inked[-1] + picture.pixelColor(x, inked[-1]).alphaF()
        baseline = top + line.ascent()
        assert abs(edge - baseline) <= 1, (tex, edge, baseline)

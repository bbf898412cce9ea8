"""Formulas in the chat pane: typeset images after they land, both themes, Copy, no fetching."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor, QImage, QTextDocument
from pytestqt.qtbot import QtBot

from rill.core.markdown.math import parse_math_name
from rill.gui.transcript import message_html as chrome
from rill.gui.transcript.math import OBJECT, DocumentMath, MathStyle, source_image
from rill.gui.transcript.renderers.doc_block import DocBlock
from rill.gui.transcript.view import ChatView
from tests.gui.support.chat_view_support import finished, frame, make_view, streaming, user
from tests.gui.transcript.test_chat_view_security import CountingServer

ANSWER = r"""Euler's identity $e^{i\pi}+1=0$ and \(a^2 + b^2 = c^2\) in a line; it costs $5 and $10.

$$
\sum_{n=1}^{\infty} \frac{1}{n^2} = \frac{\pi^2}{6}
$$

And \[ x_{1,2} = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a} \] then `$code$` and $\nosuchcommand{x}$.
"""
TYPESET_TIMEOUT_MS = 60_000  # the first formula waits for the worker process to start
IMAGE = QTextDocument.ResourceType.ImageResource.value


@pytest.fixture
def server() -> Iterator[CountingServer]:
    made = CountingServer()
    yield made
    made.close()


def documents(view: ChatView) -> list[QTextDocument]:
    """The text documents of every card's blocks, in order (each card built)."""
    out: list[QTextDocument] = []
    for card in view.cards:
        card.build()
        out += [block.doc for block in card.blocks if isinstance(block, DocBlock)]
    return out


def maths(view: ChatView) -> list[DocumentMath]:
    """The formulas' keepers of the documents that hold formulas."""
    return [doc.math for doc in documents(view) if doc.math is not None]  # type: ignore[attr-defined]


def pending(view: ChatView) -> bool:
    return any(math.pending for math in maths(view))


def style(view: ChatView) -> MathStyle:
    return maths(view)[0].style()


def formula_images(view: ChatView) -> list[tuple[str, bool, QImage, str]]:
    """(tex, display, image shown, tooltip) of each formula in the cards, in order."""
    out = []
    for document in documents(view):
        found = document.find(OBJECT, 0)
        while not found.isNull():
            fmt = found.charFormat().toImageFormat()
            parsed = parse_math_name(fmt.name())
            if parsed is not None:
                image = document.resource(IMAGE, QUrl(fmt.name()))
                assert isinstance(image, QImage)
                out.append((parsed[0], parsed[1], image, fmt.toolTip()))
            found = document.find(OBJECT, found.selectionEnd())
    return out


def stream_answer(qtbot: QtBot, view: ChatView, text: str, step: int = 7) -> None:
    view.add_user_message(user("Some maths, please."))
    view.begin_answer(streaming())
    for start in range(0, len(text), step):
        frame(view, text[start : start + step], "")
        qtbot.wait(1)
    view.finish_answer(finished(text))
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)


def wait_typeset(qtbot: QtBot, view: ChatView) -> None:
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)  # the text is in the cards
    assert maths(view), "no formula in the cards"
    qtbot.waitUntil(lambda: not pending(view), timeout=TYPESET_TIMEOUT_MS)


def ink(image: QImage) -> QColor:
    """The colour of the image's most opaque pixel."""
    best, colour = -1, QColor()
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            pixel = image.pixelColor(x, y)
            if pixel.alpha() > best:
                best, colour = pixel.alpha(), pixel
    return colour


def is_source(view: ChatView, tex: str, display: bool, image: QImage) -> bool:
    return image.cacheKey() == source_image(tex, display, style(view)).cacheKey()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_streamed_math_is_typeset_in_the_theme_colour(qtbot: QtBot, dark: bool) -> None:
    view = make_view(qtbot)
    view.set_dark(dark)
    stream_answer(qtbot, view, ANSWER)
    wait_typeset(qtbot, view)
    shown = formula_images(view)
    assert [(tex, display) for tex, display, _, _ in shown] == [
        ("e^{i\\pi}+1=0", False),
        ("a^2 + b^2 = c^2", False),
        ("\\sum_{n=1}^{\\infty} \\frac{1}{n^2} = \\frac{\\pi^2}{6}", True),
        ("x_{1,2} = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a}", True),
        ("\\nosuchcommand{x}", False),
    ]
    text = QColor((chrome.DARK if dark else chrome.LIGHT).text)
    for tex, display, image, tip in shown[:4]:
        assert not is_source(view, tex, display, image), tex
        assert image.devicePixelRatio() == view.devicePixelRatioF()
        assert ink(image).rgb() == text.rgb(), tex
        assert tip == ""
    # Invalid TeX keeps its source, in code style, and says why.
    tex, display, image, tip = shown[4]
    assert is_source(view, tex, display, image)
    assert tip == "Not typeset: unknown command \\nosuchcommand"
    assert "$5 and $10" in view.plain_text()


def test_display_math_is_taller_than_inline_and_on_its_own_centred_line(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    stream_answer(qtbot, view, ANSWER)
    wait_typeset(qtbot, view)
    shown = formula_images(view)
    inline, display = shown[0][2], shown[2][2]
    assert display.deviceIndependentSize().height() > inline.deviceIndependentSize().height()
    names = []
    for document in documents(view):
        found = document.find(OBJECT, 0)
        while not found.isNull():
            names.append(found)
            found = document.find(OBJECT, found.selectionEnd())
    assert names[2].block().text() == OBJECT  # the sum is alone in its paragraph


def test_theme_switch_repaints_formulas_in_the_new_colour(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.set_messages([user("Maths"), finished(ANSWER)])
    wait_typeset(qtbot, view)
    view.set_dark(True)
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    wait_typeset(qtbot, view)
    dark = QColor(chrome.DARK.text).rgb()
    assert all(ink(image).rgb() == dark for _, _, image, _ in formula_images(view)[:4])


def test_copy_gives_the_tex_source_with_its_delimiters(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.set_messages([user("Maths"), finished(ANSWER)])
    wait_typeset(qtbot, view)
    view.surface.select_all_of(view.cards[-1])
    text = view.surface.selected_text()
    for source in [
        "$e^{i\\pi}+1=0$",
        "\\(a^2 + b^2 = c^2\\)",
        "$$\n\\sum_{n=1}^{\\infty} \\frac{1}{n^2} = \\frac{\\pi^2}{6}\n$$",
        "\\[ x_{1,2} = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a} \\]",
        "$\\nosuchcommand{x}$",
    ]:
        assert source in text, source
    assert OBJECT not in text
    assert "rill-math:" not in text
    assert view.messages[-1].text == ANSWER  # the message's Copy copies its Markdown


def test_math_makes_no_request(qtbot: QtBot, server: CountingServer) -> None:
    hostile = (
        f"$\\href{{{server.url}/href}}{{x}}$ and $\\url{{{server.url}/url}}$ and "
        f"$\\includegraphics{{{server.url}/g.png}}$ and ![]({server.url}/md.png) "
        f'and $\\text{{<img src="{server.url}/raw.png">}}$'
    )
    view = make_view(qtbot)
    stream_answer(qtbot, view, hostile)
    wait_typeset(qtbot, view)
    assert len(formula_images(view)) == 4
    assert server.paths == []


HOSTILE = [
    "$" + "{" * 10_000 + "x" + "}" * 10_000 + "$",  # nesting the engine would recurse into
    "$\\def\\a{\\a}\\a$",  # a macro loop
    "$" + "x+" * 900 + "y$",  # under the size limit, but 18,000 px wide: source
    "$" + "x+" * 5_000 + "y$",  # 10 KB: over the size limit, shown as code
]


def test_typesetting_never_stalls_the_ui_thread(qtbot: QtBot) -> None:
    """Many formulas landing at once cost the UI thread a few ms per turn, not their sum;
    hostile ones end as source (or code) without holding anything up."""
    formulas = " ".join(f"$x_{{{n}}}^2 + \\frac{{{n}}}{{y}}$" for n in range(150))
    formulas += "\n\n" + "\n\n".join(HOSTILE)
    view = make_view(qtbot)
    view.set_messages([user("Lots"), finished(ANSWER)])
    wait_typeset(qtbot, view)  # the worker is warm
    view.set_messages([user("Lots"), finished(formulas + "\n\n$$\\int_0^1 f$$\n")])
    # The text goes in first (in slices, as any long answer: not what is measured
    # here); the formulas' images land while and after it does.
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    assert pending(view)  # most are still being typeset: their source shows
    assert any(
        is_source(view, tex, display, image) for tex, display, image, _ in formula_images(view)
    )
    worst = 0.0
    while pending(view):
        started = time.thread_time()
        qtbot.wait(1)  # one turn of the event loop, whatever it runs
        worst = max(worst, time.thread_time() - started)
    shown = formula_images(view)
    assert len(shown) == 150 + 2 + 1  # two hostile ones are code, and the integral
    sources = [tex for tex, display, image, _ in shown if is_source(view, tex, display, image)]
    assert sources == [HOSTILE[1][1:-1], HOSTILE[2][1:-1]]  # the deep one is code
    # Two 60 Hz frames, the chat pane's stall bound elsewhere: one frame (16 ms) was met
    # alone and failed at 20 ms on a loaded CI run, where a core's sibling is busy.
    assert worst < 0.033, f"a turn of the event loop took {worst * 1000:.0f} ms of CPU"

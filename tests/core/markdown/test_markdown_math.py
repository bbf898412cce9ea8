"""TeX math in Markdown: the four delimiters, pandoc's currency rule, code, streaming."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill.core.markdown.incremental as markdown
from rill.core.markdown.incremental import IncrementalMarkdown
from rill.core.markdown.math import (
    MAX_FORMULAS,
    MAX_TEX,
    TOO_LONG,
    TOO_MANY,
    math_name,
    parse_math_name,
)
from tests.core.markdown.test_markdown_stream import check_split_invariance
from tests.core.markdown.themes import LIGHT, render_all, render_html

_IMG = re.compile(r'<img src="(rill-math:[^"]+)" alt="([^"]*)"')


def formulas(html: str) -> list[tuple[str, bool, str]]:
    """(tex, display, alt) of every formula placeholder in ``html``."""
    out = []
    for name, alt in _IMG.findall(html):
        parsed = parse_math_name(name)
        assert parsed is not None
        out.append((parsed[0], parsed[1], alt))
    return out


@pytest.mark.parametrize(
    ("source", "tex", "display"),
    [
        ("Euler: $e^{i\\pi}+1=0$.", "e^{i\\pi}+1=0", False),
        ("Euler: \\(e^{i\\pi}+1=0\\).", "e^{i\\pi}+1=0", False),
        ("Then $$\\sum_n \\frac{1}{n^2}$$ follows.", "\\sum_n \\frac{1}{n^2}", True),
        ("Then \\[ x^2 \\] follows.", "x^2", True),
        ("$$\n\\int_0^1 x\\,dx\n$$", "\\int_0^1 x\\,dx", True),
        ("a line\n\\[\nA = \\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}\n\\]\nend", None, True),
    ],
)
def test_each_delimiter_becomes_a_placeholder(source: str, tex: str | None, display: bool) -> None:
    found = formulas(render_html(source))
    assert len(found) == 1
    got_tex, got_display, _ = found[0]
    assert got_display is display
    if tex is not None:
        assert got_tex == tex
    assert "\\\\" in got_tex or tex is not None  # backslashes survive (no Markdown escapes)


def test_alt_keeps_the_source_with_its_delimiters() -> None:
    html = render_html("Inline \\(a_1 * b_2\\) and $x_1 * y_2$.")
    alts = [alt for _, _, alt in formulas(html)]
    assert alts == ["\\(a_1 * b_2\\)", "$x_1 * y_2$"]
    assert "<i>" not in html  # the underscores and stars stay TeX, not emphasis


def test_display_math_gets_a_centred_line_of_its_own() -> None:
    html = render_html("Before\n$$x^2$$\nafter")
    assert '<p align="center"' in html
    assert html.index("Before") < html.index("rill-math:") < html.index("after")


@pytest.mark.parametrize(
    "text",
    [
        "it costs $5 and $10",
        "between $20,000 and $30,000 a year",
        "price $5, tax $3.",
        "a lone $ sign and another $ sign",
        "$ spaced $",
        "escaped \\$x\\$ dollars",
        "unclosed $$ display",
        "unclosed \\( inline",
        "$x$5 is not a formula either",
    ],
)
def test_currency_and_stray_dollars_stay_text(text: str) -> None:
    html = render_html(text)
    assert "rill-math:" not in html


def test_math_is_never_found_in_code() -> None:
    text = "Use `$x$` or `\\(y\\)` here.\n\n```latex\n$$\\frac{a}{b}$$\n```\n\n    $z$\n"
    html = render_html(text)
    assert "rill-math:" not in html
    assert "$x$" in html and "frac" in html


def test_names_round_trip_and_reject_garbage() -> None:
    for tex in ["x", "\\frac{α}{β}\n", "a" * MAX_TEX]:
        for display in (False, True):
            assert parse_math_name(math_name(tex, display)) == (tex, display)
    long_name = "rill-math:i/" + "A" * 20_000
    for bad in ["rill-math:", "rill-math:x/eA==", "rill-math:i/%%%", "http://x", long_name]:
        assert parse_math_name(bad) is None


def test_an_unclosed_display_formula_shows_its_source_until_it_closes() -> None:
    md = IncrementalMarkdown(LIGHT)
    update = md.append("The sum\n$$\n\\sum_{n=1}^\\infty")
    assert update.tail is not None
    assert "rill-math:" not in update.tail.html and "\\sum_{n=1}^\\infty" in update.tail.html
    update = md.append(" a_n\n$$\n")
    assert update.tail is not None and "rill-math:d/" in update.tail.html
    done = md.append("\nNext paragraph.\n").finished
    assert formulas("".join(b.html for b in done))[0][0] == "\\sum_{n=1}^\\infty a_n"


MATH_CORPUS = [
    "Euler: $e^{i\\pi} + 1 = 0$ and the sum\n$$\n\\sum_{n=1}^{\\infty} \\frac{1}{n}\n$$\n",
    "It costs $5 and $10; \\(a_1\\) and \\[ \\int_0^1 f \\] and `$code$`.\n",
    "- item with $x^2$\n- item with $$y$$\n\n> quoted \\(q\\)\n",
    "| a | b |\n| - | - |\n| $x$ | $$y$$ |\n\n## Heading $h$\n",
    "unclosed $$ here\n\nand $ spaced $ and $x$5\n",
]


@st.composite
def math_texts_and_cuts(draw: st.DrawFn) -> tuple[str, list[int]]:
    parts = draw(st.lists(st.sampled_from(MATH_CORPUS), min_size=1, max_size=3))
    text = "\n".join(parts)
    return text, draw(st.lists(st.integers(0, len(text)), max_size=40))


@settings(max_examples=100, deadline=None)
@given(math_texts_and_cuts())
def test_streamed_math_renders_like_the_whole_text(case: tuple[str, list[int]]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(markdown, "TAIL_BUDGET", float("inf"))
        check_split_invariance(*case)


def test_a_formula_over_the_size_limit_is_code_with_a_reason() -> None:
    html = render_html("$" + "x+" * 5_000 + "y$")
    assert "rill-math:" not in html
    assert f'title="{TOO_LONG}"' in html and "<code" in html
    # A 100 KB one is a block over the renderer's own limit: plain text.
    assert "rill-math:" not in render_html("$" + "x+" * 50_000 + "y$")


def test_formulas_past_the_count_limit_are_code_in_streaming_and_whole() -> None:
    text = "\n\n".join(f"Line {n}: $x_{{{n}}}$" for n in range(MAX_FORMULAS + 5))
    whole = "".join(b.html for b in render_all(text))
    assert len(formulas(whole)) == MAX_FORMULAS
    assert whole.count(f'title="{TOO_MANY}"') == 5
    md = IncrementalMarkdown(LIGHT)
    streamed = []
    for start in range(0, len(text), 97):
        streamed += md.append(text[start : start + 97]).finished
    streamed += md.finish().finished
    assert "".join(b.html for b in streamed) == whole


@pytest.mark.parametrize(
    "hostile",
    [
        "$a " * 20_000,  # openers with no closer: each must not rescan the paragraph
        "\\( " * 20_000,
        "$$ " * 20_000,
        "$" + "{" * 10_000 + "x" + "}" * 10_000 + "$",
    ],
)
def test_hostile_dollar_runs_parse_in_linear_time(hostile: str) -> None:
    started = time.thread_time()
    render_html(hostile)
    assert time.thread_time() - started < 1.0

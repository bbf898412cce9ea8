"""Typesetting one formula: SVG and metrics for valid TeX, MathError for the rest."""

from __future__ import annotations

import time

import pytest

from rill.core.markdown.typeset import MathError, Typeset, typeset, typeset_job


def test_valid_tex_gives_an_svg_with_a_baseline() -> None:
    result = typeset("\\frac{a}{b} + x_1^2", False, 16.0)
    assert isinstance(result, Typeset)
    assert result.svg.startswith(b"<svg") and b"<path" in result.svg
    assert b"<symbol" not in result.svg  # Qt's SVG renderer draws no <symbol>
    assert 10 < result.width < 200 and 10 < result.height < 60
    assert 0 < result.depth < result.height  # the fraction reaches below the baseline


def test_display_style_is_taller_than_inline() -> None:
    inline = typeset("\\sum_{n=1}^{N} n", False, 16.0)
    display = typeset("\\sum_{n=1}^{N} n", True, 16.0)
    assert display.height > inline.height


def test_environments_typeset() -> None:
    for tex in [
        "\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}",
        "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
        "f(x) = \\begin{cases} x & x > 0 \\\\ 0 & \\text{else} \\end{cases}",
    ]:
        assert isinstance(typeset_job(tex, True, 16.0), Typeset)


@pytest.mark.parametrize(
    ("tex", "reason"),
    [
        ("\\undefinedcommand{x}", "unknown command \\undefinedcommand"),
        ("\\frac{1}{", "unbalanced braces"),
        ("x}", "unbalanced braces"),
        ("{" * 10_000 + "x" + "}" * 10_000, "nested too deeply"),
        ("\\def\\a{\\a}\\a", "nested too deeply"),
        ("\\left( x", "extra left or missing right"),
    ],
)
def test_invalid_tex_gives_a_short_reason_quickly(tex: str, reason: str) -> None:
    started = time.thread_time()
    with pytest.raises(MathError) as caught:
        typeset(tex, False, 16.0)
    assert str(caught.value) == reason
    assert typeset_job(tex, False, 16.0) == reason
    assert time.thread_time() - started < 2.0

"""rill.core.markdown on hostile or huge input: no recursion blow-up, bounded time and tails."""

from __future__ import annotations

import time

import pytest

import rill.core.markdown.html as markdown_html
import rill.core.markdown.incremental as markdown
from rill.core.markdown.incremental import IncrementalMarkdown, RenderUpdate
from tests.core.markdown.themes import LIGHT, render_all, render_html


def timed(fn: object, *args: object) -> tuple[object, float]:
    """``fn(*args)`` and the CPU time this thread spent on it: a bound on wall-clock
    time failed whenever another process had the core (seen at load 7)."""
    started = time.thread_time()
    result = fn(*args)  # type: ignore[operator]
    return result, time.thread_time() - started


@pytest.mark.parametrize(
    ("source", "keeps"),
    [
        (">" * 10_000 + " deep", "deep"),
        ("> " * 10_000 + "deep", "deep"),
        ("- " * 10_000 + "deep", "deep"),
        ("1. " * 10_000 + "deep", "deep"),
        ("[" * 10_000 + "deep", "deep"),
        ("[" * 10_000 + "deep" + "]" * 10_000 + "(http://x.example)", "deep"),
        ("*" * 10_000 + "deep", "deep"),
        ("deep " + "`" * 10_000 + "x", "deep"),
        ("\n".join(">" * i + " deep" for i in range(1, 300)), "deep"),
        ("\n".join("  " * i + "- deep" for i in range(300)), "deep"),
    ],
)
def test_ten_thousand_deep_nesting_renders_quickly_and_keeps_the_text(
    source: str, keeps: str
) -> None:
    html, seconds = timed(render_html, source)
    assert isinstance(html, str) and keeps in html
    assert seconds < 2.0
    md = IncrementalMarkdown(LIGHT)
    started = time.thread_time()
    finished = []
    for i in range(0, len(source), 500):
        finished += md.append(source[i : i + 500]).finished
    last = md.finish().finished
    assert "".join(b.html for b in finished + last) == html
    assert time.thread_time() - started < 4.0


@pytest.mark.parametrize(
    "line",
    [
        "word " * 200_000,
        ("Some *emphasis* and `code` and https://example.com/x?y=1 and **bold** " * 15_000),
    ],
)
def test_one_megabyte_single_line(line: str) -> None:
    html, seconds = timed(render_html, line)
    assert isinstance(html, str) and len(html) >= len(line.strip())
    assert seconds < 2.0
    md = IncrementalMarkdown(LIGHT)
    started = time.thread_time()
    for i in range(0, len(line), 8_192):
        md.append(line[i : i + 8_192])
    assert "".join(b.html for b in md.finish().finished) == html
    assert time.thread_time() - started < 6.0


def test_a_huge_block_is_plain_text_not_seconds_of_parsing() -> None:
    big = "*a* _b_ **c** " * 10_000
    (block,) = render_all(big)
    assert len(big) > markdown_html.BLOCK_LIMIT
    assert block.html.startswith('<p style="white-space:pre-wrap">*a* _b_ **c**')
    (small,) = render_all("*a* _b_ **c**")
    assert small.html == "<p><i>a</i> <i>b</i> <b>c</b></p>"


def test_streamed_code_block_tail_stays_small() -> None:
    """A 75 KB open fence: only its last piece is re-rendered per append."""
    md = IncrementalMarkdown(LIGHT)
    md.append("```python\n")
    tails = []
    for i in range(2_000):
        update = md.append(f"value_{i} = compute({i})  # comment\n")
        assert update.tail is not None
        tails.append(len(update.tail.code or ""))
    assert len(md.text) > 70_000
    assert max(tails) <= 1_100  # highlight.PIECE_MAX_CHARS plus one line


def test_slow_tail_is_rerendered_at_growth_checkpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markdown, "TAIL_BUDGET", 0.0)  # every tail render counts as slow
    text = " ".join(f"Sentence *{i}* goes on." for i in range(2_000))  # one open paragraph
    md = IncrementalMarkdown(LIGHT)
    updates: list[RenderUpdate] = [md.append(text[i : i + 100]) for i in range(0, len(text), 100)]
    stale = [u for u in updates if not u.tail_exact]
    renders = [u for u in updates if u.tail_exact]
    assert stale and all(not u.tail_changed for u in stale)
    assert len(renders) < 40  # geometric: about log(n / 2 KB) / log(1.25) re-renders
    assert [b.html for b in md.finish().finished] == [b.html for b in render_all(text)]


def test_big_paragraph_fast_path_notices_when_the_paragraph_ends() -> None:
    lines = [f"line {i} of a long paragraph with *emphasis*" for i in range(400)]
    text = "\n".join(lines) + "\n---\n\n# After\n"  # the underline makes all of it a heading
    md = IncrementalMarkdown(LIGHT)
    finished = []
    for line in text.splitlines(keepends=True):
        finished += md.append(line).finished
    assert [b.kind for b in finished] == ["heading"]
    last = md.finish().finished
    assert [b.kind for b in last] == ["heading"]
    assert "".join(b.html for b in finished + last) == render_html(text)

"""IncrementalMarkdown: streamed in any split, the blocks equal the whole-text render."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rill.core.markdown.highlight as highlight
import rill.core.markdown.incremental as markdown
from rill.core.markdown.incremental import IncrementalMarkdown, RenderedBlock, RenderUpdate
from tests.core.markdown.themes import LIGHT, render_all

CORPUS = [
    """Sure! Here's a quick overview of **Python decorators**.

## What is a decorator?

A decorator is a function that takes another function and *extends* its behaviour
without explicitly modifying it. See https://docs.python.org/3/glossary.html#term-decorator.

```python
import functools

def log_calls(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        print(f"calling {func.__name__}")

        return func(*args, **kwargs)
    return wrapper
```

### Key points

1. Decorators are applied at definition time.
2. `functools.wraps` keeps the metadata.
3. They can be stacked:
   ```python
   @a
   @b
   def f(): ...
   ```

- Tip: use `@property` for computed attributes
- Tip: use `@staticmethod` sparingly
  - nested point
  - another nested point

> **Note:** decorators can also be classes.
> They just need a `__call__` method.

| Decorator | Purpose | Since |
|-----------|:-------:|------:|
| `@property` | getters | 2.2 |
| `@dataclass` | boilerplate | 3.7 |

---

That's it! Let me know if you have questions.
""",
    """Title
=====

Subtitle
--------

Some paragraph
that continues here.

* item one

* item two
continuation lazy line

* item three

10. ten
11. eleven

    indented code block
    more code

~~~
tilde fence with ``` inside
~~~

````markdown
```js
nested fence
```
````

Text with [a link](https://example.com "title") and ![an image](http://img.example.com/x.png).
Autolink: <https://example.org/path?x=1&y=2> and mail <me@example.com>.
Reference [foo][1] and [bar].

[1]: https://example.com/one
[bar]: http://example.com/bar

Hard break at end\x20\x20
next line\\
after backslash.
""",
    """Here is a table without leading pipes:

a | b
--|--
1 | 2
not a row? | x

Para right after.
# Heading right after para
- list right after heading
+ different bullet starts a new list
1) paren ordered
2) second

```
unclosed fence at the end
with blank lines

inside
""",
    """> quote line one
continued lazily
> > nested quote
> - list in quote

***

Setext heading after a rule
---

1. First

   Second paragraph in item one.

2. Second item

   ```bash
   pip install rill
   ```
3. Third
- [ ] task box
- [x] done box
""",
    """Emoji ✅ and unicode — “quotes” – dashes… and <script>alert(1)</script> raw html.
<div>block html</div> and <img src=http://evil.example/x.png>

| Expr | Meaning |
| --- | --- |
| `a \\| b` | pipe |
| **bold** | *it* |

Step 1. Install
```sh
$ npm install
```
Done.
   - indented bullet
     - nested

0. zero start
1. one

***bold italic*** ~~strike~~ **unclosed bold""",
    "[ref\nlabel]: http://x.y\n\n[ref label] and [a]\n\n[a]:\n/late\n\n",
    "para\n2. not a list\n- list\n\n| h | i |\n| - | - |\nrow\n    lazy\n> q\n",
]


def stream(text: str, cuts: list[int]) -> tuple[list[RenderedBlock], RenderUpdate, list[str]]:
    """Feed `text` cut at `cuts`; return finished blocks, the last update, finish() html."""
    md = IncrementalMarkdown(LIGHT)
    finished: list[RenderedBlock] = []
    update = RenderUpdate([], None)
    bounds = [0, *sorted(set(cuts)), len(text)]
    for begin, end in itertools.pairwise(bounds):
        update = md.append(text[begin:end])
        finished += update.finished
    return finished, update, [b.html for b in md.finish().finished]


def html_of(blocks: list[RenderedBlock]) -> str:
    return "".join(b.html for b in blocks)


@st.composite
def texts_and_cuts(draw: st.DrawFn) -> tuple[str, list[int]]:
    parts = draw(st.lists(st.sampled_from(CORPUS), min_size=1, max_size=3))
    seps = draw(st.lists(st.sampled_from(["", "\n", "\n\n"]), min_size=len(parts)))
    text = "".join(sep + part for sep, part in zip(seps, parts, strict=False))
    cuts = draw(st.lists(st.integers(0, len(text)), max_size=60))
    return text, cuts


def check_split_invariance(text: str, cuts: list[int]) -> None:
    expected = html_of(render_all(text))
    finished, last, rest = stream(text, cuts)
    tail = last.tail.html if last.tail else ""
    assert last.tail_exact
    assert html_of(finished) + tail == expected
    assert html_of(finished) + "".join(rest) == expected


@settings(max_examples=150, deadline=None)
@given(texts_and_cuts())
def test_any_split_renders_like_the_whole_text(case: tuple[str, list[int]]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(markdown, "TAIL_BUDGET", float("inf"))  # exact tails, whatever the CPU
        check_split_invariance(*case)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts_and_cuts())
def test_fast_paths_and_code_pieces_keep_split_invariance(case: tuple[str, list[int]]) -> None:
    """The fast paths only run on big blocks; shrink the thresholds so the corpus hits them."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(markdown, "TAIL_BUDGET", float("inf"))
        mp.setattr(markdown, "WINDOW_MIN", 0)
        mp.setattr(highlight, "PIECE_MIN_LINES", 2)
        mp.setattr(highlight, "PIECE_MAX_LINES", 3)
        mp.setattr(highlight, "PIECE_MAX_CHARS", 40)
        check_split_invariance(*case)


def test_char_by_char_and_crlf_split_across_deltas() -> None:
    text = CORPUS[0] + CORPUS[1]
    finished, _, rest = stream(text, list(range(len(text))))
    assert html_of(finished) + "".join(rest) == html_of(render_all(text))
    crlf = text.replace("\n", "\r\n")
    cut_between = [i + 1 for i, ch in enumerate(crlf) if ch == "\r"]
    finished, _, rest = stream(crlf, cut_between)
    assert html_of(finished) + "".join(rest) == html_of(render_all(text))


def kinds(update: RenderUpdate) -> list[str]:
    return [b.kind for b in update.finished]


def test_a_paragraph_finishes_only_when_the_next_block_starts() -> None:
    md = IncrementalMarkdown(LIGHT)
    assert kinds(md.append("First para\nstill first\n\n")) == []
    partial = md.append("Sec")  # an incomplete line decides nothing yet
    assert kinds(partial) == [] and partial.tail is not None
    assert partial.tail.html == "<p>First para\nstill first</p><p>Sec</p>"
    update = md.append("ond\n")
    assert kinds(update) == ["paragraph"]
    assert update.finished[0].html == "<p>First para\nstill first</p>"
    assert update.tail is not None and update.tail.html == "<p>Second</p>"


def test_setext_heading_keeps_the_tail_open_until_it_is_known() -> None:
    md = IncrementalMarkdown(LIGHT)
    md.append("Title\n")
    update = md.append("=====\n")
    assert update.tail is not None and update.tail.html == "<h1>Title</h1>"
    assert update.finished == []
    assert kinds(md.append("\nbody\n")) == ["heading"]


def test_atx_heading_and_rule_finish_at_the_next_line() -> None:
    md = IncrementalMarkdown(LIGHT)
    md.append("# Head\n")
    assert kinds(md.append("---\n")) == ["heading"]
    assert kinds(md.append("text\n")) == ["rule"]


def test_fence_stays_open_across_blank_lines_until_closed() -> None:
    md = IncrementalMarkdown(LIGHT)
    for delta in ("```python\n", "x = 1\n", "\n\n", "# not a heading\n", "\n"):
        assert md.append(delta).finished == []
    update = md.append("```\n")
    assert update.tail is not None and update.tail.kind == "code"
    assert update.tail.code == "x = 1\n\n\n# not a heading\n\n"
    assert update.tail.language == "python"
    assert kinds(md.append("after\n")) == ["code"]


def test_unclosed_fence_is_closed_by_finish() -> None:
    md = IncrementalMarkdown(LIGHT)
    md.append("~~~\nopen code\nstill")
    done = md.finish().finished
    assert [(b.kind, b.code) for b in done] == [("code", "open code\nstill")]


def test_list_items_finish_one_by_one_and_share_the_list_index() -> None:
    md = IncrementalMarkdown(LIGHT)
    md.append("Intro\n\n")
    first = md.append("1. one\n2. two\n")
    assert kinds(first) == ["paragraph", "list_item"]
    assert '<ol start="1"' in first.finished[1].html
    second = md.append("3. three\n")
    assert kinds(second) == ["list_item"]
    assert '<ol start="2" style="margin-top:0px' in second.finished[0].html
    done = md.finish().finished
    item_index = first.finished[1].index
    assert [(b.index, b.part) for b in done] == [(item_index, 2)]
    assert "margin-bottom:8px" in done[0].html and "<li>three</li>" in done[0].html


def test_long_code_block_finishes_pieces_before_it_closes() -> None:
    lines = [f"line_{i} = {i}\n" for i in range(200)]
    md = IncrementalMarkdown(LIGHT)
    md.append("```python\n")
    pieces: list[RenderedBlock] = []
    for line in lines:
        pieces += md.append(line).finished
    assert len(pieces) >= 3  # streamed out while the fence is still open
    tail = md.append("```\n").tail
    assert tail is not None
    pieces += md.finish().finished
    assert all(p.kind == "code" and p.language == "python" for p in pieces)
    assert [p.part for p in pieces] == list(range(len(pieces)))
    assert len({p.index for p in pieces}) == 1
    assert "".join(p.code or "" for p in pieces) == "".join(lines)
    assert html_of(pieces) == html_of(render_all("```python\n" + "".join(lines) + "```\n"))


def test_reference_definitions_resolve_in_later_blocks() -> None:
    html = html_of(render_all("[d]: https://example.com/d\n\nSee [the docs][d].\n"))
    assert '<a href="https://example.com/d"' in html
    forward = html_of(render_all("Forward [x] here.\n\nMiddle.\n\n[x]: https://example.com/x\n"))
    assert "href" not in forward and "[x]" in forward  # a finished block cannot wait


def test_update_flags_and_lifecycle() -> None:
    md = IncrementalMarkdown(LIGHT)
    first = md.append("Hello")
    assert first.tail_changed and first.tail is not None and first.tail.html == "<p>Hello</p>"
    same = md.append("")
    assert not same.tail_changed and same.tail == first.tail
    end = md.finish()
    assert end.tail is None and kinds(end) == ["paragraph"] and end.tail_changed
    assert md.finish().finished == [] and md.text == "Hello"
    with pytest.raises(RuntimeError):
        md.append("more")


def test_work_per_append_does_not_grow_with_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Count the characters handed to the parser: the finished part is never re-parsed."""
    parsed: list[int] = []
    real_segment, real_render = markdown.segment, markdown.render_source

    def segment(md: object, text: str) -> object:
        parsed.append(len(text))
        return real_segment(md, text)  # type: ignore[arg-type]

    def render_source(md: object, src: str, *args: object, **kwargs: object) -> str:
        parsed.append(len(src))
        return real_render(md, src, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(markdown, "segment", segment)
    monkeypatch.setattr(markdown, "render_source", render_source)
    text = "\n\n".join(CORPUS[:2]) * 20  # ~40 KB of mixed blocks
    md = IncrementalMarkdown(LIGHT)
    per_append = []
    for i in range(0, len(text), 200):
        parsed.clear()
        md.append(text[i : i + 200])
        per_append.append(sum(parsed))
    late = per_append[len(per_append) // 2 :]
    assert len(text) > 30_000
    assert max(late) < 6_000  # bounded by the open tail, not by the 30+ KB before it

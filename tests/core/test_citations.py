"""Citation markers from Gemini's UTF-8 byte offsets: exact where the data is good, and
never an exception (nor a lost answer) whatever a server sends."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from rill.core.answer_types import Grounding, Source, Support
from rill.core.citations import ByteIndex, cite_parts, place_markers, source_title
from rill.core.types import Part

TWO = (Source("https://a.example/x", "A"), Source("https://b.example/y", None))


def grounding(*supports: Support, sources: tuple[Source, ...] = TWO) -> Grounding:
    return Grounding(sources=sources, supports=supports)


def at_bytes(text: str, prefix: str) -> int:
    assert text.startswith(prefix)
    return len(prefix.encode("utf-8"))


def test_markers_go_after_each_grounded_segment_by_byte_offset() -> None:
    text = "Zürich is in Switzerland. Its lake is big."
    first = at_bytes(text, "Zürich is in Switzerland.")
    cited = place_markers(
        text,
        grounding(
            Support(end=first, sources=(0,)), Support(end=len(text.encode()), sources=(1, 0))
        ),
    )
    assert cited.text == "Zürich is in Switzerland.[1] Its lake is big.[1][2]"
    assert [(s.number, s.title) for s in cited.sources] == [(1, "A"), (2, "b.example")]
    assert cited.markers == 2


def test_an_offset_inside_a_multibyte_character_moves_to_its_end() -> None:
    text = "日本語です"
    inside = len("日".encode()) + 1  # one byte into 本
    cited = place_markers(text, grounding(Support(end=inside, sources=(0,))))
    assert cited.text == "日本[1]語です"


def test_bad_supports_cost_their_marker_only() -> None:
    text = "short"
    cited = place_markers(
        text,
        grounding(
            Support(end=10_000, sources=(0,)),  # past the text
            Support(end=-3, sources=(0,)),
            Support(end=2, sources=(7,)),  # no such source
            Support(end=2, sources=()),
            Support(end=5, sources=(1,)),
        ),
    )
    assert cited.text == "short[2]" and cited.markers == 1


def test_missing_titles_fall_back_to_the_host_then_a_number() -> None:
    assert source_title(Source("https://x.example/p", "  Title\n  two "), 1) == "Title two"
    assert source_title(Source("https://x.example/p"), 1) == "x.example"
    assert source_title(Source("http://[broken"), 3) == "Source 3"
    assert source_title(Source(), 4) == "Source 4"


def test_ten_thousand_supports_are_placed_quickly() -> None:
    text = "Grüße, world. " * 2_000
    size = len(text.encode())
    supports = tuple(Support(end=(i * 7) % (size + 50), sources=(i % 2,)) for i in range(10_000))
    started = time.process_time()
    cited = place_markers(text, grounding(*supports))
    assert time.process_time() - started < 1.0
    assert cited.text.replace("[1]", "").replace("[2]", "") == text


def test_markers_land_in_the_right_text_part_around_a_code_run() -> None:
    from rill.core.answer_types import CodeRun

    parts = [Part(text="Ein Satz. "), Part(code=CodeRun("print(1)")), Part(text="Noch einer.")]
    end = len(b"Ein Satz. Noch einer.")
    cited = cite_parts(
        parts, grounding(Support(end=9, sources=(0,)), Support(end=end, sources=(1,)))
    )
    assert [p.text for p in cited] == ["Ein Satz.[1] ", None, "Noch einer.[2]"]


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=200),
    ends=st.lists(st.integers(min_value=-50, max_value=1000), max_size=40),
    indices=st.lists(st.integers(min_value=-3, max_value=5), max_size=5),
)
def test_never_raises_and_never_loses_the_answer(
    text: str, ends: list[int], indices: list[int]
) -> None:
    text = text.encode("utf-8", "ignore").decode("utf-8")  # what a cleaned answer holds
    supports = tuple(Support(end=e, sources=tuple(indices)) for e in ends)
    cited = place_markers(text, grounding(*supports))
    stripped = cited.text
    for n in (1, 2):
        stripped = stripped.replace(f"[{n}]", "")
    assert stripped == text.replace("[1]", "").replace("[2]", "")
    assert len(cited.text) >= len(text)


@given(st.text(max_size=100), st.integers(min_value=-5, max_value=500))
def test_byte_index_lands_on_character_boundaries(text: str, offset: int) -> None:
    text = text.encode("utf-8", "ignore").decode("utf-8")
    position = ByteIndex(text).position(offset)
    data = text.encode()
    if offset < 0 or offset > len(data):
        assert position is None
    else:
        assert position is not None
        assert len(text[:position].encode()) >= offset  # never before the offset
        assert position == 0 or len(text[: position - 1].encode()) < offset  # the first such

"""An answer growing delta by delta: the same parts as before, and O(delta) per delta.

``reference_append`` is the merging rule as it was written before the growing run (a
new string per delta); every stream here is played into a Message and into that rule,
and the parts, their store rows, and what a live view is handed must agree exactly.
"""

from __future__ import annotations

import copy
import pickle
import random
import sys
import threading
import time
from dataclasses import replace

import pytest

from rill.core.store.codec import message_to_row
from rill.core.types import Chunk, Message, MessageStatus, Part, Role


def reference_append(parts: list[Part], part: Part) -> None:
    """The merging rule before the growing run: ``last.text + part.text`` per delta."""
    last = parts[-1] if parts else None
    if (
        last is not None
        and part.text is not None
        and last.text is not None
        and last.thought == part.thought
        and last.thought_signature is None
        and last.data is None
        and last.file_uri is None
    ):
        parts[-1] = replace(
            last, text=last.text + part.text, thought_signature=part.thought_signature
        )
    elif part.text == "" and part.thought_signature is None:
        return
    else:
        parts.append(part)


def random_part(rng: random.Random, n: int) -> Part:
    roll = rng.random()
    text = "".join(rng.choice("ab c\n€😀") for _ in range(rng.randrange(0, 6)))
    if roll < 0.02:
        return Part.from_bytes(b"\x89PNG" + bytes([n % 256]), "image/png")
    if roll < 0.03:
        return Part.from_uri(f"https://files.example/{n}", "image/png")
    if roll < 0.06:
        return Part(text=text, thought=rng.random() < 0.5, thought_signature=f"sig{n}==")
    return Part(text=text, thought=rng.random() < 0.3)


def play(seed: int, count: int, *, read_every: int = 0) -> tuple[Message, list[Part]]:
    """``count`` random parts into a Message and into the reference; reads in between
    (every ``read_every`` parts) must already agree."""
    rng = random.Random(seed)
    message, expected = Message(Role.MODEL, status=MessageStatus.STREAMING), []
    for n in range(count):
        part = random_part(rng, n)
        message.append_part(part)
        reference_append(expected, part)
        if read_every and n % read_every == read_every - 1:
            same = message.parts == expected
            assert same, f"seed {seed}: the parts differ after part {n}"
    return message, expected


@pytest.mark.parametrize("seed", range(40))
def test_parts_match_the_old_merging_rule(seed: int) -> None:
    message, expected = play(seed, 300, read_every=[0, 1, 7, 50][seed % 4])
    same = message.parts == expected
    assert same, f"seed {seed}: the parts differ"
    same = message.text == "".join(p.text or "" for p in expected if p.is_text)
    assert same, "the text differs"
    same = message.thought_text == "".join(p.text or "" for p in expected if p.thought)
    assert same, "the thought text differs"


def test_a_long_run_of_small_deltas_stays_one_part() -> None:
    """Past the point where loose deltas are joined into pieces (1024) and pieces into
    bigger ones, the text is still exactly what came, in one part."""
    message, expected = Message(Role.MODEL), []
    deltas = [f"{n:05d}" for n in range(10_000)]
    for n, delta in enumerate(deltas):
        part = Part(text=delta, thought_signature="closing" if n == len(deltas) - 1 else None)
        message.append_part(part)
        reference_append(expected, part)
    same = message.parts == expected
    assert same, "the parts differ"
    assert len(message.parts) == 1 and message.parts[0].thought_signature == "closing"
    same = message.text == "".join(deltas)
    assert same, "the text differs"


def test_signed_parts_store_byte_identical_rows() -> None:
    """What the store writes for a streamed answer with signatures is what it wrote
    when each delta built a new string."""
    for seed in range(10):
        message, expected = play(seed, 400)
        old = replace(message, parts=list(expected))
        same = message_to_row(message) == message_to_row(old)
        assert same, f"seed {seed}: the rows differ"


@pytest.mark.parametrize("seed", range(20))
def test_text_after_hands_exactly_what_was_not_shown(seed: int) -> None:
    """A live view that takes ``text_after(shown)`` at random moments ends with the
    whole text and thoughts, each character once."""
    rng = random.Random(seed)
    message = Message(Role.MODEL)
    shown = {False: "", True: ""}
    for n in range(500):
        message.append_part(random_part(rng, n))
        if rng.random() < 0.2:
            for thought in (False, True):
                shown[thought] += message.text_after(len(shown[thought]), thought=thought)
        if rng.random() < 0.05:
            _ = message.parts  # a store tick joins the run meanwhile
    for thought in (False, True):
        shown[thought] += message.text_after(len(shown[thought]), thought=thought)
    same = shown[False] == message.text
    assert same, f"seed {seed}: the view's text differs"
    same = shown[True] == message.thought_text
    assert same, f"seed {seed}: the view's thoughts differ"
    for start in (0, 1, len(message.text) // 2, len(message.text), len(message.text) + 5):
        same = message.text_after(start) == message.text[start:]
        assert same, f"seed {seed}: text_after({start}) differs"


def test_absorbing_chunks_grows_text_and_thoughts_apart() -> None:
    message = Message(Role.MODEL)
    message.absorb(Chunk(parts=(Part(text="Let me think", thought=True),)))
    message.absorb(Chunk(parts=(Part(text="…", thought=True, thought_signature="c2ln"),)))
    for word in ("The ", "answer ", "is ", "42."):
        message.absorb(Chunk(parts=(Part.from_text(word),)))
    assert message.parts == [
        Part(text="Let me think…", thought=True, thought_signature="c2ln"),
        Part(text="The answer is 42."),
    ]
    assert message.text_after(4) == "answer is 42."
    assert message.text_after(0, thought=True) == "Let me think…"


def test_parts_set_anew_drop_the_run() -> None:
    message = Message(Role.MODEL)
    for word in ("a", "b", "c"):
        message.append_part(Part.from_text(word))
    message.parts = [Part.from_text("rewritten")]
    message.append_part(Part.from_text("!"))
    assert message.parts == [Part.from_text("rewritten!")]
    assert message.text_after(0) == "rewritten!"


def test_a_growing_message_copies_compares_and_pickles_as_its_parts() -> None:
    message = Message(Role.MODEL, status=MessageStatus.STREAMING, created_at=1.0)
    for word in ("one ", "two ", "three"):
        message.append_part(Part.from_text(word))
    plain = Message(
        Role.MODEL, [Part.from_text("one two three")], MessageStatus.STREAMING, created_at=1.0
    )
    assert message == plain
    assert repr(message) == repr(plain)
    for other in (copy.deepcopy(message), pickle.loads(pickle.dumps(message))):
        assert other == plain
        other.append_part(Part.from_text("!"))
        assert other.text == "one two three!" and message.text == "one two three"
    changed = replace(message, status=MessageStatus.COMPLETE)
    assert changed.parts == plain.parts and changed.status is MessageStatus.COMPLETE


def test_a_reader_thread_sees_whole_prefixes_while_the_answer_grows() -> None:
    """The store's thread reads the parts while the event loop appends: every read is
    the text as it was at some moment, never a delta lost or doubled."""
    message = Message(Role.MODEL, status=MessageStatus.STREAMING)
    deltas = [f"<{n}>" for n in range(40_000)]
    final = "".join(deltas)
    seen: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.append(message.text)
            time.sleep(0)

    reader = threading.Thread(target=read)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, inside the appends and the reads
    reader.start()
    try:
        for delta in deltas:
            message.append_part(Part.from_text(delta))
    finally:
        done.set()
        reader.join()
        sys.setswitchinterval(interval)
    same = message.text == final
    assert same, "the final text differs"
    bad = [len(text) for text in seen if not final.startswith(text)]
    assert not bad, f"{len(bad)} of {len(seen)} reads were not a prefix"


def cpu_per_delta(size: int) -> float:
    """This thread's CPU seconds per 4-character delta over an answer of ``size``."""
    deltas = [Part.from_text(f"{n % 10_000:04d}") for n in range(size // 4)]
    message = Message(Role.MODEL, status=MessageStatus.STREAMING)
    started = time.thread_time()
    for part in deltas:
        message.append_part(part)
    _ = message.text  # reading joins the run: that is part of the cost
    return (time.thread_time() - started) / len(deltas)


def test_a_delta_costs_the_same_at_the_end_of_a_long_answer() -> None:
    """O(delta): a delta into a 1 MB answer costs about what it costs into a 50 KB one
    (a new string per delta made it about 15 times as much)."""
    small = min(cpu_per_delta(50_000) for _ in range(3))
    large = cpu_per_delta(1_000_000)
    assert large / small < 3, f"{large * 1e6:.2f} µs per delta at 1 MB, {small * 1e6:.2f} at 50 KB"


def test_a_live_view_gets_code_runs_and_errors_as_the_finished_message_shows_them() -> None:
    from rill.core.answer_types import CodeResult, CodeRun, Outcome

    answer = Message(role=Role.MODEL)
    shown = ""
    pieces = [
        Part.from_text("Let me compute "),
        Part.from_text("that."),
        Part(code=CodeRun(code="print(6 * 7)")),
        Part(code_result=CodeResult(outcome=Outcome.OK, output="42\n")),
        Part.from_text("The answer is "),
        Part.from_text("42."),
        Part(error="An image could not be read."),
    ]
    for piece in pieces:
        answer.append_part(piece)
        shown += answer.text_after(len(shown))
    assert shown == answer.text
    assert "print(6 * 7)" in shown and "42." in shown

"""What runs on the local model's worker thread besides the provider: llama.cpp glue.

``RunStats`` records one generation (what benchmarks and tests read), the token
counter rides on llama_cpp's logits-processor hook, ``AbortSwitch`` lets Stop cut a
llama.cpp computation short, and ``prompt_tokens`` counts a prompt under the model's own
chat template. ``llama_cpp`` is imported only when first needed.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from rill.core.errors import ConfigurationError
from rill.core.types import GenerateRequest, Usage

# Without a limit from the user a small model can write until its context is full (SmolLM2
# repeats one line until Stop): about two pages is plenty for what it answers well.
DEFAULT_MAX_TOKENS = 1024
# llama.cpp's long-standing default; llama_cpp's chat call uses 1.0 (none), under which
# SmolLM2 loops on a line such as "A tapestry of endless possibilities,".
REPEAT_PENALTY = 1.1
# Over how many recent tokens it counts (llama_cpp's default, 64, lets a paragraph of
# 70 tokens come round again and again; with 256 it did not in 8 of 8 tries that did).
REPEAT_WINDOW = 256
# Special tokens that look like turn markers in a chat template: <|im_start|>, <|eot_id|>,
# <start_of_turn>… (only those the model marks as control tokens count).
_MARKER = re.compile(r"<[|｜]?[A-Za-z_][A-Za-z0-9_.|｜ -]{0,40}[|｜]?>")


def import_llama() -> Any:
    """The ``llama_cpp`` module; ConfigurationError (saying what to install) without it."""
    try:
        import llama_cpp
    except ImportError as exc:
        raise ConfigurationError(
            "The offline model needs llama-cpp-python, which is not installed "
            "(pip install llama-cpp-python).",
            detail=str(exc),
        ) from None
    logging.getLogger("llama-cpp-python").setLevel(logging.CRITICAL)  # no stderr chatter
    return llama_cpp


@dataclass(eq=False)  # identity: a run is kept in sets while it is unfinished
class RunStats:
    """What one generation did, for benchmarks and tests (times are monotonic)."""

    model_id: str = ""
    thread_name: str = ""
    load_seconds: float = 0.0  # 0 when the model was already warm
    prompt_tokens: int | None = None
    output_tokens: int = 0
    max_tokens: int | None = None  # the bound it ran with (the user's, or the default)
    prompt_started_at: float | None = None  # llama.cpp began reading the prompt
    first_token_at: float | None = None
    stop_requested_at: float | None = None
    finished_at: float | None = None  # the worker stopped touching the model
    stop: threading.Event = field(default_factory=threading.Event, repr=False)
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def request_stop(self) -> None:
        """Ask the running generation to stop (the first request's time is kept)."""
        if not self.stop.is_set():
            self.stop_requested_at = time.monotonic()
            self.stop.set()

    @property
    def stop_latency(self) -> float | None:
        """Seconds from the stop request to the worker leaving the generation loop."""
        if self.stop_requested_at is None or self.finished_at is None:
            return None
        return max(0.0, self.finished_at - self.stop_requested_at)


class TokenCounter:
    """A llama_cpp logits processor: called once per sampled token, before sampling.

    The first call's input is exactly the evaluated prompt, so it gives the prompt
    size; the number of calls is the number of tokens sampled. When the token just
    sampled is one of ``stop_ids`` (the model opening a new turn, say), only ``eos``
    may follow: the answer ends there, and the marker itself shows as no text.
    """

    def __init__(
        self, stats: RunStats, stop_ids: frozenset[int] = frozenset(), eos: int = -1
    ) -> None:
        self.stats = stats
        self.calls = 0
        self.stop_ids = stop_ids
        self.eos = eos
        self.stopped_at_marker = False

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        """llama.cpp's logits processor: counts tokens; after a stop marker, only the end."""
        if self.calls == 0:
            self.stats.prompt_tokens = len(input_ids)
        elif self.eos >= 0 and int(input_ids[-1]) in self.stop_ids:
            self.stopped_at_marker = True
            scores.fill(float("-inf"))
            scores[self.eos] = 0.0
        self.calls += 1
        return scores

    def usage(self, final: bool = False) -> Usage:
        """The tokens so far (``final``: the end-of-turn token and a marker left out)."""
        output = self.calls
        if final:
            output = max(0, output - 1 - self.stopped_at_marker)
        prompt = self.stats.prompt_tokens
        return Usage(
            prompt_tokens=prompt, output_tokens=output, total_tokens=(prompt or 0) + output
        )


def turn_markers(llama_cpp: Any, llama: Any) -> frozenset[int]:
    """The model's own stop tokens beyond those llama.cpp ends on by itself (end of text,
    end of turn): control tokens its chat template writes, such as ChatML's
    ``<|im_start|>``, with which a model that forgot to stop would begin the next turn."""
    template = llama.metadata.get("tokenizer.chat_template") or ""
    found: set[int] = set()
    with contextlib.suppress(AttributeError, TypeError, ValueError, RuntimeError):
        vocab = llama._model.vocab
        for marker in set(_MARKER.findall(template)):
            if "think" in marker:  # reasoning tags are written inside an answer
                continue
            ids = llama.tokenize(marker.encode("utf-8"), add_bos=False, special=True)
            if len(ids) == 1 and llama_cpp.llama_vocab_is_control(vocab, ids[0]):
                found.add(int(ids[0]))
    return frozenset(found)


class AbortSwitch:
    """llama.cpp's abort callback for one model: Stop ends even one llama_decode call.

    Reading a long prompt is one decode that lasts seconds on a small CPU, and on a
    busy machine a single token's decode can stall near a second (its threads wait
    on each other): between tokens is too late for Stop there. llama.cpp asks the
    callback between compute steps (about 600 times per token for SmolLM2-135M); an
    A/B of 6 x 80 tokens measured no cost (median 97 vs 91 tokens/s, noise).
    """

    def __init__(self, llama_cpp: Any, llama: Any, should_abort: Callable[[], bool]) -> None:
        self._llama = llama
        try:
            # ctypes callbacks must outlive their use by C, so they live here.
            self._callback = llama_cpp.ggml_abort_callback(lambda _data: should_abort())
            self._none = llama_cpp.ggml_abort_callback()  # NULL
            self._set: Any = llama_cpp.llama_set_abort_callback
        except (AttributeError, TypeError):  # bindings without it: Stop waits for a token
            self._set = None

    def arm(self, armed: bool) -> None:
        """Let llama.cpp's abort callback stop decoding (``armed``) or not."""
        if self._set is None:
            return
        with contextlib.suppress(AttributeError, TypeError):
            self._set(self._llama._ctx.ctx, self._callback if armed else self._none, None)


def sampling_args(request: GenerateRequest, counter: TokenCounter) -> dict[str, Any]:
    """``create_chat_completion`` keyword arguments for the request's settings.

    Unset sampling values are left out so llama_cpp's defaults (temperature 0.2, top-p
    0.95, top-k 40) apply; the length is bounded (``DEFAULT_MAX_TOKENS`` unless the
    user set a limit) and repetition penalised (``REPEAT_PENALTY``).
    """
    s = request.settings
    args: dict[str, Any] = {
        "logits_processor": import_llama().LogitsProcessorList([counter]),
        "max_tokens": DEFAULT_MAX_TOKENS,
        "repeat_penalty": REPEAT_PENALTY,
    }
    if s.temperature is not None:
        args["temperature"] = s.temperature
    if s.top_p is not None:
        args["top_p"] = s.top_p
    if s.top_k is not None:
        args["top_k"] = s.top_k
    if s.max_output_tokens is not None:
        args["max_tokens"] = s.max_output_tokens
    counter.stats.max_tokens = args["max_tokens"]
    if s.stop_sequences:
        args["stop"] = list(s.stop_sequences)
    if s.seed is not None:
        args["seed"] = s.seed
    return args


def prompt_tokens(llama: Any, messages: list[dict[str, Any]]) -> int:
    """How many tokens ``messages`` make under the model's own chat template."""
    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        text = "\n".join(str(m["content"]) for m in messages)
        return len(llama.tokenize(text.encode("utf-8"), add_bos=True, special=False))
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    def token_text(token: int) -> str:
        return bytes(llama.detokenize([token], special=True)).decode("utf-8", "replace")

    formatter = Jinja2ChatFormatter(
        template=template,
        eos_token=token_text(llama.token_eos()),
        bos_token=token_text(llama.token_bos()),
    )
    result = formatter(messages=cast(Any, messages))
    prompt = result.prompt.encode("utf-8")
    return len(llama.tokenize(prompt, add_bos=not result.added_special, special=True))

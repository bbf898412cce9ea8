"""The embedded offline model: a GGUF file run by llama.cpp (``llama-cpp-python``).

Every llama.cpp call happens on one worker thread owned by the provider, never on
the event loop's thread: a token takes milliseconds of pure CPU, and loading a
model takes seconds. Tokens come back to the asyncio consumer through an
``asyncio.Queue`` fed with ``loop.call_soon_threadsafe``. Stopping (cancelling the
consumer) sets a flag the worker checks between tokens and llama.cpp checks between
compute steps (``local_run.AbortSwitch``), so a long prompt or a stalled token ends
within milliseconds too. The model loads lazily on first use and stays loaded ("warm");
one model is in memory at a time. ``llama_cpp`` is imported on first use only
(``local_run``), so nothing else in Rill pays for it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from rill.core.errors import (
    CancelledByUserError,
    ConfigurationError,
    InvalidRequestError,
    RillError,
    ServerError,
)
from rill.core.providers import openai_wire as wire
from rill.core.providers.local_models import LocalModel, find_models, resolve_model
from rill.core.providers.local_run import (
    REPEAT_WINDOW,
    AbortSwitch,
    RunStats,
    TokenCounter,
    import_llama,
    prompt_tokens,
    sampling_args,
    turn_markers,
)
from rill.core.types import (
    Capabilities,
    Chunk,
    GenerateRequest,
    Message,
    ModelInfo,
    Role,
)

DEFAULT_N_CTX = 4096
# llama_cpp's own sampling defaults, shown in the settings panel as the model's.
DEFAULT_TEMPERATURE = 0.2
DEFAULT_TOP_P = 0.95
DEFAULT_TOP_K = 40

_END = object()  # the worker's last word on a queue


class LocalProvider:
    """Runs GGUF models in-process. ``model_paths``: the user's explicitly added files.

    ``models_dir`` defaults to ``<data dir>/models``. ``n_threads`` defaults to the
    number of CPU cores.
    """

    name = "local"
    capabilities = Capabilities(
        images=False,
        documents=False,  # text files and PDFs' text only (rill.core.file_parts)
        file_uris=False,
        thoughts=False,
        system_instruction=True,
        safety_settings=False,
        seed=True,
        top_k=True,
    )

    def __init__(
        self,
        *,
        name: str = "local",
        model_paths: Sequence[str | Path] = (),
        models_dir: Path | None = None,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
    ) -> None:
        self.name = name
        self.model_paths = list(model_paths)
        self.models_dir = models_dir
        self.n_ctx = n_ctx
        self.n_threads = n_threads or os.cpu_count() or 1
        self.last_run: RunStats | None = None  # the latest answer asked for
        self._unfinished: set[RunStats] = set()  # asked for and not yet done (chats queue)
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="rill-local-model"
        )
        # Touched only on the worker thread.
        self._llama: Any = None
        self._loaded: LocalModel | None = None
        self._abort: AbortSwitch | None = None
        self._stop_ids: frozenset[int] = frozenset()  # the loaded model's turn markers
        self._running: RunStats | None = None  # the answer the worker is on
        self._closed = False

    # ------------------------------------------------------------ worker side

    def _resolve(self, model_id: str) -> LocalModel:
        return resolve_model(model_id, self.model_paths, self.models_dir)

    def _ensure_loaded(self, model: LocalModel) -> float:
        """Load ``model`` unless it is the one in memory; returns the seconds spent."""
        if self._loaded is not None and self._loaded.path == model.path:
            return 0.0
        llama_cpp = import_llama()
        self._unload()
        started = time.monotonic()
        try:
            self._llama = llama_cpp.Llama(
                model_path=str(model.path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                last_n_tokens_size=REPEAT_WINDOW,  # the repeat penalty's reach
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise InvalidRequestError(
                f"The model file {model.path.name} could not be loaded; is it a GGUF model?",
                detail=str(exc),
            ) from None
        self._loaded = model
        self._stop_ids = turn_markers(llama_cpp, self._llama)
        self._abort = AbortSwitch(llama_cpp, self._llama, self._should_abort)
        self._abort.arm(True)
        return time.monotonic() - started

    def _should_abort(self) -> bool:
        run = self._running
        return run is not None and run.stop.is_set()

    def _unload(self) -> None:
        llama, self._llama, self._loaded, self._abort = self._llama, None, None, None
        if llama is not None:
            llama.close()

    def _generate(
        self, request: GenerateRequest, stats: RunStats, emit: Callable[[object], None]
    ) -> None:
        """The worker's whole job for one answer; reports through ``emit`` only."""
        stats.thread_name = threading.current_thread().name
        self._running = stats
        try:
            if stats.stop.is_set():
                return
            model = self._resolve(request.settings.model)
            stats.model_id = model.id
            stats.load_seconds = self._ensure_loaded(model)
            if stats.stop.is_set():
                return
            self._run_completion(request, model, stats, emit)
        except RillError as exc:
            emit(exc)
        except RuntimeError as exc:
            if not stats.stop.is_set():  # else: the abort callback ended a stopped decode
                emit(ServerError("The local model failed.", detail=str(exc)))
        except ValueError as exc:  # llama_cpp: prompt longer than the context, bad template
            text = str(exc)
            if "context window" in text or "exceed" in text:
                emit(
                    InvalidRequestError(
                        f"The conversation is longer than the local model's context "
                        f"({self.n_ctx} tokens); start a new chat or shorten it.",
                        detail=text,
                    )
                )
            else:
                emit(InvalidRequestError("The local model refused the request.", detail=text))
        except Exception as exc:  # a crash in llama.cpp's bindings must not kill the app
            emit(ServerError("The local model failed.", detail=f"{type(exc).__name__}: {exc}"))
        finally:
            self._running = None
            stats.finished_at = time.monotonic()
            stats.done.set()
            emit(_END)

    def _run_completion(
        self,
        request: GenerateRequest,
        model: LocalModel,
        stats: RunStats,
        emit: Callable[[object], None],
    ) -> None:
        counter = TokenCounter(stats, self._stop_ids, int(self._llama.token_eos()))
        messages = wire.encode_messages(request)
        pieces = self._llama.create_chat_completion(
            messages=messages, stream=True, **sampling_args(request, counter)
        )
        splitter = wire.ThinkSplitter()
        finish: str | None = None
        stats.prompt_started_at = time.monotonic()
        try:
            for piece in pieces:
                if stats.stop.is_set():
                    return
                choice = piece["choices"][0]
                text = choice.get("delta", {}).get("content")
                if text:
                    parts = splitter.feed(text)
                    if parts:
                        stats.first_token_at = stats.first_token_at or time.monotonic()
                        # Running usage, as Gemini sends it: a stopped answer keeps its
                        # tokens (and so its speed).
                        usage = counter.usage()
                        emit(Chunk(parts=tuple(parts), usage=usage, model_version=model.id))
                finish = choice.get("finish_reason") or finish
        finally:
            pieces.close()  # ends llama_cpp's generator: no token is computed after this
            stats.output_tokens = counter.calls
        # The end-of-turn token (and a turn marker before it) are not output.
        usage = counter.usage(final=finish == "stop" and counter.calls > 0)
        stats.output_tokens = usage.output_tokens or 0
        emit(
            Chunk(
                parts=tuple(splitter.flush()),
                usage=usage,
                finish_reason=wire.map_finish_reason(finish) or "STOP",
                model_version=model.id,
            )
        )

    # ------------------------------------------------------------ loop side

    @property
    def loaded_model(self) -> str | None:
        """The id of the model in memory, or None before the first use."""
        loaded = self._loaded
        return loaded.id if loaded is not None else None

    def _submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        if self._closed:
            raise ConfigurationError("The local model was closed.")
        return self._executor.submit(fn, *args)

    @staticmethod
    def _check(request: GenerateRequest) -> None:
        if any(p.is_image for m in request.contents for p in m.parts):
            # Documents are fine: they go as their text (audio and video as a note).
            raise InvalidRequestError(
                "The local model cannot see images; remove the attachment or choose a vision model."
            )

    async def stream(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        """Tokens as the worker produces them; the last chunk has usage and finish."""
        self._check(request)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        stats = RunStats()
        self.last_run = stats
        self._unfinished.add(stats)

        def emit(item: object) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop is gone: nobody is listening any more
                stats.request_stop()

        self._submit(self._generate, request, stats, emit)
        try:
            while True:
                item = await queue.get()
                if item is _END:
                    if stats.stop.is_set():  # stopped from elsewhere (aclose): not an end
                        raise CancelledByUserError()
                    return
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, Chunk)
                yield item
        finally:
            self._unfinished.discard(stats)
            if not stats.done.is_set():
                stats.request_stop()

    async def generate(self, request: GenerateRequest) -> Message:
        """The streamed answer gathered into one message."""
        message = Message(role=Role.MODEL, model=request.settings.model)
        async for chunk in self.stream(request):
            message.absorb(chunk)
        return message

    def _info(self, model: LocalModel) -> ModelInfo:
        size = f"{model.size_bytes / 1e6:.0f} MB" if model.size_bytes else "size unknown"
        return ModelInfo(
            id=model.id,
            display_name=model.display_name,
            description=f"{model.path} ({size})",
            input_token_limit=self.n_ctx,
            output_token_limit=self.n_ctx,
            temperature=DEFAULT_TEMPERATURE,
            max_temperature=2.0,
            top_p=DEFAULT_TOP_P,
            top_k=DEFAULT_TOP_K,
            thinking=False,
            vision=False,
        )

    async def list_models(self) -> list[ModelInfo]:
        """The built-in model, the models folder's files and the added paths."""
        found = await asyncio.to_thread(find_models, self.model_paths, self.models_dir)
        return [self._info(m) for m in found]

    async def count_tokens(self, request: GenerateRequest) -> int:
        """The prompt's tokens under the model's chat template (loads the model)."""
        self._check(request)
        return int(await asyncio.wrap_future(self._submit(self._count, request)))

    def _count(self, request: GenerateRequest) -> int:
        self._ensure_loaded(self._resolve(request.settings.model))
        return prompt_tokens(self._llama, wire.encode_messages(request))

    async def warm_up(self, model: str = "") -> float:
        """Load ``model`` now (off the loop) so the first answer starts at once.

        Returns the seconds loading took (0 when it was already in memory).
        """
        return float(await asyncio.wrap_future(self._submit(self._warm, model)))

    def _warm(self, model_id: str) -> float:
        return self._ensure_loaded(self._resolve(model_id))

    async def aclose(self) -> None:
        """Stop any answer, free the model on its own thread, and end the thread."""
        if self._closed:
            return
        for run in list(self._unfinished):
            run.request_stop()
        future = self._executor.submit(self._unload)
        self._closed = True
        self._executor.shutdown(wait=False)
        with contextlib.suppress(Exception):  # freeing failed: the process is ending anyway
            await asyncio.wrap_future(future)


__all__ = ["LocalProvider", "RunStats"]

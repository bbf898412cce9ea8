"""What ``rill ask`` and ``rill chat`` do once the arguments are parsed.

Split from ``parse`` so that ``--help`` and usage errors never pay for asyncio,
httpx and the provider.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from rill.core.chat import ChatSession
from rill.core.cli.parse import CHAT_HELP, EXIT_OK, PROG, StdoutState, finish_stdout_line
from rill.core.cli.terminal import for_stream
from rill.core.errors import BlockedError, ConfigurationError, RillError
from rill.core.providers import Provider, registry
from rill.core.retry import RetryNotice, RetryPolicy, env_policy
from rill.core.settings import Settings, load_settings
from rill.core.types import (
    BLOCKING_FINISH_REASONS,
    NORMAL_FINISH_REASONS,
    GenerationSettings,
    Message,
    Part,
)

if TYPE_CHECKING:
    from rill.core.attachments import Attachment, AttachmentLimits, Prepared
    from rill.core.cli.answer_out import AnswerPrinter

Content = list[str | Part]


class Output:
    """Writes the answer to stdout and everything else to stderr.

    Thoughts go to stderr, dimmed when it is a terminal (and NO_COLOR is unset), so
    stdout carries only the answer whether or not it is redirected.
    """

    def __init__(self) -> None:
        self.dim = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
        self._thought_open = False

    def answer(self, text: str) -> None:
        """Print answer text to stdout as it arrives (made inert for a terminal)."""
        if not text:
            return
        self._close_thought()
        print(for_stream(sys.stdout, text), end="", flush=True)
        StdoutState.line_open = not text.endswith("\n")

    def thought(self, text: str) -> None:
        """Print thought text to stderr, dimmed on a terminal."""
        if not text:
            return
        if self.dim and not self._thought_open:
            sys.stderr.write("\x1b[2m")
        sys.stderr.write(for_stream(sys.stderr, text))
        sys.stderr.flush()
        self._thought_open = True

    def _close_thought(self) -> None:
        if self._thought_open:
            sys.stderr.write(("\x1b[0m" if self.dim else "") + "\n\n")
            sys.stderr.flush()
            self._thought_open = False

    def end_answer(self) -> None:
        """Close the thoughts and end the answer's line."""
        self._close_thought()
        finish_stdout_line()

    def note(self, line: str) -> None:
        """Print ``line`` to stderr on a line of its own."""
        self.end_answer()
        print(for_stream(sys.stderr, line), file=sys.stderr, flush=True)

    def retry_notice(self, notice: RetryNotice) -> None:
        """Say that a failed request is retried, and when."""
        self.note(str(notice))


def build_session(args: argparse.Namespace, out: Output) -> ChatSession:
    """A ChatSession on the chosen provider, with settings overridden by the options."""
    loaded = load_settings()
    for warning in loaded.warnings:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    settings = loaded.settings
    name = args.provider or settings.default_provider
    provider = make_provider(name, args.base_url, settings)
    # The provider's default model when the settings name none (a preset's, the
    # built-in offline model's, or "" for "the first the server lists").
    defaults = registry.generation_settings(name, settings, args.base_url)
    generation = generation_from_args(args, defaults)
    return ChatSession(provider, generation, retry_policy=retry_policy(), on_retry=out.retry_notice)


def make_provider(name: str, base_url: str | None, settings: Settings) -> Provider:
    """The provider called ``name`` (an entry of the settings or a preset, see
    ``rill.core.providers.registry``); ConfigurationError when it cannot be used yet."""
    return registry.build_provider(name, settings, base_url=base_url)


def generation_from_args(
    args: argparse.Namespace, defaults: GenerationSettings
) -> GenerationSettings:
    """The app-wide defaults with every option given on the command line applied."""
    a = args
    d = defaults
    return replace(
        d,
        model=a.model or d.model,
        temperature=d.temperature if a.temperature is None else a.temperature,
        top_p=d.top_p if a.top_p is None else a.top_p,
        top_k=d.top_k if a.top_k is None else a.top_k,
        max_output_tokens=d.max_output_tokens
        if a.max_output_tokens is None
        else a.max_output_tokens,
        stop_sequences=tuple(a.stop) if a.stop else d.stop_sequences,
        seed=d.seed if a.seed is None else a.seed,
        system_instruction=d.system_instruction if a.system is None else a.system,
        include_thoughts=True if a.thoughts else d.include_thoughts,
        stream=not a.no_stream,
        google_search=a.search or d.google_search,
        url_context=a.url_context or d.url_context,
        code_execution=a.code_execution or d.code_execution,
        image_output=a.image_output or d.image_output,
    )


def retry_policy() -> RetryPolicy:
    """The window's policy too (``retry.env_policy``); a bad RILL_MAX_ATTEMPTS is a
    ConfigurationError here: a script that asked for it must not run with another."""
    policy, problem = env_policy()
    if problem is not None:
        raise ConfigurationError(problem)
    return policy


def image_limits() -> AttachmentLimits:
    """Image limits, with RILL_IMAGE_MAX_SIDE / _MAX_BYTES / RILL_INLINE_REQUEST_BYTES."""
    from rill.core.attachments import AttachmentLimits

    try:
        return AttachmentLimits.from_env()
    except ValueError as error:
        raise ConfigurationError(str(error)) from None


def load_images(sources: Sequence[tuple[str, str]]) -> list[Attachment]:
    """Prepare every --image and --file (``(flag, value)`` in command-line order) before
    any request, so a bad file fails first, by name. --image takes images only."""
    if not sources:
        return []
    from rill.core.attachments import AttachmentError, PreparedFile, load_item

    limits = image_limits()
    loaded: list[Attachment] = []
    for flag, source in sources:
        item = load_item(source, limits)
        if flag == "image" and isinstance(item, PreparedFile):
            why = f"not an image (it is {item.label}; attach it with --file)"
            raise AttachmentError(source, why, code="not_image")
        loaded.append(item)
    return loaded


async def attach(session: ChatSession, images: list[Attachment], out: Output) -> list[Part]:
    """The prepared files as parts: inline, as text, or uploaded through the Files API."""
    if not images:
        return []
    from rill.core.attachments import attachments_to_parts, human_bytes

    def progress(item: Prepared, sent: int, total: int) -> None:
        if sent == 0:
            out.note(f"Uploading {item.name} ({human_bytes(total)}) to the Files API…")

    told: set[int] = set()

    def processing(item: Prepared, seconds: float) -> None:
        if id(item) not in told:  # once: the terminal is no progress bar
            told.add(id(item))
            out.note(f"Gemini is processing {item.name}…")

    return await attachments_to_parts(
        images, session.provider, image_limits(), progress, processing=processing
    )


def printer_for(session: ChatSession, args: argparse.Namespace, out: Output) -> AnswerPrinter:
    """How this run prints answers (--json, --save-images)."""
    from rill.core.cli.answer_out import AnswerPrinter, ImageSaver

    folder = Path(getattr(args, "save_images", ".") or ".").expanduser()
    return AnswerPrinter(
        out, session.settings, ImageSaver(folder), as_json=getattr(args, "json", False)
    )


async def answer(
    session: ChatSession,
    content: Content | None,
    out: Output,
    printer: AnswerPrinter | None = None,
) -> Message:
    """Send ``content`` (None: retry the last turn) and print the answer as it arrives.

    Raises the RillError that ended it, BlockedError for a blocked answer, and
    InvalidRequestError for one that only asks for a function call.
    """
    if printer is None:
        from rill.core.cli.answer_out import AnswerPrinter, ImageSaver

        printer = AnswerPrinter(out, session.settings, ImageSaver(Path(".")))
    try:
        if session.settings.stream:
            chunks = (
                session.retry_stream() if content is None else session.send_message_stream(content)
            )
            try:
                async for chunk in chunks:
                    printer.chunk(chunk)
            finally:
                # A failure here (stdout closed by `| head`) leaves the stream suspended;
                # closing it now ends the HTTP response in this task, rather than in the
                # loop's shutdown, where nested generators close concurrently and fail.
                aclose = getattr(chunks, "aclose", None)
                if aclose is not None:
                    await aclose()
        else:
            message = await (session.retry() if content is None else session.send_message(content))
            printer.whole(message)
    finally:
        # Whatever ended the answer (done, error, Ctrl-C), what was printed stays and
        # the terminal is left on a fresh line with normal colours.
        out.end_answer()
    result = session.last_answer
    assert result is not None  # the session recorded the answer before sending
    reason = result.finish_reason
    if reason in BLOCKING_FINISH_REASONS:
        cut = "stopped the answer" if result.text else "blocked the answer"
        who = getattr(session.provider, "label", None) or (
            "Gemini" if session.provider.name in ("gemini", "vertex") else "The model"
        )
        raise BlockedError(f"{who} {cut} ({reason}).", reason=reason or "")
    if reason is not None and reason not in NORMAL_FINISH_REASONS:
        out.note(finish_note(reason))
    printer.finish(result)
    return result


def finish_note(reason: str) -> str:
    """The line printed when an answer ended for ``reason`` instead of finishing."""
    if reason == "MAX_TOKENS":
        return "Note: the answer reached the output token limit (MAX_TOKENS)."
    return f"Note: the answer ended early (finish reason {reason})."


def format_stats(message: Message) -> str:
    """The --stats block: one "name: value" line per figure, "-" where unknown (the speed
    of an answer that came in one piece: no interval was measured)."""
    usage = message.usage

    def count(value: int | None) -> str:
        return "-" if value is None else str(value)

    ttft = message.time_to_first_token
    speed = message.tokens_per_second
    # An answer that came in one piece (--no-stream) has no first token of its own.
    waited = "time to whole answer" if message.arrived_whole else "time to first token"
    lines = [
        f"prompt tokens: {count(usage.prompt_tokens if usage else None)}",
        f"output tokens: {count(usage.output_tokens if usage else None)}",
        f"thinking tokens: {count(usage.thoughts_tokens if usage else None)}",
        f"total tokens: {count(usage.total_tokens if usage else None)}",
        f"{waited}: {'-' if ttft is None else f'{ttft:.3f} s'}",
        f"tokens per second: {'-' if speed is None else f'{speed:.1f}'}",
        f"finish reason: {message.finish_reason or '-'}",
        f"model version: {message.model_version or '-'}",
    ]
    if usage is not None and usage.cached_tokens:
        lines.insert(4, f"cached tokens: {usage.cached_tokens}")
    return "\n".join(lines)


SessionHook = Callable[[ChatSession], None]


def run_ask(args: argparse.Namespace, prompt: str, on_session: SessionHook | None = None) -> int:
    """``rill ask``: one answer. Errors propagate to ``cli.main`` for the exit status.

    ``on_session`` sees the session before any turn is recorded (the store follows it).
    """
    out = Output()
    images = load_images(args.attach)
    session = build_session(args, out)
    if on_session is not None:
        on_session(session)

    async def ask() -> Message:
        servers = None
        try:
            if getattr(args, "tools", None):
                from rill.core.cli.ask_tools import open_tools, server_names

                names = server_names(args.tools)
                servers, session.tools = await open_tools(names, out, approve=args.approve)
            # Images first: Gemini's guidance for a single-image prompt.
            parts = await attach(session, images, out)
            return await answer(session, [*parts, prompt], out, printer_for(session, args, out))
        finally:
            if servers is not None:
                await servers.shutdown()
            await session.provider.aclose()

    message = asyncio.run(ask())
    if args.stats:
        print(format_stats(message), file=sys.stderr, flush=True)
    return EXIT_OK


def run_chat(args: argparse.Namespace, on_session: SessionHook | None = None) -> int:
    """``rill chat``: a REPL on one ChatSession; errors are shown and the chat goes on."""
    out = Output()
    images = load_images(args.attach)
    session = build_session(args, out)
    if on_session is not None:
        on_session(session)
    interactive = sys.stdin.isatty()
    if interactive:
        with contextlib.suppress(ImportError):  # absent on Windows
            import readline  # noqa: F401  (line editing and history for input())
        model = session.settings.model or "the server's default model"
        print(f"{PROG} chat with {model}. /help for commands.", file=sys.stderr)
    with asyncio.Runner() as runner:
        try:
            while (line := _read_line("> " if interactive else "")) is not None:
                text = line.strip()
                if not text:
                    continue
                if text in ("/exit", "/quit"):
                    break
                if text == "/help":
                    print(CHAT_HELP, file=sys.stderr, end="")
                    continue
                content: Content | None
                if text == "/retry":
                    content = None
                elif text.startswith("/") and not text.startswith("//"):
                    out.note(f"Unknown command {text.split()[0]}; /help lists them.")
                    continue
                else:
                    try:
                        parts = runner.run(attach(session, images, out))
                    except RillError as error:
                        out.note(" ".join(str(error).split()))
                        continue
                    content = [*parts, text.removeprefix("/") if text.startswith("//") else text]
                    images = []
                _chat_turn(runner, session, content, out, args, printer_for(session, args, out))
        finally:
            runner.run(session.provider.aclose())
    return EXIT_OK


def _read_line(prompt: str) -> str | None:
    """One line of input; None at end of input. Ctrl-C clears the line, like a shell."""
    while True:
        try:
            return input(prompt)
        except EOFError:
            if prompt:
                print(file=sys.stderr)
            return None
        except KeyboardInterrupt:
            print(file=sys.stderr)


def _chat_turn(
    runner: asyncio.Runner,
    session: ChatSession,
    content: Content | None,
    out: Output,
    args: argparse.Namespace,
    printer: AnswerPrinter,
) -> None:
    stats = args.stats
    try:
        message = runner.run(answer(session, content, out, printer))
    except KeyboardInterrupt:
        out.note("Stopped.")
        return
    except (RillError, ValueError) as error:  # ValueError: /retry with nothing to retry
        out.note(" ".join(str(error).split()))
        return
    if stats:
        print(format_stats(message), file=sys.stderr, flush=True)

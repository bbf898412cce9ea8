"""``rill ask`` and ``rill chat``: the command-line twin of the window, on the same core.

Only argparse and the standard library load at import time; the provider, asyncio and
httpx load inside ``main`` so that a Ctrl-C at any moment ends without a traceback,
and Pillow and keyring load only when an image or a stored key is needed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from rill.core import setting_ranges as ranges
from rill.core.setting_ranges import Range

PROG = "rill"

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_INVALID = 4
EXIT_BLOCKED = 5
EXIT_RATE_LIMITED = 6
EXIT_SERVER = 7
EXIT_NETWORK = 8
EXIT_PROFILE = 9
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

EPILOG = f"""\
The answer goes to stdout, flushed chunk by chunk; everything else (thoughts, retry
notices, --stats, errors) goes to stderr, so `rill ask ... > answer.md` stays clean.
A failure prints exactly one line on stderr naming the cause.

exit status:
  {EXIT_OK}    the answer arrived (a note on stderr tells if it was cut short, e.g. MAX_TOKENS)
  {EXIT_INTERNAL}    unexpected internal error (set RILL_DEBUG=1 for the traceback)
  {EXIT_USAGE}    usage: bad option or value, empty prompt
  {EXIT_AUTH}    API key rejected or missing, permission denied (403), provider not available
  {EXIT_INVALID}    invalid request, unknown model (404), unusable --image or --file, a tool
       the model does not take (--search...), an unknown --tools server, or an answer
       that is only a function call without --tools (--json prints the call, exit 0)
  {EXIT_BLOCKED}    the prompt or the answer was blocked (safety, recitation, ...)
  {EXIT_RATE_LIMITED}    rate limited or out of quota (429), after the retries
  {EXIT_SERVER}    server error (500, 503, 504) after the retries, a malformed reply, or
       no answer at all (no candidates / no choices), streamed or not
  {EXIT_NETWORK}    network failure, timeout, or the connection dropped mid-answer
       (what arrived is kept on stdout)
  {EXIT_PROFILE}    the profile folder cannot be used (RILL_HOME is a file, a folder that
       cannot be created), or a change was asked of a read-only one (`rill import`);
       `rill ask` still answers then, with a warning that nothing is saved
  {EXIT_INTERRUPTED}  stopped with Ctrl-C (what arrived is kept on stdout)
  {EXIT_BROKEN_PIPE}  stdout was closed early (e.g. piped into `head`)

environment:
  GEMINI_API_KEY, GOOGLE_API_KEY   the Gemini key (else the one saved in the app)
  GOOGLE_GEMINI_BASE_URL           Gemini endpoint, overridden by --base-url
  RILL_HOME                        keep settings, data, cache and logs under this folder
  RILL_MAX_ATTEMPTS                attempts per request (default 4; 1 = no retries)
"""

CHAT_HELP = """\
Type a message and press Enter. Commands: /retry sends the last message again after a
failure, /exit (or Ctrl-D) quits, /help shows this. Ctrl-C stops the answer being
written and keeps what was printed. Start a line with // to send a literal "/".
--image and --file attachments go with the first message.
"""


class StdoutState:
    """Whether an answer left stdout mid-line, so a failure starts on a fresh line."""

    line_open = False


def finish_stdout_line() -> None:
    """End a partly written answer line; what was printed stays."""
    if StdoutState.line_open:
        StdoutState.line_open = False
        with contextlib.suppress(OSError, ValueError):  # stdout may be gone
            print(flush=True)


class UsageError(Exception):
    """A command-line mistake; reported on one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would print the whole usage block; one line says what is wrong.
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    """The ``rill`` parser with its ``ask`` and ``chat`` subcommands."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog=PROG,
        description="Chat with Gemini from the terminal; answers stream as they are written.",
        epilog=EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    common = _Parser(add_help=False)
    _add_generation_options(common)
    sub = parser.add_subparsers(dest="command", metavar="{ask,chat}", parser_class=_Parser)
    ask = sub.add_parser(
        "ask",
        parents=[common],
        help="ask one question and stream the answer to stdout",
        description="Ask one question; the answer streams to stdout.",
        epilog=EPILOG,
        formatter_class=formatter,
    )
    ask.add_argument(
        "prompt", nargs="+", metavar="PROMPT", help="the question (words are joined); - reads stdin"
    )
    ask.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per chunk (parts, usage, finish_reason, model_version, "
        "grounding, url_context, citations) instead of the answer's text",
    )
    servers = ask.add_argument_group("tools from MCP servers (see rill mcp)")
    servers.add_argument(
        "--tools",
        metavar="NAME[,NAME...]",
        help="offer the model these servers' tools; on a terminal each call asks "
        "'Allow NAME.tool(args)? [y]es/[n]o/[a]lways'; with no terminal calls are denied",
    )
    servers.add_argument(
        "--approve", action="store_true", help="allow every tool call without asking (scripts)"
    )
    sub.add_parser(
        "chat",
        parents=[common],
        help="a multi-turn conversation in the terminal",
        description="A multi-turn conversation; every turn sends the history.\n\n" + CHAT_HELP,
        epilog=EPILOG,
        formatter_class=formatter,
    )
    from rill.core.cli import history as cli_history  # history, search, export, import; --no-save

    cli_history.add_commands(sub)
    from rill.core.cli import mcp as cli_mcp  # rill mcp: the tool servers

    cli_mcp.add_commands(sub)
    return parser


def _add_generation_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--provider",
        help="a provider from the settings or a preset: gemini, local (offline, built in), "
        "vertex, ollama, lmstudio, llamacpp, vllm, openrouter, openai, gemini-openai "
        "(default: the settings' default provider)",
    )
    p.add_argument("--model", help="model id (default: the settings' model, else the provider's)")
    p.add_argument("--base-url", metavar="URL", help="API endpoint (proxies, gateways, tests)")
    p.add_argument(
        "--temperature",
        type=_ranged(float, ranges.TEMPERATURE),
        metavar="T",
        help="randomness, 0 to 2",
    )
    p.add_argument(
        "--top-p", type=_ranged(float, ranges.TOP_P), metavar="P", help="nucleus sampling, 0 to 1"
    )
    p.add_argument(
        "--top-k", type=_ranged(int, ranges.TOP_K), metavar="K", help="sample from the K likeliest"
    )
    p.add_argument(
        "--max-output-tokens",
        type=_ranged(int, ranges.MAX_OUTPUT_TOKENS),
        metavar="N",
        help="answer length cap",
    )
    p.add_argument(
        "--stop", action="append", default=[], metavar="SEQ", help="stop sequence (repeatable)"
    )
    p.add_argument(
        "--seed", type=_ranged(int, ranges.SEED), metavar="N", help="for repeatable sampling"
    )
    p.add_argument("--system", metavar="TEXT", help="system instruction")
    # --image and --file fill one list of (flag, value), so attachments keep the command
    # line's order and --image still takes images only.
    p.add_argument(
        "--image",
        dest="attach",
        type=lambda value: ("image", value),
        action="append",
        default=[],
        metavar="PATH_OR_URI",
        help="attach an image: a file, https://, gs:// or a Gemini Files API URI (repeatable)",
    )
    p.add_argument(
        "--file",
        dest="attach",
        type=lambda value: ("file", value),
        action="append",
        metavar="PATH_OR_URI",
        help="attach a file: PDF, text or code, audio, video or an image; a path, gs:// or a "
        "Gemini Files API URI (repeatable). Gemini reads them natively; other providers get "
        "text files and PDFs as text and refuse audio and video",
    )
    p.add_argument(
        "--thoughts",
        action="store_true",
        help="ask for the model's thoughts and print them on stderr (dimmed on a terminal)",
    )
    p.add_argument(
        "--no-stream", action="store_true", help="wait for the whole answer (generateContent)"
    )
    p.add_argument(
        "--stats",
        action="store_true",
        help="after the answer, print tokens, time to first token, speed, finish reason "
        "and model version on stderr",
    )
    tools = p.add_argument_group("Gemini's tools (Gemini and Vertex AI only)")
    tools.add_argument(
        "--search",
        action="store_true",
        help="ground the answer in Google Search: [n] markers and a numbered Sources list "
        "(the answer prints when it is complete, so the markers can be placed)",
    )
    tools.add_argument(
        "--url-context", action="store_true", help="let the model read the URLs in the prompt"
    )
    tools.add_argument(
        "--code-execution",
        action="store_true",
        help="let the model run Python; code prints as fenced blocks followed by its output",
    )
    tools.add_argument(
        "--image-output",
        action="store_true",
        help="ask an image model for images in the answer (saved, see --save-images)",
    )
    tools.add_argument(
        "--save-images",
        metavar="DIR",
        default=".",
        help="where images in answers are saved; a line [image: PATH] marks each "
        "(default: the current directory)",
    )


def _ranged(kind: type[float] | type[int], allowed: Range) -> Callable[[str], float]:
    """An argparse type: ``kind`` in ``allowed`` (the settings' own range), else a usage error."""

    def convert(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if not allowed.accepts(value):
            raise argparse.ArgumentTypeError(
                f"{text} is out of range (expected {allowed.describe()})"
            )
        return value

    return convert


def exit_code_for(error: BaseException) -> int:
    """The documented exit status for a failure (see EPILOG)."""
    from rill.core import errors as e
    from rill.core.paths import ProfileError

    table: tuple[tuple[type[BaseException], int], ...] = (
        (ProfileError, EXIT_PROFILE),
        (e.CancelledByUserError, EXIT_INTERRUPTED),
        (e.AuthError, EXIT_AUTH),
        (e.PermissionDeniedError, EXIT_AUTH),
        (e.ConfigurationError, EXIT_AUTH),
        (e.BlockedError, EXIT_BLOCKED),
        (e.RateLimitedError, EXIT_RATE_LIMITED),
        (e.ServerError, EXIT_SERVER),
        (e.ProtocolError, EXIT_SERVER),
        (e.NetworkError, EXIT_NETWORK),  # includes StreamInterruptedError
        (e.RequestTimeoutError, EXIT_NETWORK),
        (e.NotFoundError, EXIT_INVALID),
        (e.InvalidRequestError, EXIT_INVALID),  # includes AttachmentError
        (UsageError, EXIT_USAGE),
    )
    for cls, code in table:
        if isinstance(error, cls):
            return code
    return EXIT_INTERNAL


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rill-chat")
    except PackageNotFoundError:
        return "unknown"


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "unknown error"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status. Never lets a traceback reach the user."""
    args_list = sys.argv[1:] if argv is None else argv
    try:
        return _main(args_list)
    except KeyboardInterrupt:
        finish_stdout_line()
        _err("Stopped (Ctrl-C).")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Whoever read stdout has gone; point stdout at devnull so the interpreter's
        # final flush does not raise again, and say nothing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        if os.environ.get("RILL_DEBUG"):
            import traceback

            traceback.print_exc()
        code = exit_code_for(exc)
        if code == EXIT_INTERNAL:
            _err(f"rill: internal error: {type(exc).__name__}: {_one_line(str(exc))}")
        else:
            finish_stdout_line()
            _err(_one_line(str(exc)))
        return code


def _main(argv: list[str]) -> int:
    from rill.core.cli import mcp as cli_mcp

    parser = build_parser()
    argv, program = cli_mcp.split_program(argv)  # `rill mcp add NAME -- COMMAND ARGS…`
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help; argparse already printed it
        return done.code if isinstance(done.code, int) else EXIT_OK
    if args.version:
        print(f"{PROG} {_version()}")
        return EXIT_OK
    if args.command is None:
        raise UsageError(f"{PROG}: choose a command: ask or chat (see {PROG} --help)")
    from rill.core.cli import history as cli_history

    if args.command in cli_history.COMMANDS:
        return cli_history.run(args)
    if args.command == "mcp":
        return cli_mcp.run(args, program)
    # Imported only now: asyncio, httpx and the provider are most of the startup time.
    # httpx's package init also imports its own command line (click + rich, ~40 ms)
    # when those happen to be installed; a None entry makes that optional import fail
    # fast, as it does on a machine without them. Rill never uses httpx's CLI.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    from rill.core.cli import run as cli_run

    with cli_history.saving(args) as follow:  # unless --no-save: turns go to the store
        if args.command == "ask":
            prompt = " ".join(args.prompt)
            if prompt == "-":
                prompt = sys.stdin.read()
            if not prompt.strip():
                raise UsageError(f"{PROG} ask: the prompt is empty")
            return cli_run.run_ask(args, prompt, on_session=follow)
        return cli_run.run_chat(args, on_session=follow)


def _err(line: str) -> None:
    from rill.core.cli.terminal import for_stream  # a server's words are in the line

    with contextlib.suppress(OSError, ValueError):  # stderr gone: the status still tells
        print(for_stream(sys.stderr, line), file=sys.stderr, flush=True)

"""``rill history``, ``rill search``, ``rill export``, ``rill import``, and the saving of
``rill ask`` / ``rill chat`` conversations to the store (``--no-save`` opts out).

Importing this module costs only argparse: the store, sqlite3 and JSON load when a
command runs, so ``rill --help`` and ``rill ask`` start as fast as before.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rill.core.chat import ChatSession
    from rill.core.recorder import Autosave
    from rill.core.store import Store

COMMANDS = ("history", "search", "export", "import")
SAVING_COMMANDS = ("ask", "chat")
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INVALID = 4

_EPILOG = """\
Conversations are kept in rill.sqlite in Rill's data folder (under RILL_HOME when set),
shared with the window. `rill ask` and `rill chat` save theirs unless --no-save is given.
exit status: 0 done, 2 unknown conversation or bad option, 4 unreadable import file,
9 the profile folder cannot be used (or is read-only, for import). A read-only profile
still lists, searches and exports, with a warning.
"""


def add_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """Register the history commands and give ``ask``/``chat`` their ``--no-save``."""
    for name in SAVING_COMMANDS:
        if name in sub.choices:
            sub.choices[name].add_argument(
                "--no-save", action="store_true", help="do not keep this conversation"
            )
    sub.metavar = "{" + ",".join([*sub.choices, *COMMANDS]) + "}"
    raw = argparse.RawDescriptionHelpFormatter
    history = sub.add_parser(
        "history",
        help="list saved conversations, newest first",
        description="List saved conversations: id, last active, messages, model, title. "
        "Pinned ones (*) come first.",
        epilog=_EPILOG,
        formatter_class=raw,
    )
    history.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (0: all)")
    history.add_argument("--deleted", action="store_true", help="list the trash instead")
    search = sub.add_parser(
        "search",
        help="full-text search over every saved message",
        description="Search every saved message; hits are shown **like this**. Words must all "
        'match; "quoted words" match as a phrase; the last word also matches as a prefix.',
        epilog=_EPILOG,
        formatter_class=raw,
    )
    search.add_argument("text", nargs="+", metavar="TEXT")
    search.add_argument("--limit", type=int, default=20, metavar="N")
    export = sub.add_parser(
        "export",
        help="write a conversation as Markdown or JSON",
        description="Write one conversation to stdout or a file. Markdown shows the selected "
        "version of each turn; with -o, images go to <name>_images/ beside it, on stdout "
        "they are described. JSON keeps everything (all versions, images as base64) and "
        "can be imported again. No export ever contains an API key.",
        epilog=_EPILOG,
        formatter_class=raw,
    )
    export.add_argument("id", nargs="?", type=int, metavar="ID", help="see `rill history`")
    export.add_argument("--latest", action="store_true", help="the most recent conversation")
    export.add_argument("--format", choices=("md", "json"), default="md")
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    imp = sub.add_parser(
        "import",
        help="add a conversation from a JSON export",
        description="Add a conversation from a file made by `rill export --format json` "
        "(or the window's export); - reads stdin. It gets a new id.",
        epilog=_EPILOG,
        formatter_class=raw,
    )
    imp.add_argument("file", metavar="FILE")


class _Refused(Exception):
    """A request that cannot be met (unknown id, unreadable file): one line and a status."""

    def __init__(self, line: str, status: int = EXIT_USAGE) -> None:
        super().__init__(line)
        self.status = status


def run(args: argparse.Namespace) -> int:
    """Run one of COMMANDS; returns the exit status."""
    from rill.core.store import Store

    with Store(check="auto") as store:  # a full check only after an unclean exit
        _warn_about(store)
        try:
            if args.command == "history":
                return _history(store, args)
            if args.command == "search":
                return _search(store, args)
            if args.command == "export":
                return _export(store, args)
            return _import(store, args)
        except _Refused as refused:
            _note(str(refused))
            return refused.status


def _history(store: Store, args: argparse.Namespace) -> int:
    rows = store.list_conversations(deleted=args.deleted, limit=args.limit or -1)
    if not rows:
        _note("The trash is empty." if args.deleted else "No saved conversations yet.")
        return EXIT_OK
    width = max(len(r.model) for r in rows)
    print(f"{'ID':>5}  {'LAST ACTIVE':<16}  {'MSGS':>5}  {'MODEL':<{width}}  TITLE")
    for r in rows:
        title = ("* " if r.pinned else "") + (_one_line(r.title) or "(untitled)")
        when = _when(r.deleted_at if args.deleted and r.deleted_at else r.updated_at)
        print(f"{r.id:>5}  {when:<16}  {r.message_count:>5}  {r.model:<{width}}  {title}")
    return EXIT_OK


def _search(store: Store, args: argparse.Namespace) -> int:
    hits = store.search(" ".join(args.text), limit=args.limit)
    if not hits:
        _note("No matches.")
        return EXIT_OK
    for hit in hits:
        print(f"#{hit.conversation_id}  {_when(hit.created_at)}  {_one_line(hit.title)}")
        print(
            f"    {hit.role.value} (message {hit.message_id}): {_one_line(hit.marked('**', '**'))}"
        )
    return EXIT_OK


def _export(store: Store, args: argparse.Namespace) -> int:
    from rill.core.store import export

    conversation_id = _chosen(store, args)
    output = Path(args.output) if args.output else None
    if args.format == "json":
        text = export.dumps(export.export_json(store, conversation_id))
    else:
        folder = output.with_name(output.stem + "_images") if output is not None else None
        text = export.to_markdown(store, conversation_id, image_dir=folder)
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        output.write_text(text, encoding="utf-8")
    return EXIT_OK


def _chosen(store: Store, args: argparse.Namespace) -> int:
    if (args.id is None) == (not args.latest):
        raise _Refused("rill export: give a conversation ID or --latest (not both)")
    if args.latest:
        latest = store.latest_conversation_id()
        if latest is None:
            raise _Refused("rill export: there are no saved conversations")
        return latest
    try:
        store.get_conversation(args.id)
    except LookupError:
        raise _Refused(f"rill export: no conversation {args.id} (see rill history)") from None
    return int(args.id)


def _import(store: Store, args: argparse.Namespace) -> int:
    from rill.core.store import ExportFormatError, import_json

    warnings: list[str] = []
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as error:
        raise _Refused(
            f"rill import: {args.file}: {error.strerror or error}", EXIT_INVALID
        ) from None
    try:
        new_id = import_json(store, data, warnings)  # a read-only store: ProfileError, 9
    except ExportFormatError as error:
        raise _Refused(f"rill import: {args.file}: {error}", EXIT_INVALID) from None
    for warning in warnings:
        _note(f"rill import: warning: {warning}")
    title = store.get_conversation(new_id).title
    print(f"Imported as conversation {new_id}: {_one_line(title) or '(untitled)'}")
    return EXIT_OK


# ---------------------------------------------------------------- saving ask and chat


@contextlib.contextmanager
def saving(args: argparse.Namespace) -> Iterator[Callable[[ChatSession], None] | None]:
    """While ``rill ask``/``rill chat`` runs, save its session to the store.

    Yields the hook to hand to ``run.run_ask``/``run_chat`` (None with --no-save):
    the session it is given is followed by an Autosave thread (open the store, then
    write new turns and the partial answer every quarter second), and the final state
    is written when the command ends, however it ends. A store that cannot be used
    costs a warning, never the answer.
    """
    if args.command not in SAVING_COMMANDS or getattr(args, "no_save", False):
        yield None
        return
    followed: list[Autosave] = []

    def follow(session: ChatSession) -> None:
        followed.append(_follow(session, args.provider or session.provider.name))

    try:
        yield follow
    finally:
        for autosave in followed:
            _finish(autosave)


def _follow(session: ChatSession, provider: str) -> Autosave:
    """Save ``session``: its turns as they change, its streaming answer every tick."""
    from rill.core.recorder import Autosave, SessionRecorder, WatchedHistory

    def make() -> SessionRecorder:
        from rill.core.store import Store  # in the autosave thread, off the request's path

        store = Store(check="auto")
        return SessionRecorder(store, provider=provider, settings=session.settings)

    def changed(removing: bool) -> None:
        # A turn about to be dropped (a retry) must wait for the store; an added one
        # is picked up by the next tick if the store is still opening.
        autosave.sync_now(wait=removing)

    session.history = WatchedHistory(session.history, changed)
    autosave = Autosave(make, session.history, delay=0.5)
    return autosave.start()


def _finish(autosave: Autosave) -> None:
    try:
        recorder = autosave.stop()
    except Exception as error:
        _note(f"rill: warning: the conversation was not saved ({_one_line(str(error))})")
        return
    if recorder is not None:
        _warn_about(recorder.store)
        recorder.store.close()


def _warn_about(store: Store) -> None:
    if store.report.needs_attention:
        _note(f"rill: warning: {store.report.message}")


def _note(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


def _one_line(text: str) -> str:
    """Stored text on one line, with any terminal control sequence made visible."""
    from rill.core.cli.terminal import inert

    return inert(" ".join(text.split()))


def _when(timestamp: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))

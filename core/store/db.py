"""The conversation store: every chat on disk in one SQLite file in the profile's data dir.

Synchronous on purpose: the GUI calls it through ``asyncio.to_thread`` (or one worker
thread), the CLI directly. It is thread-safe: each thread gets its own connection
(SQLite in WAL mode lets readers run while one writer writes), and every write is one
``BEGIN IMMEDIATE`` transaction, so a search in one thread never waits for the
once-a-second partial write of a streaming answer in another.

Shape of the API, for a model that holds ids and loads rows lazily (Anki-style):
``list_conversations`` is cheap (no bodies); ``path_ids`` gives the selected path's ids;
``get_messages(ids)`` loads bodies for what is on screen. Versions are siblings in a
message tree (see ``rill.core.store.tree``): ``add_version`` for regenerate and edit,
``siblings`` and ``select_version`` for the ‹ 1/3 › switcher.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from rill.core.paths import ProfileError, data_dir
from rill.core.store import conversations as rows
from rill.core.store import marks, tree
from rill.core.store.codec import settings_to_json, title_from
from rill.core.store.open import Check, connect, connect_read_only, open_database
from rill.core.store.records import (
    Conversation,
    ConversationSummary,
    OpenReport,
    SearchHit,
    StoredMessage,
    StoreStats,
    TreeNode,
)
from rill.core.store.search import search
from rill.core.types import GenerationSettings, Message, Role

FILE_NAME = "rill.sqlite"


def default_path() -> Path:
    """Where the store lives: ``rill.sqlite`` in the profile's data dir."""
    return data_dir() / FILE_NAME


class Store:
    """Conversations, their message trees, images and the search index.

    Opening never fails because of the file's contents: a damaged or newer file is
    moved aside and ``report`` says so (show ``report.message`` when
    ``report.needs_attention``). Answers a previous run left streaming are marked
    INTERRUPTED on open; their ids are in ``report.interrupted``.

    ``path`` defaults to ``default_path()``. ``check`` says how hard to look at an
    existing file first (see ``rill.core.store.open.Check``): "quick" reads every
    page (0.4 s for 100,000 messages: open it off the UI thread); "auto" only after
    an unclean exit, which is what the CLI uses. Raises OSError (ProfileError for an
    unusable folder) or sqlite3.Error only for what is not the file's fault (a lock
    held too long). A history that cannot be written is opened read-only
    (``report.read_only``): reads work, every write raises ProfileError.
    """

    def __init__(self, path: Path | None = None, *, check: Check = "quick") -> None:
        self.db_path = path if path is not None else default_path()
        conn, report = open_database(self.db_path, check)
        self.report: OpenReport = report
        self._marks = marks.Keeper(self.db_path, marks.current(conn))
        self._local = threading.local()
        self._local.conn = conn
        self._connections = [conn]
        self._lock = threading.Lock()  # guards _connections only
        self._closed = False

    # ------------------------------------------------------------ plumbing

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise sqlite3.ProgrammingError("the store is closed")
            read_only = self.report.read_only
            conn = connect_read_only(self.db_path)[0] if read_only else connect(self.db_path)
            with self._lock:
                self._connections.append(conn)
            self._local.conn = conn
        return conn

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group writes into one transaction (an import, a benchmark's bulk load).

        Nested use joins the outer transaction; an exception rolls all of it back.
        """
        with self._write():
            yield

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self.report.read_only:
            raise ProfileError(self.db_path.parent, self.report.read_only_message, readable=True)
        conn = self._conn()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self._marks.after_write(conn)

    def close(self) -> None:
        """Close every thread's connection; the store cannot be used afterwards."""
        self._closed = True
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()
        self._marks.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------ conversations

    def create_conversation(
        self,
        *,
        title: str = "",
        provider: str = "",
        settings: GenerationSettings | None = None,
        created_at: float | None = None,
    ) -> int:
        """A new, empty conversation; returns its id. An empty title is filled in
        from the first user message."""
        with self._write() as conn:
            return rows.insert(
                conn,
                title=title,
                provider=provider,
                settings=settings or GenerationSettings(),
                created_at=time.time() if created_at is None else created_at,
            )

    def get_conversation(self, conversation_id: int) -> Conversation:
        """One conversation with its settings; LookupError when there is none."""
        return rows.get(self._conn(), conversation_id)

    def list_conversations(
        self, *, deleted: bool = False, limit: int = -1, offset: int = 0
    ) -> list[ConversationSummary]:
        """Pinned first, then the most recently active; ``deleted`` lists the trash.

        Cheap (no message bodies): about 1 ms for 100 conversations of 200 messages.
        """
        return rows.listing(self._conn(), deleted=deleted, limit=limit, offset=offset)

    def conversation_keys(self) -> list[tuple[int, bool, float]]:
        """(id, pinned, updated_at) of every conversation not in the trash, in
        ``list_conversations`` order: for a list that loads its rows lazily (``summaries``)."""
        return rows.listing_keys(self._conn())

    def summaries(self, ids: Sequence[int]) -> dict[int, ConversationSummary]:
        """The list lines of ``ids`` by id; an id that is gone is left out."""
        out: dict[int, ConversationSummary] = {}
        for chunk in tree.chunks(list(ids)):
            out.update(rows.summaries(self._conn(), chunk))
        return out

    def latest_conversation_id(self) -> int | None:
        """The most recently active conversation not in the trash (pins ignored)."""
        return rows.latest_id(self._conn())

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        """Give a conversation a new title."""
        self._set(conversation_id, "title", title.strip())

    def set_pinned(self, conversation_id: int, pinned: bool) -> None:
        """Pin a conversation to the top of the list, or unpin it."""
        self._set(conversation_id, "pinned", int(pinned))

    def update_settings(
        self, conversation_id: int, settings: GenerationSettings, *, provider: str | None = None
    ) -> None:
        """Replace a conversation's generation settings (and provider, when given)."""
        with self._write():
            self._set(conversation_id, "settings", rows.dumps(settings_to_json(settings)))
            self._set(conversation_id, "model", settings.model)
            if provider is not None:
                self._set(conversation_id, "provider", provider)

    def set_tool_grants(self, conversation_id: int, grants: Sequence[tuple[str, str]]) -> None:
        """Replace the tools ``conversation_id`` may call without asking (``(server,
        tool)`` pairs; "Allow in this chat"); read back in ``Conversation.tool_grants``."""
        with self._write() as conn:
            rows.set_grants(conn, conversation_id, grants)

    def delete_conversation(self, conversation_id: int) -> None:
        """Move to the trash (soft delete): hidden from the list and search until
        ``restore_conversation`` (undo) or ``purge_conversation``."""
        self._set(conversation_id, "deleted_at", time.time())

    def restore_conversation(self, conversation_id: int) -> None:
        """Undo ``delete_conversation``."""
        self._set(conversation_id, "deleted_at", None)

    def purge_conversation(self, conversation_id: int) -> None:
        """Delete for good, with the images no other message uses."""
        with self._write() as conn:
            rows.purge(conn, conversation_id, 0.0)

    def purge_deleted(self, *, older_than: float | None = None) -> int:
        """Empty the trash (entries deleted before ``older_than``); returns how many."""
        with self._write() as conn:
            return rows.purge(conn, None, time.time() if older_than is None else older_than)

    def _set(self, conversation_id: int, column: str, value: object) -> None:
        with self._write() as conn:
            rows.set_column(conn, conversation_id, column, value)

    # ------------------------------------------------------------ messages

    def append_message(self, conversation_id: int, message: Message) -> int:
        """Add ``message`` after the selected path's last message; returns its id."""
        with self._write() as conn:
            return self._add(conn, conversation_id, message, tree.leaf_id(conn, conversation_id))

    def add_version(self, sibling_of: int, message: Message) -> int:
        """Add ``message`` as another version of ``sibling_of`` and select it.

        Regenerate: a new answer beside the old one. Edit-and-resend: a new user turn
        beside the old one, whose later turns stay on their branch. Returns the id.
        """
        with self._write() as conn:
            row = conn.execute(
                "SELECT conversation_id, parent_id FROM messages WHERE id = ?", (sibling_of,)
            ).fetchone()
            if row is None:
                raise LookupError(f"no message {sibling_of}")
            return self._add(conn, int(row[0]), message, row[1])

    def add_message(self, conversation_id: int, message: Message, parent_id: int | None) -> int:
        """Add ``message`` under ``parent_id`` (None: a first turn) and select it."""
        with self._write() as conn:
            return self._add(conn, conversation_id, message, parent_id)

    def _add(
        self,
        conn: sqlite3.Connection,
        conversation_id: int,
        message: Message,
        parent_id: int | None,
    ) -> int:
        leaf = tree.leaf_id(conn, conversation_id)
        message_id = tree.insert_message(conn, conversation_id, message, parent_id)
        if parent_id is not None and parent_id == leaf:
            # The common case, appending to the shown path: two pointer writes.
            conn.execute(
                "UPDATE messages SET active_child_id = ? WHERE id = ?", (message_id, parent_id)
            )
            conn.execute(
                "UPDATE conversations SET leaf_id = ? WHERE id = ?", (message_id, conversation_id)
            )
        else:
            tree.select(conn, message_id)
        if message.role is Role.USER:
            conn.execute(
                "UPDATE conversations SET title = ? WHERE id = ? AND title = ''",
                (title_from(message), conversation_id),
            )
        tree.touch(conn, conversation_id)
        return message_id

    def update_message(self, message_id: int, message: Message) -> None:
        """Rewrite a stored message from ``message`` (role and place stay).

        This is the streaming write: call it about once a second with the growing
        answer and once more when it ends. An answer still PENDING or STREAMING is
        kept out of the search index, so a partial write costs one row update.
        """
        with self._write() as conn:
            tree.touch(conn, tree.update_message(conn, message_id, message))

    def delete_message(self, message_id: int) -> int:
        """Delete a message and every later turn below it (all their versions).

        The neighbouring version is selected in its place. Returns how many went.
        """
        with self._write() as conn:
            count = tree.delete_subtree(conn, message_id)
            rows.collect_garbage(conn)
        return count

    def path_ids(self, conversation_id: int) -> list[int]:
        """The selected path's message ids, first turn first. Cheap: no bodies."""
        conn = self._conn()
        leaf = tree.leaf_id(conn, conversation_id)
        return [] if leaf is None else tree.ancestry(conn, leaf)

    def get_messages(self, ids: Sequence[int]) -> list[StoredMessage]:
        """Bodies (images included) for ``ids``, in that order; LookupError if one is gone."""
        return tree.load(self._conn(), ids)

    def get_message(self, message_id: int) -> StoredMessage:
        """One message with its place in the tree; LookupError if it is gone."""
        return self.get_messages([message_id])[0]

    def path(self, conversation_id: int) -> list[StoredMessage]:
        """The selected path with bodies: what the chat view shows."""
        return self.get_messages(self.path_ids(conversation_id))

    def history(self, conversation_id: int) -> list[Message]:
        """The selected path as plain Messages: ``ChatSession(..., history=...)``."""
        return [stored.message for stored in self.path(conversation_id)]

    def siblings(self, message_id: int) -> list[int]:
        """The versions of this turn, oldest first (``message_id`` among them)."""
        return tree.siblings(self._conn(), message_id)

    def select_version(self, message_id: int) -> list[int]:
        """Show ``message_id`` (a version, or any message) on the selected path.

        Below it the path follows what was last selected there. Returns the new path's
        ids, so a view can keep the rows before the first changed id.
        """
        with self._write() as conn:
            _, leaf = tree.select(conn, message_id)
            return tree.ancestry(conn, leaf)

    def all_message_ids(self, conversation_id: int) -> list[int]:
        """Every message of a conversation, all branches, parents before children."""
        found = self._conn().execute(
            "SELECT id FROM messages WHERE conversation_id = ? ORDER BY seq, id",
            (conversation_id,),
        )
        return [int(r[0]) for r in found]

    def selected_children(self, conversation_id: int) -> dict[int, int]:
        """Parent id → the child id its path follows (exports keep the selection)."""
        return tree.selected_children(self._conn(), conversation_id)

    def insert_conversation(
        self,
        conversation: Conversation,
        nodes: Sequence[TreeNode],
        *,
        selected_root: int | None,
    ) -> int:
        """Insert a whole conversation at once (import); returns its new id.

        ``conversation``'s id and leaf are ignored; its title, settings, pin and
        timestamps are kept. ``nodes`` is the message tree by index (see TreeNode),
        ``selected_root`` the index of the first turn the path starts from. One
        transaction: a bad tree (ValueError) leaves nothing behind.
        """
        c = conversation
        with self._write() as conn:
            new_id = self.create_conversation(
                title=c.title, provider=c.provider, settings=c.settings, created_at=c.created_at
            )
            tree.insert_tree(conn, new_id, nodes, selected_root)
            conn.execute(
                "UPDATE conversations SET pinned = ?, updated_at = ?, deleted_at = ? WHERE id = ?",
                (int(c.pinned), c.updated_at, c.deleted_at, new_id),
            )
        return new_id

    # ------------------------------------------------------------ search and upkeep

    def search(
        self,
        text: str,
        *,
        limit: int = 50,
        prefix: bool = True,
        conversation_id: int | None = None,
    ) -> list[SearchHit]:
        """Messages (every version) matching the words in ``text``, best first.

        Any input is safe; nothing searchable gives []. Conversations in the trash
        are left out. A hit off the selected path: ``select_version(hit.message_id)``.
        """
        return search(
            self._conn(), text, limit=limit, prefix=prefix, conversation_id=conversation_id
        )

    def get_blob(self, sha256: str) -> bytes | None:
        """An image's bytes by content address (thumbnails, exports); None if unknown."""
        row = self._conn().execute("SELECT data FROM blobs WHERE sha256 = ?", (sha256,))
        found = row.fetchone()
        return None if found is None else bytes(found[0])

    def stats(self) -> StoreStats:
        """Counts and sizes (conversations, messages, images, file bytes)."""
        return rows.stats(self._conn(), self.db_path)

    def integrity_check(self) -> list[str]:
        """Problems SQLite and the search index find; [] when the file is sound.

        Reads every page (seconds on a big store): for a "check" button or a test,
        not for every start (opening does the cheaper quick_check).
        """
        return rows.integrity_problems(self._conn())

"""The files waiting in the composer (images, documents, text, audio, video), and the
workers that make them ready.

Widgets only connect here; this QObject owns the preparation tasks (through the
window's TaskLauncher) and the image workers (``rill.gui.composer.image_workers``: two worker
processes for Pillow, so its GIL-holding stretches never delay the UI thread, and two
threads for Qt decodes). Each image gets a placeholder at once, a thumbnail as soon as
a reduced decode allows, then its prepared form (``prepare_image``) for sending.
"""

from __future__ import annotations

import enum
import itertools
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from rill.core.attachments import (
    AttachmentError,
    AttachmentLimits,
    Delivery,
    FileUri,
    Prepared,
    PreparedFile,
    PreparedImage,
    delivery,
    uri_delivery,
)
from rill.core.attachments.kinds import by_extension
from rill.core.file_parts import FileKind
from rill.gui.chat import image_limits
from rill.gui.common import TaskLauncher
from rill.gui.composer.image_decode import BIG_FILE_BYTES, decode_scaled, png_bytes, source_size
from rill.gui.composer.image_drop import FilePayload
from rill.gui.composer.image_workers import SWITCH_INTERVAL_S as SWITCH_INTERVAL_S
from rill.gui.composer.image_workers import WORKER_NICENESS as WORKER_NICENESS
from rill.gui.composer.image_workers import WORKERS as WORKERS
from rill.gui.composer.image_workers import ImageWorkers, prepare_job, thumbnail_job

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)


def _new_event() -> asyncio.Event:
    """A file's ``settled`` event; asyncio is imported with the first file, not with
    this module, which the window imports before its first paint (issue 14, item 7)."""
    import asyncio

    return asyncio.Event()


MAX_ATTACHMENTS = 100  # per message: a sane cap that still allows a photo album
# Items shown (a tile, a worker job) per turn of the event loop. Each costs the UI
# thread about 0.5 ms (the tile's widgets, its first paint, the task's first step):
# 100 dropped at once in one go stalled it 60-66 ms; in batches of 16 the longest
# stall of a 100-image drop stays well under the 100 ms a freeze starts at.
ANNOUNCE_BATCH = 16
# Refused names listed in the message, before "and N more".
NAMES_SHOWN = 3
Source = Path | bytes | QImage | FileUri


class State(enum.Enum):
    """Where a queued file stands."""

    PREPARING = "preparing"  # thumbnail and/or prepare_attachment still running
    READY = "ready"
    FAILED = "failed"  # removed from the strip; the reason was reported
    REMOVED = "removed"


@dataclass(eq=False)
class QueuedFile:
    """One attachment in the composer: where it came from and how far it got.

    Qt-free apart from a pasted QImage source; the strip shows it, the controller
    awaits :meth:`ready` when the turn is sent.
    """

    id: int
    name: str
    source: Source
    state: State = State.PREPARING
    thumbnail: bytes | None = None  # PNG, for the strip
    prepared: Prepared | None = None
    delivery: Delivery | None = None  # a document's: how it will be sent, or why not
    error: str | None = None
    progress: float | None = None  # 0..1 while uploading
    announced: bool = True  # shown (and started) before being detached with a draft
    settled: asyncio.Event = field(default_factory=_new_event)

    @property
    def uri(self) -> FileUri | None:
        """The file's URI when it was attached by URI."""
        return self.source if isinstance(self.source, FileUri) else None

    @property
    def busy(self) -> bool:
        """Whether the file is still preparing or uploading."""
        return self.state is State.PREPARING or self.progress is not None

    def describe(self) -> str:
        """The tooltip: name, pixel size or pages and bytes once known, how it goes."""
        if self.prepared is not None:
            what = self.prepared.describe()
        elif self.uri is not None:
            what = f"{self.uri.uri} — {self.uri.facts()}"
        else:
            return f"{self.name} — preparing…"
        how = self.delivery
        if how is None:
            return what
        said = f"Cannot be sent: {how.refusal}" if how.refusal else f"Sent {how.note}"
        return f"{what}\n{said}"

    @property
    def is_file(self) -> bool:
        """Whether the tile says what the file is and how it goes: a document, text,
        audio or video (not an image), once known, and anything attached by address."""
        if self.uri is not None:
            return True
        if self.prepared is not None:
            return isinstance(self.prepared, PreparedFile)
        if isinstance(self.source, Path):
            kind = by_extension(self.source.name)
            return kind is not None and kind.kind is not FileKind.IMAGE
        return False

    @property
    def looks_like_image(self) -> bool:
        """Whether this is an image, or will surely be one (pasted pixels, an image's name)."""
        if self.prepared is not None:
            return isinstance(self.prepared, PreparedImage)
        if isinstance(self.source, QImage):
            return True
        if isinstance(self.source, FileUri):  # a Files API URI of unknown kind counts
            return self.source.kind in (FileKind.IMAGE, None)
        kind = by_extension(self.name)
        return kind is not None and kind.kind is FileKind.IMAGE

    async def ready(self) -> Prepared | FileUri:
        """What to send, once prepared. Raises AttachmentError if it failed or was removed."""
        await self.settled.wait()
        if self.uri is not None:
            return self.uri
        if self.state is State.READY and self.prepared is not None:
            return self.prepared
        reason = self.error or "it was removed before sending"
        raise AttachmentError(self.name, reason, code="removed")


async def _prepare(
    workers: ImageWorkers, source: Path | bytes | QImage, name: str, limits: AttachmentLimits
) -> Prepared:
    """``prepare_job`` in a worker process (a pasted QImage is PNG-encoded on a thread)."""
    data = await workers.run(png_bytes, source) if isinstance(source, QImage) else source
    prepared = await workers.run_isolated(prepare_job, data, name, limits)
    # The bytes' hash (the thumbnail cache's key) is cached by the object; under 1 ms
    # for a 3.5 MB image, so it is taken here rather than on a worker thread: that
    # thread runs at a lower priority, and on a busy machine it can be kept off the CPU
    # while it holds the GIL the UI thread then waits for (60 ms stalls measured).
    if isinstance(prepared, PreparedImage):  # documents are not thumbnail-cached
        hash(prepared.data)
    return prepared


class AttachmentQueue(QObject):
    """The composer's attachments and their preparation.

    Signals:
        item_added(object item): a QueuedFile to show (a placeholder until ready).
        item_changed(object item): its thumbnail, state or upload progress changed.
        item_removed(object item): gone from the strip (removed, failed or sent).
        problems_reported(object messages): list[str], one line per refused input,
            naming the file and the reason; nothing else was lost.
        preview_loaded(object item, object image): the QImage :meth:`request_preview`
            decoded for ``item``.
    """

    item_added = Signal(object)
    item_changed = Signal(object)
    item_removed = Signal(object)
    problems_reported = Signal(object)
    preview_loaded = Signal(object, object)

    def __init__(
        self,
        launcher: TaskLauncher | None = None,
        limits: AttachmentLimits | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        # Unparented, like the queue a composer makes: done-callbacks may outlive widgets.
        self.launcher = launcher if launcher is not None else TaskLauncher()
        self.limits = limits if limits is not None else image_limits()
        self.workers = ImageWorkers()
        self.refusal: str | None = None  # why images cannot be attached right now
        # The provider files go to: (reads PDFs/audio/video, can upload, its name).
        self.target: tuple[bool, bool, str] = (True, True, "Gemini")
        self._items: list[QueuedFile] = []
        self._unannounced: deque[QueuedFile] = deque()  # queued, not shown or started yet
        self._ids = itertools.count(1)

    # ------------------------------------------------------------ reading

    @property
    def items(self) -> list[QueuedFile]:
        """Every queued file, in order."""
        return list(self._items)

    @property
    def pending(self) -> list[QueuedFile]:
        """The files still preparing."""
        return [item for item in self._items if item.state is State.PREPARING]

    def __len__(self) -> int:
        return len(self._items)

    # ------------------------------------------------------------ adding

    def add_paths(self, paths: Iterable[str | Path]) -> list[QueuedFile]:
        """Attach local files (each prepared on a worker thread)."""
        return self.add_payload(FilePayload(paths=[Path(p) for p in paths]))

    def add_uri(self, uri: FileUri) -> list[QueuedFile]:
        """Queue a file by URI."""
        return self.add_payload(FilePayload(uris=[uri]))

    def add_payload(self, payload: FilePayload) -> list[QueuedFile]:
        """Queue everything in a drop or a paste; report what cannot be taken."""
        problems = list(payload.problems)
        sources: list[tuple[str, Source]] = [(p.name or str(p), p) for p in payload.paths]
        sources += [(name, data) for data, name in payload.blobs]
        sources += [(name, image) for image, name in payload.images]
        sources += [(uri.name, uri) for uri in payload.uris]
        images = [(n, s) for n, s in sources if QueuedFile(0, n, s).looks_like_image]
        if images and self.refusal is not None:  # documents may still come
            names = ", ".join(name for name, _ in images)
            problems.append(f"Cannot attach {names}: {self.refusal}")
            sources = [pair for pair in sources if pair not in images]
        room = max(0, MAX_ATTACHMENTS - len(self._items))
        if len(sources) > room:
            problems.append(_over_the_cap([name for name, _ in sources], room))
            sources = sources[:room]
        added = [self._new_item(name, source) for name, source in sources]
        self._unannounced.extend(added)
        self._announce()
        if problems:
            self.problems_reported.emit(problems)
        return added

    def _new_item(self, name: str, source: Source) -> QueuedFile:
        """An item in the list at once (counted, sent, removable), shown by _announce."""
        item = QueuedFile(next(self._ids), name, source)
        self._items.append(item)
        if isinstance(source, FileUri):
            item.state = State.READY
            self._deliver(item)
            item.settled.set()
        return item

    def _announce(self) -> None:
        """Show and start the next ANNOUNCE_BATCH items; the rest on the next turns of
        the event loop, so a drop of 100 files never holds the UI thread for long."""
        for _ in range(ANNOUNCE_BATCH):
            if not self._unannounced:
                return
            item = self._unannounced.popleft()
            self.item_added.emit(item)
            if item.state is State.PREPARING:
                try:
                    self.launcher.run(f"attach:{item.id}", self._prepare_item(item))
                except RuntimeError:  # the app is closing: nothing more to start
                    self._unannounced.clear()
                    return
        if self._unannounced:
            QTimer.singleShot(0, self, self._announce)

    # ------------------------------------------------------------ removing

    def remove(self, item: QueuedFile) -> None:
        """Take ``item`` out of the strip; its preparation, if running, is cancelled."""
        if item not in self._items:
            return
        self._items.remove(item)
        if item in self._unannounced:  # never shown nor started: nothing to undo
            self._unannounced.remove(item)
            item.state = State.REMOVED
            item.settled.set()
            return
        self.launcher.cancel(f"attach:{item.id}")
        if item.state is State.PREPARING:
            item.state = State.REMOVED
        item.settled.set()
        self.item_removed.emit(item)

    def clear(self) -> None:
        """Remove every file."""
        for item in list(self._items):
            self.remove(item)

    # ------------------------------------------------------------ drafts

    def detach(self) -> list[QueuedFile]:
        """Take every item out of the strip *without* stopping its preparation (the
        composer's draft goes with its chat); :meth:`restore` brings them back."""
        items, self._items = self._items, []
        waiting = set(map(id, self._unannounced))
        self._unannounced.clear()
        for item in items:
            if id(item) in waiting:
                item.announced = False
            else:
                item.announced = True
                self.item_removed.emit(item)
        return items

    def restore(self, items: Iterable[QueuedFile]) -> None:
        """Put detached ``items`` back: shown as they are now, those that failed while
        away reported (and left out), those never shown started as usual."""
        problems: list[str] = []
        for item in items:
            if item.state in (State.FAILED, State.REMOVED):
                if item.error:
                    problems.append(item.error)
                continue
            self._items.append(item)
            if item.announced:
                self.item_added.emit(item)
            else:
                self._unannounced.append(item)
        self._announce()
        if problems:
            self.problems_reported.emit(problems)

    def shutdown(self) -> None:
        """Stop taking work and stop the worker processes (the window is closing)."""
        self.workers.shutdown()

    # ------------------------------------------------------------ progress

    def set_upload_progress(self, item: object, sent: int, total: int) -> None:
        """Shown on the tile while the Files API receives the image, full until the
        turn is recorded (Gemini still processes the file) or :meth:`end_uploads`."""
        if isinstance(item, QueuedFile) and item in self._items:
            item.progress = min(1.0, sent / total) if total > 0 else 1.0
            self.item_changed.emit(item)

    def end_uploads(self) -> None:
        """Drop every upload progress (the turn went out or stopped)."""
        for item in self._items:
            if item.progress is not None:
                item.progress = None
                self.item_changed.emit(item)

    # ------------------------------------------------------------ preview

    def request_preview(self, item: QueuedFile, max_side: int) -> None:
        """Decode ``item`` to fit ``max_side`` on a worker; ``preview_loaded`` follows."""
        data = item.prepared.data if item.prepared is not None else item.source
        if isinstance(data, bytes):
            self.launcher.run("attach:preview", self._load_preview(item, data, max_side))
        elif isinstance(data, QImage):
            self.preview_loaded.emit(item, data)

    async def _load_preview(self, item: QueuedFile, data: bytes, max_side: int) -> None:
        image = await self.workers.run(decode_scaled, data, max_side)
        self.preview_loaded.emit(item, image)

    # ------------------------------------------------------------ the work

    async def _prepare_item(self, item: QueuedFile) -> None:
        import asyncio

        try:
            await self._first_thumbnail(item)
            source = item.source
            assert not isinstance(source, FileUri)
            prepared = await _prepare(self.workers, source, item.name, self.limits)
        except AttachmentError as error:
            self._fail(item, str(error))
            return
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a Pillow bug must not leave a tile spinning forever
            log.exception("preparing %s failed", item.name)
            self._fail(item, f"Cannot attach {item.name}: unexpected error ({error})")
            return
        if isinstance(prepared, PreparedImage) and self.refusal is not None:
            self._fail(item, f"Cannot attach {item.name}: {self.refusal}")
            return
        item.prepared = prepared
        self._deliver(item)
        item.thumbnail = item.thumbnail or prepared.thumbnail
        item.state = State.READY
        item.settled.set()
        self.item_changed.emit(item)

    async def _first_thumbnail(self, item: QueuedFile) -> None:
        """A quick reduced decode for big files, so the strip shows them early.

        Small files skip it: ``prepare_image`` is then about as fast and makes one.
        A file that is not an image fails here already, before the long prepare.
        """
        source = item.source
        if isinstance(source, QImage | FileUri) or source_size(source) < BIG_FILE_BYTES:
            return
        if item.is_file:  # a PDF's page or a video: the prepare step makes what there is
            return
        try:
            thumb = await self.workers.run_isolated(
                thumbnail_job, source, self.limits.thumbnail_side, item.name
            )
        except AttachmentError as error:
            # HEIC without a decoder still goes as it is; a file with an odd name that is
            # no image (a PDF, a video) is read by the prepare step, which says what it is.
            if error.code not in ("unsupported", "not_image"):
                raise
            return
        item.thumbnail = thumb
        self.item_changed.emit(item)

    def set_target(self, native: bool, can_upload: bool, who: str) -> None:
        """The provider changed: each document's tile says anew how it will be sent."""
        self.target = (native, can_upload, who)
        for item in self._items:
            if self._deliver(item):
                self.item_changed.emit(item)

    def _deliver(self, item: QueuedFile) -> bool:
        """Work out ``item.delivery`` for a document or a link; True when it changed."""
        native, can_upload, who = self.target
        if item.uri is not None:
            mime = item.uri.known_mime_type
            fresh = uri_delivery(item.uri.uri, mime, native=native, who=who)
        elif isinstance(item.prepared, PreparedFile):
            fresh = delivery(item.prepared, native=native, can_upload=can_upload, who=who)
        else:
            return False
        changed = fresh != item.delivery
        item.delivery = fresh
        return changed

    def _fail(self, item: QueuedFile, message: str) -> None:
        item.error = message
        item.state = State.FAILED
        item.settled.set()
        if item in self._items:
            self._items.remove(item)
            self.item_removed.emit(item)
            self.problems_reported.emit([message])
        # else: detached with a draft (reported when it comes back) or already removed


def _over_the_cap(names: list[str], room: int) -> str:
    """The message for a drop or paste with more images than there is room for."""
    refused = names[room:]
    shown = ", ".join(refused[:NAMES_SHOWN])
    more = len(refused) - NAMES_SHOWN
    listed = f"{shown} and {more} more" if more > 0 else shown
    kept = f"the first {room} were attached" if room else "none were attached"
    return (
        f"Cannot attach {len(refused)} of the {len(names)} files ({listed}): at most "
        f"{MAX_ATTACHMENTS} files per message; {kept}."
    )

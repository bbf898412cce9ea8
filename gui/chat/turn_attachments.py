"""A turn's attachments made into parts when it is sent: wait, then inline or upload.

The composer hands over what it holds — ready parts, or images still being prepared
on a worker thread — and this waits for each, then lets ``rill.core.attachments.request_parts`` put
images inline while the request's budget allows and upload the rest through the
Files API, reporting progress per image. Qt-free, so the controller stays small.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeAlias, runtime_checkable

from rill.core.attachments import AttachmentLimits, human_bytes
from rill.gui.common import thumbnail_cache

# The composer's queue takes its limits from here at the window's first paint; the
# message and request modules load with the chat half, after it (issue 14, item 7).
if TYPE_CHECKING:
    from rill.core.attachments import FileUri, Prepared
    from rill.core.generation import ModelInfo
    from rill.core.types import Message, Part

log = logging.getLogger(__name__)


def image_limits() -> AttachmentLimits:
    """The limits from the environment (RILL_IMAGE_*), the defaults when they are bad."""
    try:
        return AttachmentLimits.from_env()
    except ValueError:
        log.warning("ignoring bad RILL_IMAGE_* settings", exc_info=True)
        return AttachmentLimits()


@runtime_checkable
class PendingImage(Protocol):
    """An attachment that may still be preparing (``rill.gui.composer.attachment_queue``)."""

    name: str

    async def ready(self) -> Prepared | FileUri:
        """The prepared file or URI, once preparing has finished."""


Outgoing: TypeAlias = "Part | PendingImage"
Progress = Callable[[object, int, int], None]
"""Told (the attachment as handed in, bytes sent, total) during an upload."""
Processing = Callable[[object, float], None]
"""Told (the attachment as handed in, seconds waited) while Gemini processes an upload."""


def needs_work(attachments: Sequence[object]) -> bool:
    """Whether any attachment must be awaited or uploaded before the turn is recorded."""
    from rill.core.types import Part

    return any(not isinstance(item, Part) for item in attachments)


def processing_status(name: str, seconds: float) -> str:
    """The status line while Gemini processes an upload: "Gemini is processing clip.mp4… 12 s"."""
    return f"Gemini is processing {name}… {seconds:.0f} s (Stop cancels)"


def upload_status(name: str, sent: int, total: int) -> str:
    """The status line during an upload: "Uploading photo.jpg… 42% of 9.1 MB"."""
    share = sent / total if total else 1.0
    return f"Uploading {name}… {share:.0%} of {human_bytes(total)}"


async def turn_parts(
    attachments: Sequence[Outgoing],
    provider: object,
    limits: AttachmentLimits,
    history: Sequence[Message],
    progress: Progress,
    processing: Processing | None = None,
) -> list[Part]:
    """The parts for ``attachments``, in order; uploads what the budget cannot carry.

    ``history`` is what the request already carries (its inline images count against
    the budget). Raises AttachmentError naming the file (a failed or removed image, one
    too large for a provider that cannot upload) or a RillError from the upload.
    """
    from rill.core.attachments import PreparedImage, attachments_to_parts, inline_request_bytes
    from rill.core.types import Part

    owners: dict[int, object] = {}
    items: list[Prepared | FileUri | Part] = []
    for attachment in attachments:
        if isinstance(attachment, Part):
            items.append(attachment)
            continue
        ready = await attachment.ready()
        owners[id(ready)] = attachment
        items.append(ready)

    def report(item: Prepared, sent: int, total: int) -> None:
        progress(owners.get(id(item), item), sent, total)

    def waited(item: Prepared, seconds: float) -> None:
        if processing is not None:
            processing(owners.get(id(item), item), seconds)

    parts = await attachments_to_parts(
        items,
        provider,
        limits,
        report,
        inline_bytes_used=inline_request_bytes(
            history, file_uris=bool(getattr(provider, "can_upload_files", False))
        ),
        processing=waited,
    )
    for item, part in zip(items, parts, strict=True):
        if isinstance(item, PreparedImage):
            thumbnail_cache.remember(part, item.thumbnail)  # for the chat pane
    return parts


def image_refusal(provider: object, model: str, models: Sequence[ModelInfo]) -> str | None:
    """Why images cannot be attached for ``provider`` and ``model``; None when they can.

    The provider's ``capabilities.images`` first (the embedded model has no eyes),
    then the model list's ``vision`` flag for the chosen model, when it is listed.
    """
    capabilities = getattr(provider, "capabilities", None)
    if capabilities is not None and not capabilities.images:
        who = getattr(provider, "label", "") or getattr(provider, "name", "") or "This provider"
        return f"{_who(str(who))} cannot read images"
    info = next((m for m in models if m.id == model), None)
    if info is not None and not info.vision:
        return f"{info.display_name or info.id} cannot read images"
    return None


def _who(name: str) -> str:
    return {"local": "The offline model"}.get(name, name)

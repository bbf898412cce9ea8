"""The one small protocol every provider implements, whatever its wire format."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from rill.core.types import Capabilities, Chunk, GenerateRequest, Message, ModelInfo


@runtime_checkable
class Provider(Protocol):
    """A source of answers. Implementations own one HTTP client (or one model)."""

    name: str
    capabilities: Capabilities

    def stream(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        """Yield the answer chunk by chunk; raise :class:`rill.core.errors.RillError`."""
        ...

    async def generate(self, request: GenerateRequest) -> Message:
        """Return the whole answer at once (the non-streaming call)."""
        ...

    async def list_models(self) -> list[ModelInfo]:
        """Every model that can answer a chat, with its limits."""
        ...

    async def count_tokens(self, request: GenerateRequest) -> int:
        """The prompt's size in tokens as the provider counts it."""
        ...

    async def aclose(self) -> None:
        """Release the connection pool (or the model)."""
        ...

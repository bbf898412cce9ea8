"""A stand-in provider for when no API key is set: every call explains what to do.

With it, a chat always has a provider, and a send without a key ends as an error
card that says how to add one instead of a crash.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from rill.core.errors import ConfigurationError
from rill.core.types import Capabilities, Chunk, GenerateRequest, Message, ModelInfo

NO_KEY_MESSAGE = (
    "No Gemini API key is set. Paste one into the welcome card, or start Rill with "
    "GEMINI_API_KEY set."
)


class MissingProvider:
    """Implements the Provider protocol by refusing every request."""

    name = "none"
    capabilities = Capabilities()

    async def stream(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        """Raise ConfigurationError: there is no key to answer with."""
        raise ConfigurationError(NO_KEY_MESSAGE)
        yield  # pragma: no cover - makes this an async generator

    async def generate(self, request: GenerateRequest) -> Message:
        """Raise ConfigurationError: there is no key to answer with."""
        raise ConfigurationError(NO_KEY_MESSAGE)

    async def list_models(self) -> list[ModelInfo]:
        # Raised, not []: a chat without a model asks for the list, and must be told
        # what is missing (the key), not that no model exists.
        """Raise ConfigurationError: there is no key to list models with."""
        raise ConfigurationError(NO_KEY_MESSAGE)

    async def count_tokens(self, request: GenerateRequest) -> int:
        """Raise ConfigurationError: there is no key to count tokens with."""
        raise ConfigurationError(NO_KEY_MESSAGE)

    async def aclose(self) -> None:
        """Nothing to close."""
        return None

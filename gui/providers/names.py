"""What the window calls the providers a chat can use: their names and labels.

Apart from the manager so the window can say what answers in its first paint
(the chat bar's picker) without importing the manager, its asyncio and the chat
controller, nor the provider package with the message types (issue 14, item 7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rill.core.settings import Settings

LOCAL = "local"

# Each preset's kind and label as rill.core.providers.registry.PRESETS has them, by id,
# written out so the first paint need not import the provider package (and with it the
# message types); tests/gui/providers/test_names.py keeps the two equal.
PRESET_LABELS: dict[str, tuple[str, str]] = {
    "local": ("local", "Offline model (built in)"),
    "gemini": ("gemini", "Google Gemini"),
    "vertex": ("vertex", "Gemini on Vertex AI"),
    "ollama": ("openai", "Ollama"),
    "lmstudio": ("openai", "LM Studio"),
    "llamacpp": ("openai", "llama.cpp server"),
    "vllm": ("openai", "vLLM"),
    "openrouter": ("openai", "OpenRouter"),
    "openai": ("openai", "OpenAI"),
    "gemini-openai": ("openai", "Gemini (OpenAI-compatible endpoint)"),
}


def provider_names(settings: Settings) -> list[str]:
    """The providers a chat can use: the settings' table, and the built-in offline model."""
    names = list(settings.providers)
    if LOCAL not in names:
        names.append(LOCAL)
    return names


def provider_label(name: str, settings: Settings) -> str:
    """What the combo shows: the preset's label for a preset's own name, else the name."""
    if name == LOCAL and name not in settings.providers:
        return "Offline model"  # the preset's "(built in)" does not fit the panel
    found = PRESET_LABELS.get(name)
    config = settings.providers.get(name)
    if found is not None and (config is None or config.kind == found[0]):
        return found[1]
    return name

"""Which of Gemini's built-in tools, and image output, a model takes.

From Google's model pages (ai.google.dev/gemini-api/docs/models, each model's
"Capabilities": Search grounding, URL context, Code execution, Image generation), as
of mid-2026. A model id this table does not know is offered every tool (images only
on models with "-image" in their id): the user may have typed a newer model, and the
server's 400 then names what it refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rill.core.errors import InvalidRequestError
from rill.core.types import BUILTIN_TOOLS, GenerateRequest, GenerationSettings

TOOL_LABELS = {
    "google_search": "Google Search",
    "url_context": "URL context",
    "code_execution": "Code execution",
    "image_output": "Images in answers",
}


@dataclass(frozen=True, slots=True)
class ToolSupport:
    """What one model takes; ``reasons`` says why for each thing it does not."""

    google_search: bool = True
    url_context: bool = True
    code_execution: bool = True
    image_output: bool = False
    reasons: dict[str, str] = field(default_factory=dict)

    def allows(self, name: str) -> bool:
        """Whether the model takes ``name`` (a BUILTIN_TOOLS name or "image_output")."""
        return bool(getattr(self, name, False))


def _refuses(model: str, *names: str, why: str = "") -> dict[str, str]:
    return {
        name: why or f"{model} does not support {TOOL_LABELS[name]} (Google's model page)."
        for name in names
    }


def _is_image_model(model: str) -> bool:
    return "-image" in model and not model.startswith("imagen")


def tool_support(model: str) -> ToolSupport:
    """What ``model`` (an id such as "gemini-2.5-flash") takes of the tools and images."""
    m = model.strip().lower().removeprefix("models/")
    if _is_image_model(m):
        # Gemini 3 Pro Image grounds in Google Search; the 2.x image models take no tool.
        search = m.startswith("gemini-3")
        refused = [n for n in BUILTIN_TOOLS if not (search and n == "google_search")]
        return ToolSupport(
            google_search=search,
            url_context=False,
            code_execution=False,
            image_output=True,
            reasons=_refuses(model, *refused),
        )
    if m.startswith(("gemma", "learnlm")) or "embedding" in m or "tts" in m or m.startswith("aqa"):
        return ToolSupport(False, False, False, reasons=_refuses(model, *BUILTIN_TOOLS))
    if m.startswith("gemini-2.0-flash-lite") or m.startswith("gemini-1."):
        return ToolSupport(False, False, False, reasons=_refuses(model, *BUILTIN_TOOLS))
    if m.startswith("gemini-2.0"):
        return ToolSupport(url_context=False, reasons=_refuses(model, "url_context"))
    return ToolSupport()


def image_reason(model: str) -> str:
    """Why ``model`` cannot answer with images ("" when it can)."""
    if tool_support(model).image_output:
        return ""
    return f"{model or 'This model'} answers with text only; image models have 'image' in their id."


def unsupported(settings: GenerationSettings) -> list[str]:
    """The labels of what ``settings`` ask for that their model does not take."""
    support = tool_support(settings.model)
    asked = [*settings.tools, *(["image_output"] if settings.image_output else [])]
    return [TOOL_LABELS[name] for name in asked if not support.allows(name)]


def asked_for(settings: GenerationSettings) -> list[str]:
    """The labels of the tools (and image output) ``settings`` ask for."""
    asked = [*settings.tools, *(["image_output"] if settings.image_output else [])]
    return [TOOL_LABELS[name] for name in asked]


def nests_tool_images(model: str) -> bool:
    """Whether ``model`` takes the images a tool returned inside its ``functionResponse``
    (``parts`` of ``inlineData``: multimodal function responses, Gemini 3 on). Older
    models get them as ``inlineData`` parts beside the responses, in the same turn."""
    return model.strip().lower().removeprefix("models/").startswith("gemini-3")


def tool_refusal(error: InvalidRequestError, request: GenerateRequest) -> InvalidRequestError:
    """``error`` (a 400) naming the tools and the model when the request asked for any:
    the likeliest cause is a combination the model does not take, and the user can
    switch it off. Any other 400 comes back unchanged."""
    asked = asked_for(request.settings)
    if not asked or error.status not in (400, None):
        return error
    model = request.settings.model or "the default model"
    said = error.message.rstrip(".")
    refused = InvalidRequestError(
        f"{said}. This chat asks {model} for {', '.join(asked)}; the model may not take "
        "that: switch it off under Tools in the chat's settings, or pick another model.",
        detail=error.detail,
        status=error.status,
    )
    return refused

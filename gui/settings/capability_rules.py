"""Which generation controls a provider and model can honour (Qt-free rules for the panel).

A control the provider ignores is worse than none: a thinking budget sent to a model
that does not think, or safety thresholds to a server that has no such thing, would
look like they worked. The settings panel asks these rules what to offer.
"""

from __future__ import annotations

from dataclasses import dataclass

from rill.core.types import Capabilities, ModelInfo


@dataclass(frozen=True, slots=True)
class Offer:
    """What the panel offers for one provider and model; a reason where it does not."""

    thinking: bool
    safety: bool
    seed: bool
    top_k: bool
    thinking_reason: str = ""
    safety_reason: str = ""
    seed_reason: str = ""
    top_k_reason: str = ""


def offer(capabilities: Capabilities, info: ModelInfo | None, who: str) -> Offer:
    """The controls for ``capabilities`` and the chosen model's ``info`` (None: unlisted).

    An unlisted model keeps what the provider allows: the user typed an id the list
    does not know, and the server may well accept thinking for it.
    """
    thinking = capabilities.thoughts and (info is None or info.thinking)
    if not capabilities.thoughts:
        thinking_reason = f"{who} does not think before answering."
    elif not thinking and info is not None:
        thinking_reason = f"{info.display_name or info.id} does not think before answering."
    else:
        thinking_reason = ""
    return Offer(
        thinking=thinking,
        safety=capabilities.safety_settings,
        seed=capabilities.seed,
        top_k=capabilities.top_k,
        thinking_reason=thinking_reason,
        safety_reason="" if capabilities.safety_settings else f"{who} has no safety settings.",
        seed_reason="" if capabilities.seed else f"{who} does not take a seed.",
        top_k_reason="" if capabilities.top_k else f"{who} does not take top-k.",
    )

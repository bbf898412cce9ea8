"""Which model a request names when the user chose none: the provider's default.

An empty ``GenerationSettings.model`` means "the provider's default". ChatSession turns
it into a real id here, once, before a request is built: the model configured for the
provider, else the first model it lists (providers list only models that can answer a
chat). Providers refuse an empty model outright (:func:`require_model`), so a URL such
as ``models/:streamGenerateContent`` or a body with ``"model": ""`` is never sent.
"""

from __future__ import annotations

import weakref

from rill.core.errors import ConfigurationError
from rill.core.providers.base import Provider

# The first listed model per provider object, so a chat without a model lists once.
_first_listed: weakref.WeakKeyDictionary[Provider, str] = weakref.WeakKeyDictionary()


def _label(provider: Provider) -> str:
    return str(getattr(provider, "label", "") or getattr(provider, "name", "") or "the provider")


async def model_for(provider: Provider, requested: str) -> str:
    """``requested``, or the provider's default model when it is empty.

    Raises ConfigurationError when no model was chosen and the provider has neither
    a default nor a model in its list; a listing failure raises its own RillError.
    """
    if requested.strip():
        return requested
    configured = str(getattr(provider, "default_model", "") or "")
    if configured:
        return configured
    cached = _first_listed.get(provider)
    if cached:
        return cached
    models = await provider.list_models()
    if not models:
        raise ConfigurationError(
            f"No model is chosen and {_label(provider)} lists none; "
            "choose one in the settings panel."
        )
    _first_listed[provider] = models[0].id
    return models[0].id


def require_model(model: str, where: str) -> str:
    """``model`` when it names one; a provider calls this before building a request.

    Raises ConfigurationError for an empty id: it would reach the server as
    ``models/:generateContent`` or ``"model": ""``.
    """
    if not model.strip():
        raise ConfigurationError(
            f"No model is chosen for {where}; choose one in the settings panel."
        )
    return model

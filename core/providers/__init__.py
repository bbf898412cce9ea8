"""Providers: the one small protocol every model source implements, and its
implementations (Gemini, Vertex AI, any OpenAI-compatible server, the embedded llama.cpp
model) with the SSE reader and the HTTP client they share.

The concrete providers load only when ``registry`` builds one (``from rill.core.providers
import registry``), so importing this package does not import httpx.
"""

from rill.core.providers import registry
from rill.core.providers.base import Provider
from rill.core.providers.local_models import model_file_problem
from rill.core.providers.missing_provider import MissingProvider
from rill.core.providers.model_choice import model_for

__all__ = ["MissingProvider", "Provider", "model_file_problem", "model_for", "registry"]

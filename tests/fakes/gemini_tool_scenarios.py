"""Scenarios for what Gemini's tools put in an answer: code runs, grounding, URL context,
images, function calls, citations, and an image with broken base64.

Shapes follow Google's REST reference (Part, Candidate, GroundingMetadata,
UrlContextMetadata, CitationMetadata); tests/fakes_tests/test_sdk_fidelity.py checks
that the official SDK parses every one into its own types.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from tests.fakes.gemini_scenarios import DEFAULT_SIGNATURE, Scenario

CODE = "total = sum(range(1, 11))\nprint(total)\n"
GROUNDED_TEXTS = (
    "Rill is a desktop chat app — written in Python. ",
    "It streams Gemini's answers as they arrive.",
)
SOURCES = (
    ("https://vertexaisearch.cloud.google.com/grounding-api-redirect/AAA", "rill.example"),
    ("https://vertexaisearch.cloud.google.com/grounding-api-redirect/BBB", "docs.example"),
)
# Google asks apps to show this; Rill never loads it. The remote stylesheet and image
# prove it: a client that rendered it would fetch them.
ENTRY_POINT_HTML = (
    '<style>@import url("https://www.gstatic.com/rill-fake.css");</style>'
    '<div class="container"><img src="https://www.gstatic.com/rill-fake.png">'
    '<a class="chip" href="https://www.google.com/search?q=rill+chat">rill chat</a></div>'
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def tiny_png() -> bytes:
    """A valid 1x1 PNG (so an image decoder that checks it is satisfied)."""
    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )


def code_run(
    code: str = CODE,
    output: str = "55\n",
    outcome: str = "OUTCOME_OK",
    *,
    before: str = "Let me add them up. ",
    after: str = "The sum is 55.",
    figure: bytes | None = None,
) -> Scenario:
    """Text, executableCode, codeExecutionResult (then a figure it drew), text."""
    chunks: list[tuple[dict[str, Any], ...]] = [
        ({"text": before},),
        ({"executableCode": {"language": "PYTHON", "code": code}},),
        ({"codeExecutionResult": {"outcome": outcome, "output": output}},),
    ]
    if figure is not None:
        chunks.append(({"inlineData": {"mimeType": "image/png", "data": _b64(figure)}},))
    chunks.append(({"text": after},))
    return Scenario(raw_parts=tuple(chunks), label="code_run")


def grounding_metadata(
    texts: tuple[str, ...] = GROUNDED_TEXTS, sources: tuple[tuple[str, str], ...] = SOURCES
) -> dict[str, Any]:
    """groundingMetadata for `texts`: one support per text, UTF-8 byte offsets."""
    supports = []
    offset = 0
    for i, text in enumerate(texts):
        size = len(text.encode("utf-8"))
        segment: dict[str, Any] = {"endIndex": offset + size, "text": text}
        if offset:  # proto3 JSON leaves a zero out
            segment["startIndex"] = offset
        supports.append(
            {
                "segment": segment,
                "groundingChunkIndices": [i % len(sources)],
                "confidenceScores": [0.9],
            }
        )
        offset += size
    return {
        "webSearchQueries": ["what is rill chat", "rill gemini desktop"],
        "searchEntryPoint": {"renderedContent": ENTRY_POINT_HTML},
        "groundingChunks": [{"web": {"uri": uri, "title": title}} for uri, title in sources],
        "groundingSupports": supports,
    }


def grounded(texts: tuple[str, ...] = GROUNDED_TEXTS, **meta: Any) -> Scenario:
    """A Google Search grounded answer: its metadata on the last chunk, as Google sends it."""
    return Scenario(
        texts=texts,
        candidate_meta={"groundingMetadata": meta or grounding_metadata(texts)},
        label="grounded",
    )


def url_context(
    urls: tuple[tuple[str, str], ...] = (
        ("https://example.com/rill", "URL_RETRIEVAL_STATUS_SUCCESS"),
        ("https://example.com/paywalled", "URL_RETRIEVAL_STATUS_PAYWALL"),
    ),
    texts: tuple[str, ...] = ("The page says Rill streams answers.",),
) -> Scenario:
    """An answer from URL context: urlContextMetadata.urlMetadata on the last chunk."""
    meta = [{"retrievedUrl": url, "urlRetrievalStatus": status} for url, status in urls]
    return Scenario(
        texts=texts,
        candidate_meta={"urlContextMetadata": {"urlMetadata": meta}},
        label="url_context",
    )


def image_answer(
    image: bytes | None = None, *, signature: str | None = DEFAULT_SIGNATURE
) -> Scenario:
    """Text, an inlineData image (carrying a thought signature, as image models do), text."""
    picture: dict[str, Any] = {
        "inlineData": {"mimeType": "image/png", "data": _b64(image or tiny_png())}
    }
    if signature is not None:
        picture["thoughtSignature"] = signature
    return Scenario(
        raw_parts=(({"text": "Here is a red dot: "},), (picture,), ({"text": "Done."},)),
        label="image_answer",
    )


def function_call(
    name: str = "get_weather",
    args: dict[str, Any] | None = None,
    *,
    call_id: str | None = "call-7f3a",
    signature: str | None = DEFAULT_SIGNATURE,
    text: str | None = None,
) -> Scenario:
    """An answer that is a function call (with a thought signature, as Gemini 3 sends)."""
    call: dict[str, Any] = {"name": name, "args": args or {"city": "Zürich", "days": 2}}
    if call_id is not None:
        call = {"id": call_id, **call}
    part: dict[str, Any] = {"functionCall": call}
    if signature is not None:
        part["thoughtSignature"] = signature
    chunks: list[tuple[dict[str, Any], ...]] = [({"text": text},)] if text else []
    chunks.append((part,))
    return Scenario(raw_parts=tuple(chunks), label="function_call")


def bad_image() -> Scenario:
    """An answer whose image part is not valid base64, between good text."""
    return Scenario(
        raw_parts=(
            ({"text": "Before the picture. "},),
            ({"inlineData": {"mimeType": "image/png", "data": "not base64!!"}},),
            ({"text": "After the picture."},),
        ),
        label="bad_image",
    )


def cited(texts: tuple[str, ...] = ("To be, or not to be, that is the question.",)) -> Scenario:
    """An answer that recites a work: citationMetadata.citationSources."""
    source = {
        "startIndex": 0,
        "endIndex": len(texts[0].encode("utf-8")),
        "uri": "https://example.com/hamlet",
        "license": "public domain",
    }
    return Scenario(
        texts=texts,
        candidate_meta={"citationMetadata": {"citationSources": [source]}},
        label="cited",
    )


# Model ids that pick these scenarios (for a server in another process, and the CLI).
TOOL_MODEL_SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "fake-code": code_run,
    "fake-grounded": grounded,
    "fake-url-context": url_context,
    "fake-image": image_answer,
    "fake-function-call": function_call,
    "fake-bad-image": bad_image,
    "fake-cited": cited,
}

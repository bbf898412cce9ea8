"""Bodies that are not what a provider expected become one-line ProtocolErrors."""

from __future__ import annotations

import httpx
import pytest

from rill.core.errors import ProtocolError
from rill.core.providers.net_errors import json_body, require_event_stream


def response(ctype: str) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": ctype})


def test_json_bodies_decode_and_an_empty_one_is_an_empty_object() -> None:
    assert json_body(b'{"models": []}', response("application/json"), "h") == {"models": []}
    assert json_body(b"", response("application/json"), "h") == {}


@pytest.mark.parametrize(
    "body", [b"<html>portal</html>", b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe{"]
)
def test_anything_else_names_the_host_and_content_type(body: bytes) -> None:
    # Deep nesting raised RecursionError, which no caller expected, before.
    with pytest.raises(ProtocolError) as caught:
        json_body(body, response("text/html; charset=utf-8"), "127.0.0.1:9")
    assert str(caught.value) == (
        "127.0.0.1:9 answered with something that is not JSON (text/html; charset=utf-8)."
    )


def test_only_an_event_stream_is_a_stream() -> None:
    require_event_stream(response("text/event-stream; charset=utf-8"), "h")
    with pytest.raises(
        ProtocolError, match=r"^h did not answer with an event stream \(text/html\)\.$"
    ):
        require_event_stream(response("text/html; charset=utf-8"), "h")

"""The decoder-level halves of two faults: invalid UTF-8 after a complete event in the
same read keeps that event; a non-JSON error page names its status and content type."""

from __future__ import annotations

import pytest

from rill.core.errors import ProtocolError, ServerError
from rill.core.providers.openai_errors import error_from_http
from rill.core.providers.sse import SSEDecoder


def test_events_before_invalid_utf8_in_the_same_read_are_kept() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: kept\n\ndata: bad \xff\xfe\n\n") == ["kept"]
    with pytest.raises(ProtocolError, match="UTF-8"):
        decoder.feed(b"data: more\n\n")
    with pytest.raises(ProtocolError, match="UTF-8"):
        decoder.close()


def test_invalid_utf8_after_a_buffered_partial_character() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: \xc3") == []  # first half of "é"
    assert decoder.feed(b"\xa9\n\ndata: \xff") == ["é"]
    with pytest.raises(ProtocolError):
        decoder.close()


def test_an_html_error_page_names_status_and_content_type() -> None:
    error = error_from_http(502, b"<html>Bad Gateway</html>", "text/html", None, "m", "Proxy")
    assert isinstance(error, ServerError)
    assert (
        str(error) == "Proxy had a server error (502) — the server answered HTTP 502 (text/html)."
    )

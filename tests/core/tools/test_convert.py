"""A server's untrusted output in Rill's types: every piece bounded, noted when cut."""

from __future__ import annotations

import base64
import json

import mcp_types as mt
import pytest

from rill.core.setting_ranges import savable
from rill.core.tools import convert
from rill.core.tools.convert import schema_problem, tool_infos, tool_result
from tests.fakes.mcp_server import RED_PIXEL_PNG

PNG64 = base64.b64encode(RED_PIXEL_PNG).decode()


def result(
    *blocks: mt.ContentBlock, structured: object = None, error: bool = False
) -> mt.CallToolResult:
    return mt.CallToolResult(content=list(blocks), structured_content=structured, is_error=error)


def test_text_images_and_structured_content_in_order() -> None:
    out = tool_result(
        result(
            mt.TextContent(text="first"),
            mt.ImageContent(data=PNG64, mime_type="image/png"),
            mt.TextContent(text="second"),
            structured={"answer": 42},
        )
    )
    assert [p.text for p in out.parts] == ["first", None, "second"]
    assert out.images[0].data == RED_PIXEL_PNG and out.structured_value() == {"answer": 42}
    assert out.text == "first\n\nsecond" and out.notes == () and not out.is_error


def test_text_is_cut_across_blocks_on_a_character_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convert, "MAX_TEXT_BYTES", 10)
    out = tool_result(result(mt.TextContent(text="abcdef"), mt.TextContent(text="ééé-tail")))
    assert [p.text for p in out.parts] == ["abcdef", "éé"]  # 6 + 4 bytes; the third é is cut
    assert out.notes == ("(result cut at 0 KB; the tool sent 0 KB of text)",)


def test_images_are_bounded_by_type_count_size_and_encoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(convert, "MAX_IMAGE_BYTES", 1024)
    big = base64.b64encode(b"x" * 4096).decode()
    blocks = [
        mt.ImageContent(data=PNG64, mime_type="image/svg+xml"),
        mt.ImageContent(data=big, mime_type="image/png"),
        mt.ImageContent(data="!!not base64!!", mime_type="image/png"),
        *[
            mt.ImageContent(data=PNG64, mime_type="image/png")
            for _ in range(convert.MAX_IMAGES + 1)
        ],
    ]
    out = tool_result(result(*blocks))
    assert len(out.images) == convert.MAX_IMAGES
    assert out.notes == (
        "(an attachment of type image/svg+xml left out)",
        "(an image of 4 KB left out: images are cut at 1 KB)",
        "(an image that is not valid base64 left out)",
        f"(an image left out: at most {convert.MAX_IMAGES} per result)",
    )


def test_other_blocks_become_text_or_a_note() -> None:
    out = tool_result(
        result(
            mt.AudioContent(data="AAAA", mime_type="audio/wav"),
            mt.ResourceLink(name="report", uri="file:///srv/report.pdf"),
            mt.EmbeddedResource(resource=mt.TextResourceContents(uri="mem://a", text="embedded")),
            mt.EmbeddedResource(
                resource=mt.BlobResourceContents(uri="mem://b", blob=PNG64, mime_type="image/png")
            ),
            mt.EmbeddedResource(
                resource=mt.BlobResourceContents(
                    uri="mem://c", blob="AAAA", mime_type="application/zip"
                )
            ),
        )
    )
    assert [p.text for p in out.parts if p.text] == ["[report](file:///srv/report.pdf)", "embedded"]
    assert len(out.images) == 1
    assert out.notes == (
        "(an audio clip left out: Rill does not play tool audio)",
        "(a file of type application/zip left out: mem://c)",
    )


def test_lone_surrogates_are_replaced_so_results_can_be_saved() -> None:
    raw = json.loads('{"t": "bad \\ud800 char"}')["t"]
    out = tool_result(result(mt.TextContent(text=raw), structured={"k": raw}))
    assert all(savable(p.text or "") for p in out.parts) and savable(out.structured or "")


def test_oversized_structured_content_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convert, "MAX_STRUCTURED_BYTES", 2048)
    out = tool_result(result(mt.TextContent(text="summary"), structured={"rows": ["x" * 100] * 40}))
    assert out.structured is None and out.notes == (
        "(structured result of 4 KB left out: at most 2 KB)",
    )


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "object", "properties": {"a": {"type": "string"}}}, ""),
        ({"type": "array"}, 'does not describe an object (type must be "object")'),
        ({"properties": {}}, "does not describe an object"),
        ({"type": "object", "properties": {"a": {"type": "nonsense"}}}, "not a valid JSON Schema"),
        ({"type": "object", "required": "a"}, "not a valid JSON Schema"),
        ({"type": "object", "description": "x" * 70_000}, "input schema is 68 KB (at most 64 KB)"),
    ],
)
def test_schema_problems(schema: dict[str, object], problem: str) -> None:
    found = schema_problem(schema)
    assert (problem in found) if problem else found == ""


def test_a_deeply_nested_schema_is_unusable_not_a_crash() -> None:
    schema: dict[str, object] = {"type": "object"}
    inner = schema
    for _ in range(5000):
        child: dict[str, object] = {"type": "object"}
        inner["properties"] = {"a": child}
        inner = child
    assert "nested too deeply" in schema_problem(schema)


def test_tool_names_and_duplicates() -> None:
    schema = {"type": "object"}
    infos = tool_infos(
        "srv",
        [
            mt.Tool(name="ok", input_schema=schema, description="d" * 10_000),
            mt.Tool(name="ok", input_schema=schema),
            mt.Tool(name="has space", input_schema=schema),
            mt.Tool(
                name="titled", input_schema=schema, annotations=mt.ToolAnnotations(title="Nice")
            ),
        ],
    )
    assert [i.problem == "" for i in infos] == [True, False, False, True]
    assert "two tools with this name" in infos[1].problem
    assert "not a valid tool name" in infos[2].problem
    assert len(infos[0].description) == convert.MAX_DESCRIPTION_CHARS
    assert infos[3].title == "Nice" and infos[0].server == "srv"

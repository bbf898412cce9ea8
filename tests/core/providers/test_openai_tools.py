"""OpenAI's function-calling JSON alone: calls that came without ids (from Gemini's older
models) pair with their responses, and malformed streamed deltas lose nothing else."""

from __future__ import annotations

from rill.core.answer_types import FunctionCall, FunctionResponse
from rill.core.providers.openai_tools import ToolCallAssembler, encode_turns, tool_content
from rill.core.types import Message, Part, Role


def test_calls_without_ids_get_ids_their_responses_share() -> None:
    answer = Message(
        Role.MODEL,
        [
            Part(text="Checking. "),
            Part(function_call=FunctionCall("a__x", '{"n":1}', None, offered=True)),
            Part(function_call=FunctionCall("a__y", "{}", None, offered=True)),
            Part(function_response=FunctionResponse("a__x", '{"output":"one"}', decision="deny")),
            Part(function_response=FunctionResponse("a__y", '{"error":"no"}', decision="deny")),
            Part(text="Done."),
        ],
    )
    assert encode_turns(answer) == [
        {
            "role": "assistant",
            "content": "Checking. ",
            "tool_calls": [
                {
                    "id": "rill_call_0",
                    "type": "function",
                    "function": {"name": "a__x", "arguments": '{"n":1}'},
                },
                {
                    "id": "rill_call_1",
                    "type": "function",
                    "function": {"name": "a__y", "arguments": "{}"},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "rill_call_0", "content": "one"},
        {"role": "tool", "tool_call_id": "rill_call_1", "content": "Error: no"},
        {"role": "assistant", "content": "Done."},
    ]


def test_the_assembler_skips_what_is_malformed_and_keeps_the_rest() -> None:
    calls = ToolCallAssembler()
    calls.feed([{"index": 1, "id": "b", "function": {"name": "second", "arguments": '{"x"'}}])
    calls.feed("not a list")
    calls.feed([None, {"index": 0, "id": "a", "function": {"name": "first"}}])
    calls.feed([{"index": 1, "function": {"arguments": ": 2}"}}, {"index": 7, "function": 5}])
    parts = calls.parts()
    assert [p.function_call for p in parts] == [
        FunctionCall("first", "{}", "a"),
        FunctionCall("second", '{"x": 2}', "b"),
    ]
    assert calls.empty


def test_structured_content_alone_goes_as_its_json() -> None:
    reply = FunctionResponse("f", '{"output":"","structuredContent":{"t":1}}')
    assert tool_content(reply) == '{"output":"","structuredContent":{"t":1}}'

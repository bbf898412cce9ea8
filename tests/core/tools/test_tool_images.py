"""Images a tool returns reach the model (issue 17.4): the SDK's FastMCP server answers
an ImageContent, the loop makes it fit with the attachments' own limits, and the exact
request bodies the fake servers recorded carry it — inside Gemini 3's
``functionResponse.parts``, beside the response for older Gemini models, and in a
``user`` message after OpenAI's ``tool`` messages. Stored and sent back the same."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image

from rill.core.chat import ChatSession
from rill.core.providers.gemini import GeminiProvider
from rill.core.providers.openai_compat import OpenAICompatProvider
from rill.core.store.db import Store
from rill.core.types import GenerationSettings, MessageStatus, Role
from tests.core.tools.conftest import Make
from tests.core.tools.loop_support import args, drain, last_answer, make_loop, response_of
from tests.core.tools.support import fake_config
from tests.core.tools.test_tool_loop import GEMINI_3, bodies, gemini, provider  # noqa: F401
from tests.fakes import gemini_scenarios as sc
from tests.fakes import openai_scenarios as oai
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.gemini_tool_scenarios import function_call
from tests.fakes.mcp_server import RED_PIXEL_PNG
from tests.fakes.openai_server import FakeOpenAI

PIXEL_B64 = base64.b64encode(RED_PIXEL_PNG).decode("ascii")


async def ask_gemini(
    make_servers: Make, server: FakeGemini, made: GeminiProvider, model: str, tool: str
) -> ChatSession:
    loop = await make_loop(make_servers(fake=fake_config()))
    server.push(function_call(f"fake__{tool}", {}, call_id="pic-1"), sc.stream(["A red dot."]))
    session = ChatSession(made, GenerationSettings(model=model), tools=loop)
    await drain(session.send_message_stream("show me"))
    assert last_answer(session).status is MessageStatus.COMPLETE
    return session


async def test_gemini_3_gets_the_image_inside_the_function_response(
    make_servers: Make,
    gemini: FakeGemini,  # noqa: F811
    provider: GeminiProvider,  # noqa: F811
) -> None:
    await ask_gemini(make_servers, gemini, provider, GEMINI_3, "picture")
    (reply,) = bodies(gemini)[1]["contents"][2]["parts"]
    response = reply["functionResponse"]
    assert response["id"] == "pic-1"
    assert response["parts"] == [{"inlineData": {"mimeType": "image/png", "data": PIXEL_B64}}]
    assert "1 image from the tool follows" in response["response"]["output"]


async def test_older_gemini_gets_the_image_beside_the_response_and_again_from_the_store(
    make_servers: Make,
    gemini: FakeGemini,  # noqa: F811
    provider: GeminiProvider,  # noqa: F811
    tmp_path: Path,
) -> None:
    session = await ask_gemini(make_servers, gemini, provider, "gemini-2.5-flash", "picture")
    turn = bodies(gemini)[1]["contents"][2]
    assert turn["role"] == "user"
    reply, image = turn["parts"]
    assert "parts" not in reply["functionResponse"]
    assert image == {"inlineData": {"mimeType": "image/png", "data": PIXEL_B64}}

    # Stored, read back, and sent again in the next turn exactly as the first time.
    with Store(tmp_path / "rill.sqlite") as store:
        cid = store.create_conversation()
        for message in session.history:
            store.append_message(cid, message)
        reloaded = store.history(cid)
    assert reloaded[1].parts == last_answer(session).parts
    again = ChatSession(provider, GenerationSettings(model="gemini-2.5-flash"), history=reloaded)
    gemini.push(sc.stream(["Still red."]))
    await drain(again.send_message_stream("and?"))
    assert bodies(gemini)[-1]["contents"][2] == turn


async def test_a_wide_image_is_made_to_fit_and_a_broken_one_is_named(
    make_servers: Make,
    gemini: FakeGemini,  # noqa: F811
    provider: GeminiProvider,  # noqa: F811
) -> None:
    loop = await make_loop(make_servers(fake=fake_config()))
    gemini.push(
        function_call("fake__wide_picture", {"width": 5000}, call_id="w1"),
        function_call("fake__broken_picture", {}, call_id="b1"),
        sc.stream(["Seen."]),
    )
    session = ChatSession(provider, GenerationSettings(model=GEMINI_3), tools=loop)
    await drain(session.send_message_stream("two pictures"))
    wide = bodies(gemini)[1]["contents"][2]["parts"][0]["functionResponse"]
    (sent,) = wide["parts"]
    with Image.open(io.BytesIO(base64.b64decode(sent["inlineData"]["data"]))) as image:
        assert image.size[0] == 3072  # the attachments' max_side
    broken = bodies(gemini)[2]["contents"][4]["parts"][0]["functionResponse"]
    assert "parts" not in broken
    assert "not sent to the model" in response_of({"functionResponse": broken})["output"]


async def test_openai_gets_the_image_in_a_user_message_after_the_tool_messages(
    make_servers: Make, openai: FakeOpenAI, oai_provider: OpenAICompatProvider
) -> None:
    loop = await make_loop(make_servers(fake=fake_config()))
    openai.push(
        oai.tool_calls(
            ("call_p", "fake__picture", args()), ("call_e", "fake__echo", args(text="hi"))
        ),
        oai.stream(["A red dot and hi."]),
    )
    session = ChatSession(oai_provider, GenerationSettings(model="fake-chat"), tools=loop)
    await drain(session.send_message_stream("go"))
    messages = [r.json for r in openai.completions()][1]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "tool", "user"]
    assert messages[2]["tool_call_id"] == "call_p"
    assert "1 image from the tool follows" in messages[2]["content"]
    assert messages[4]["content"] == [
        {"type": "text", "text": "An image the tool call call_p returned:"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXEL_B64}"}},
    ]
    assert last_answer(session).role is Role.MODEL


async def test_a_model_without_images_is_told_they_were_not_sent(
    make_servers: Make, openai: FakeOpenAI, oai_provider: OpenAICompatProvider
) -> None:
    loop = await make_loop(make_servers(fake=fake_config()))
    loop.images = False
    openai.push(oai.tool_calls(("call_p", "fake__picture", args())), oai.stream(["Ok."]))
    session = ChatSession(oai_provider, GenerationSettings(model="fake-chat"), tools=loop)
    await drain(session.send_message_stream("go"))
    messages = [r.json for r in openai.completions()][1]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert "this model takes no images" in messages[2]["content"]

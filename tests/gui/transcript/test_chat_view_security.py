"""Nothing a model writes makes the app fetch anything: no request, no file read."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor, QImage, QTextDocument
from PySide6.QtWidgets import QTextBrowser
from pytestqt.qtbot import QtBot

from rill.gui.transcript.renderers.doc_block import DocBlock
from rill.gui.transcript.view import ChatView
from tests.gui.support.chat_view_support import finished, frame, make_view, streaming, user


class CountingServer:
    """A real HTTP server on 127.0.0.1 that records every request it gets."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                paths.append(self.path)
                body = b"GIF89a"  # whatever comes back must never be asked for
                self.send_response(200)
                self.send_header("Content-Type", "image/gif")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def server() -> Iterator[CountingServer]:
    made = CountingServer()
    yield made
    made.close()


def hostile(url: str, local_png: Path) -> str:
    return f"""# Innocent answer

![tracking pixel]({url}/pixel.gif?q=secret)
![local]({local_png.as_uri()}) ![relative](pixel.png) ![data](data:image/png;base64,iVBORw0KGgo=)
<img src="{url}/raw-img?q=secret"> <IMG SRC={url}/upper>
<link rel="stylesheet" href="{url}/style.css"> <style>@import url({url}/import.css);</style>
<table background="{url}/bg.png"><tr><td background="{url}/td.png">cell</td></tr></table>
<div style="background-image: url({url}/css-bg.png)">styled</div>
<a href="{url}/clicked-only">a link is fine until clicked</a>

[ref]: {url}/ref.png
![by reference][ref]

<{url}/autolink> and {url}/bare and <iframe src="{url}/frame"></iframe>
"""


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "secret.png"
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(QColor("blue"))
    assert image.save(str(path))
    return path


def settle(qtbot: QtBot, view: ChatView) -> None:
    """Lay out and paint everything (a fetch, if any, would happen synchronously here)."""
    view.settle()
    bar = view.surface.verticalScrollBar()
    for value in range(0, bar.maximum() + 1, max(1, view.surface.viewport().height() // 2)):
        bar.setValue(value)
        view.grab()
    qtbot.waitUntil(lambda: view.surface.content_height > 0)


def test_hostile_markdown_makes_no_request(qtbot: QtBot, server: CountingServer, png: Path) -> None:
    view = make_view(qtbot, height=400)
    text = hostile(server.url, png)
    view.set_messages([user(text), finished(text, text)])  # user turn, thoughts, answer
    view.set_show_thoughts(True)
    view.begin_answer(streaming())
    for i in range(0, len(text), 9):  # and streamed, tail re-rendered many times
        frame(view, text[i : i + 9], text[i : i + 9])
    view.finish_answer(finished(text, text))
    view.set_dark(True)  # a full re-render
    settle(qtbot, view)
    assert "Innocent answer" in view.plain_text()
    assert server.paths == []
    # The server does answer: the test would see a request if one were made.
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    opener.open(f"{server.url}/control", timeout=5).read()
    assert server.paths == ["/control"]


def test_browser_refuses_every_resource_even_in_raw_html(
    qtbot: QtBot, server: CountingServer, png: Path
) -> None:
    """Defence in depth: raw <img> straight into a card's document still loads nothing."""
    view = make_view(qtbot)
    html = (
        f'<p>x <img src="{server.url}/direct.png"> <img src="{png.as_uri()}">'
        f' <img src="{png}"> <img src="data:image/png;base64,iVBORw0KGgo="></p>'
    )
    view.set_messages([finished("A card to hold it.")])
    view.settle()
    block = next(b for b in view.cards[0].blocks if isinstance(b, DocBlock))
    block.add(html)
    view.surface.card_changed(view.cards[0])
    settle(qtbot, view)
    assert server.paths == []
    document = block.doc
    for name in (png.as_uri(), str(png)):
        loaded = document.resource(QTextDocument.ResourceType.ImageResource.value, QUrl(name))
        assert isinstance(loaded, QImage) and loaded.isNull(), f"{name} was read from disk"


def test_a_plain_qtextbrowser_would_have_read_the_file(qtbot: QtBot, png: Path) -> None:
    """The control for the test above: without the override Qt reads local files."""
    browser = QTextBrowser()
    qtbot.addWidget(browser)
    browser.setHtml(f'<img src="{png.as_uri()}">')
    browser.grab()
    loaded = browser.document().resource(
        QTextDocument.ResourceType.ImageResource.value, QUrl(png.as_uri())
    )
    assert loaded is not None and not (isinstance(loaded, QImage) and loaded.isNull())


def test_a_grounded_answer_and_tool_cards_make_no_request(
    qtbot: QtBot, server: CountingServer, png: Path
) -> None:
    """The search entry point's HTML, sources, queries, pages read, code output and a
    tool's result all point at the server: shown, streamed, re-themed, nothing fetched."""
    from rill.core.answer_types import Grounding, Outcome, Source, Support, UrlRead
    from rill.core.types import Message, MessageStatus, Part, Role
    from tests.fakes.answer_parts import code_run, tool_call, tool_reply

    url = server.url
    bait = hostile(url, png)
    grounding = Grounding(
        queries=(f'<img src="{url}/query.png">', f"{url}/q"),
        sources=(Source(f"{url}/source", f'<img src="{url}/title.png">'), Source(None, bait)),
        supports=(Support(end=10, sources=(0, 1)),),
        search_entry_point=(
            f'<style>@import url("{url}/entry.css");</style><img src="{url}/entry.png">'
        ),
    )
    result = {"output": bait, "structuredContent": {"img": f"{url}/s.png"}}
    parts = [
        Part.from_text(bait),
        *code_run(bait, Outcome.FAILED, bait),
        tool_call("fetch", {"url": f"{url}/arg.png", "md": bait}, "c"),
        tool_reply("fetch", result, "c", server="web", tool="fetch", decision="allow_once"),
        tool_reply("fetch", {"error": bait}, "c", is_error=True),
    ]
    answer = Message(
        Role.MODEL, parts, status=MessageStatus.COMPLETE, grounding=grounding,
        url_context=(UrlRead(f"{url}/read.png", "success"),),
    )  # fmt: skip
    view = make_view(qtbot, height=400)
    view.set_messages([answer])
    live = streaming()
    view.begin_answer(live)
    for part in parts:
        live.append_part(part)
        view.flush_answer()
    view.finish_answer(answer)
    view.set_dark(True)
    settle(qtbot, view)
    for card in view.cards:  # every fold open, painted
        for part_view in card.views:
            if getattr(part_view, "open", True) is False:
                part_view.toggle()  # type: ignore[attr-defined]
            for inner in getattr(part_view, "parts", []):
                if getattr(inner, "open", True) is False:
                    inner.toggle()
        card.refresh_chrome()
        view.surface.card_changed(card)
    settle(qtbot, view)
    assert "Innocent answer" in view.plain_text()
    assert server.paths == []

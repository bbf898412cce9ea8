"""rill.core.markdown output: the Qt rich-text subset, and nothing that fetches or runs."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from rill.core.markdown.highlight import highlight
from tests.core.markdown.themes import DARK, LIGHT, render_all, render_html

# Tag → attributes Qt's rich text engine understands and the renderer may write.
ALLOWED = {
    **{tag: set() for tag in ("h1", "h2", "h3", "h4", "h5", "h6", "b", "i", "s", "li", "hr")},
    **{tag: set() for tag in ("br", "blockquote", "thead", "tbody", "tr")},
    **{tag: {"style"} for tag in ("pre", "span", "ul")},
    "p": {"style", "align"},  # align: a display formula's centred line
    "code": {"style", "title"},  # title: why a formula is shown as its source
    "img": {"src", "alt", "style"},  # formulas only: a rill-math: name the view paints
    "a": {"href", "style"},
    "ol": {"start", "style"},
    "table": {"border", "cellspacing", "cellpadding", "style"},
    "th": {"align", "bgcolor"},
    "td": {"align"},
}
SAFE_HREF = re.compile(r"(https?://|mailto:)[^\s\"<>]*\Z")


class SubsetChecker(HTMLParser):
    """Collects every way an HTML string leaves the subset (empty list: it stays inside)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            self.problems.append(f"tag <{tag}>")
            return
        if tag == "img" and not (dict(attrs).get("src") or "").startswith("rill-math:"):
            self.problems.append("tag <img> not a formula")
        for name, value in attrs:
            if name not in ALLOWED[tag]:
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "style" and value and re.search(r"url\(|expression|@import", value):
                self.problems.append(f"style {value!r}")
            if name == "href":
                self.hrefs.append(value or "")
                if not SAFE_HREF.match(value or ""):
                    self.problems.append(f"href {value!r}")


def subset_problems(html: str) -> list[str]:
    checker = SubsetChecker()
    checker.feed(html)
    checker.close()
    return checker.problems


def hrefs(html: str) -> list[str]:
    checker = SubsetChecker()
    checker.feed(html)
    return checker.hrefs


def test_checker_rejects_what_it_should() -> None:
    assert subset_problems('<img src="http://x/y.png"><a href="javascript:x()">a</a>') == [
        "tag <img> not a formula",
        "href 'javascript:x()'",
    ]
    assert subset_problems('<p style="background:url(http://x)">x</p>') != []


def test_blocks_render_to_qt_tags() -> None:
    html = render_html(
        "# One\n## Two\n###### Six\n\nText *em* **strong** ~~gone~~ `code`.\n\n"
        "> quoted\n\n---\n\nSetext\n===\n"
    )
    for fragment in (
        "<h1>One</h1>",
        "<h2>Two</h2>",
        "<h6>Six</h6>",
        "<i>em</i>",
        "<b>strong</b>",
        "<s>gone</s>",
        '<code style="background-color:#eef0f3">code</code>',
        "<blockquote><p>quoted</p></blockquote>",
        "<hr/>",
        "<h1>Setext</h1>",
    ):
        assert fragment in html
    assert subset_problems(html) == []


def test_lists_nest_number_and_keep_tight_or_loose() -> None:
    tight = render_html("- a\n- b\n  - nested\n")
    assert "<li>a</li>" in tight and "<ul><li>nested</li></ul>" in tight
    loose = render_html("- a\n\n- b\n")
    assert "<li><p>a</p></li>" in loose and "<li><p>b</p></li>" in loose
    ordered = render_all("3. c\n7. d\n")
    assert [b.kind for b in ordered] == ["list_item", "list_item"]
    assert '<ol start="3"' in ordered[0].html and '<ol start="4"' in ordered[1].html


def test_table_has_attributes_qt_understands() -> None:
    html = render_html("| a | b |\n|:--|--:|\n| 1 | 2 |\n")
    assert html.startswith('<table border="1" cellspacing="0" cellpadding="5"')
    assert '<th align="left" bgcolor="#f0f3f6">a</th>' in html
    assert '<td align="right">2</td>' in html
    assert subset_problems(html) == []


def test_code_is_highlighted_with_inline_colours_per_theme() -> None:
    light = render_all("```python\ndef f():\n    return 1\n```\n")
    dark = render_all("```python\ndef f():\n    return 1\n```\n", DARK)
    assert light[0].code == "def f():\n    return 1\n" and light[0].language == "python"
    assert '<span style="color:#' in light[0].html and "class=" not in light[0].html
    assert LIGHT.code_background in light[0].html
    assert DARK.code_background in dark[0].html and light[0].html != dark[0].html
    assert light[0].html.endswith("</span>\n</pre>")  # no empty last line in Qt


def test_unknown_or_missing_language_is_plain_escaped_text() -> None:
    for fence in ("```no-such-language\n", "```\n", "~~~\n"):
        block = render_all(fence + "if a < b: print('x')\n" + fence[:3] + "\n")[0]
        assert "<span" not in block.html
        assert "if a &lt; b: print('x')" in block.html


def test_the_theme_given_colours_the_html() -> None:
    link = render_html("<https://example.com>", DARK)
    assert f"color:{DARK.link}" in link


def test_plain_code_takes_the_theme_text_not_the_style_default() -> None:
    # github-dark gives names and punctuation its own default text colour (#e6edf3);
    # they show in the theme's code_text instead, so code and prose read alike.
    spans = highlight("answer = compute(x)\n", "python", DARK.pygments_style)
    assert "e6edf3" not in spans.lower()
    block = render_all("```python\nanswer = compute(x)\n```\n", DARK)[0].html
    assert f"color:{DARK.code_text}" in block


def test_raw_html_is_text() -> None:
    html = render_html(
        '<img src=http://evil.example/p.png>\n\n<script>alert(1)</script>\n\n<iframe src="x">'
    )
    assert "<img" not in html and "<script" not in html and "<iframe" not in html
    assert "&lt;img src=" in html  # shown as text; its URL is at most a link to click
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert subset_problems(html) == []


def test_images_never_become_img_elements() -> None:
    html = render_html("![secret chart](http://host/?q=secret)")
    assert "<img" not in html
    assert "[image: secret chart]" in html
    assert hrefs(html) == ["http://host/?q=secret"]  # a link the user may click, never a fetch
    data = render_html("![x](data:image/png;base64," + "A" * 500 + ")")
    assert "<img" not in data and hrefs(data) == [] and "…" in data
    assert subset_problems(html + data) == []


def test_links_keep_href_only_for_http_https_and_mailto() -> None:
    html = render_html(
        "[js](javascript:alert(1)) [up](JAVASCRIPT:alert(1)) [f](file:///etc/passwd) "
        "[ftp](ftp://x.org) [rel](/relative) [ok](https://ok.example) <me@example.com> "
        "<http://auto.example> and bare http://bare.example/a_(b), done"
    )
    assert hrefs(html) == [
        "https://ok.example",
        "mailto:me@example.com",
        "http://auto.example",
        "http://bare.example/a_(b)",
    ]
    assert "javascript:alert(1)" in html  # still shown, as text
    assert subset_problems(html) == []


def test_linkify_is_only_for_real_http_urls() -> None:
    assert hrefs(render_html("xhttp://no.example and `http://code.example`")) == []
    assert hrefs(render_html("see https://a.example/x.")) == ["https://a.example/x"]


def test_bidi_overrides_cannot_disguise_links_or_code() -> None:
    rlo = "\u202e"
    html = render_html(
        f"[good{rlo}moc.live](https://evil.example/{rlo}x) `a{rlo}b` http://x.example/{rlo}y"
    )
    assert rlo not in html
    assert "good&lt;U+202E&gt;moc.live" in html and "a&lt;U+202E&gt;b" in html
    assert hrefs(html) == ["https://evil.example/%E2%80%AEx", "http://x.example/"]
    isolate = render_html("text \u2067hidden\u2069 text")
    assert "\u2067" not in isolate and "&lt;U+2067&gt;" in isolate


TRICKY = [
    "<img src=http://a/b>",
    "![a](http://h/x.png)",
    "[l](javascript:alert(1))",
    "<script>",
    '"><b onclick=x>',
    "[x](file:///etc)",
    "`code`",
    "**",
    "_",
    "\n\n",
    "\n",
    "> ",
    "- ",
    "1. ",
    "```\n",
    "~~~py\n",
    "| a | b |\n|---|---|\n",
    "[ref]: javascript:x\n",
    "[ref]",
    "<http://x>",
    "http://u.example/p?q=1&r='2'",
    "\u202e",
    "&amp;",
    "&#0;",
    "\\",
    "    ",
    "#",
    "===",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TRICKY) | st.text(max_size=4), max_size=25))
def test_any_input_stays_inside_the_subset(parts: list[str]) -> None:
    html = render_html("".join(parts))
    assert subset_problems(html) == []  # an <img> only for a formula ("$0$"), never fetched


def test_token_types_minted_by_a_lexer_take_their_parents_colour() -> None:
    """YAML's lexer creates Literal.Scalar.Plain, which no style defines (KeyError once)."""
    from rill.core.markdown.highlight import highlight

    html = highlight("key: plain value\n", "yaml", "github-dark")
    assert "key" in html and "plain value" in html
    assert html.count("color:#") >= 2  # the key and the value are coloured differently

"""What a link in an answer really opens, told apart from what its text claims.

Thunderbird's phishing warning is the model: a link whose text reads as an address
(``https://accounts.google.com/``, ``www.bank.example``, ``paypal.com``) while its
target is on another host is deceptive, and the user is asked first, shown the real
host. A ``mailto:`` link keeps only what the compose window shows plainly: its
addresses, its subject on one line, a short body; never ``bcc``, ``attach`` or headers
smuggled in with ``%0D%0A``.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote, urlsplit

MAILTO_BODY_MAX = 2_000  # characters; a longer body is left out
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
# Text that reads as an address (its scheme taken off): an optional user, a host, an
# optional port and path.
_ADDRESS = re.compile(
    r"^(?:[^\s/?#@]*@)?(?P<host>\[[0-9a-f:.]+\]|[^\s/?#:@\[\]]+)(?::\d*)?(?:[/?#]\S*)?$",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
# Country domains that are mostly file extensions in a chat about code: "[setup.py](…)"
# is a file name, not a claim to be a site in Paraguay.
_FILE_LIKE = frozenset({"py", "md", "rs", "sh", "pl", "pm", "so", "cc", "cs", "ps", "mk"})
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]+")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def host_of(url: str) -> str | None:
    """The host ``url`` opens, lower case, international names in their ASCII form."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:  # a bad IPv6 literal
        return None
    return _ascii_host(host) if host else None


def shown_host(text: str) -> str | None:
    """The host ``text`` reads as (a URL, ``www.…`` or a domain name), or None."""
    words = text.replace("\u200b", "").strip()
    has_scheme = bool(_SCHEME.match(words))
    match = _ADDRESS.match(_SCHEME.sub("", words, count=1))
    if match is None:
        return None
    host = match.group("host").strip(".")
    if host.startswith("["):
        return host.lower()
    labels = host.split(".")
    if len(labels) < 2 or not all(labels):
        return None
    top = labels[-1].lower()
    if _IPV4.match(host) or has_scheme or labels[0].lower() == "www":
        return _ascii_host(host)
    word_like = top.startswith("xn--") or (len(top) >= 2 and top.isalpha())
    return _ascii_host(host) if word_like and top not in _FILE_LIKE else None


def deceptive_host(text: str, href: str) -> str | None:
    """The real host of ``href`` when ``text`` shows another address, else None.

    Addresses on one site do not count: ``example.com`` for ``www.example.com`` or
    ``docs.example.com``, and the scheme or path may differ.
    """
    real, shown = host_of(href), shown_host(text)
    if real is None or shown is None:
        return None
    a, b = real.removeprefix("www."), shown.removeprefix("www.")
    if a == b or a.endswith("." + b) or b.endswith("." + a):
        return None
    return real


def safe_mailto(href: str) -> tuple[str, tuple[str, ...]]:
    """``href`` (a ``mailto:`` URL) cut to its addresses, subject and a short body.

    Returns the URL to open and the names of what was left out ("bcc", "attach", "line
    breaks in the subject", ...), in the order they appeared.
    """
    rest = href.split(":", 1)[1] if ":" in href else ""
    address, _, query = rest.partition("?")
    left_out: list[str] = []
    to = unquote(address)
    if _CONTROLS.search(to):
        to = _CONTROLS.sub("", to)
        left_out.append("control characters in the address")
    fields: dict[str, str] = {}
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        name, text = unquote(key).strip().lower(), unquote(value)
        if name == "subject" and name not in fields:
            if _LINE_BREAKS.search(text) or _CONTROLS.search(text):
                left_out.append("line breaks in the subject")
                text = _CONTROLS.sub("", _LINE_BREAKS.sub(" ", text))
            fields[name] = text
        elif name == "body" and name not in fields and len(text) <= MAILTO_BODY_MAX:
            fields[name] = text
        else:
            left_out.append(f"a {MAILTO_BODY_MAX:,}+ character body" if name == "body" else name)
    url = "mailto:" + quote(to, safe="@,+!$'*;")
    if fields:
        url += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())
    return url, tuple(dict.fromkeys(left_out))


def readable(url: str) -> str:
    """``url`` as the status line and tooltip show it: international host names in
    their ASCII form (no look-alike letters) and bidi controls as ``<U+202E>``."""
    host = _host_text(url)
    if host and not host.isascii():
        url = url.replace(host, _ascii_host(host), 1)
    return _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", url)


def _host_text(url: str) -> str:
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return ""
    return netloc.rpartition("@")[2].split(":")[0] if not netloc.startswith("[") else ""


def _ascii_host(host: str) -> str:
    """``host`` lower case with each international label in its xn-- form."""
    labels = unicodedata.normalize("NFKC", host).lower().strip(".").split(".")
    out: list[str] = []
    for label in labels:
        try:
            out.append(label.encode("idna").decode("ascii") if not label.isascii() else label)
        except UnicodeError:
            out.append(label)
    return ".".join(out)

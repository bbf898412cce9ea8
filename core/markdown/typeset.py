"""One formula typeset to SVG with ziamath (pure Python; it ships the STIX Two Math font).

Chosen over matplotlib's mathtext by bench/bench_math.py: its first formula costs 8 ms
against ~500 ms (mathtext builds a font cache), later ones somewhat less each, it installs
3.7 MB instead of ~150 MB (numpy, fonttools…), and it knows ``aligned``, ``cases`` and
matrices, which mathtext refuses. It runs in the view's worker process
(``rill.gui.transcript.math_worker``), so a formula that hangs or crashes it costs a process, never
the window. TeX it cannot typeset raises :class:`MathError`: the view then shows the
source."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import warnings
from dataclasses import dataclass
from multiprocessing.connection import Connection
from xml.etree import ElementTree

MAX_DEPTH = 60  # nested groups a formula may have ("{{{{…" past this is refused)
MAX_SIDE_PX = 6_000  # a typeset formula wider or taller than this is refused
_UNKNOWN = re.compile(r"\\[A-Za-z]+")  # latex2mathml keeps an unknown command as text
_GROUP = re.compile(r"\\.|[{}]", re.DOTALL)
_VIEW_BOX = re.compile(rb'viewBox="([-\d.e]+) ([-\d.e]+) ([-\d.e]+) ([-\d.e]+)"')


class MathError(ValueError):
    """TeX that cannot be typeset; the message says why, in a few words."""


@dataclass(frozen=True, slots=True)
class Typeset:
    """A typeset formula: SVG in black on nothing (the view paints it in its colour).

    ``width`` and ``height`` are the SVG's size in pixels at the requested size;
    ``depth`` is how far the formula reaches below its baseline.
    """

    svg: bytes
    width: float
    height: float
    depth: float


def check_groups(tex: str) -> None:
    """Raise MathError for unbalanced or too deeply nested braces (before the engine
    recurses into them)."""
    depth = 0
    for match in _GROUP.finditer(tex):
        token = match.group()
        if token == "{":
            depth += 1
            if depth > MAX_DEPTH:
                raise MathError("nested too deeply")
        elif token == "}":
            depth -= 1
            if depth < 0:
                raise MathError("unbalanced braces")
    if depth:
        raise MathError("unbalanced braces")


def typeset(tex: str, display: bool, size: float) -> Typeset:
    """Typeset ``tex`` (display or inline style) at a font size of ``size`` pixels.

    Raises MathError for TeX the engine rejects or does not know.
    """
    check_groups(tex)
    with warnings.catch_warnings():  # ziamath 0.13 loads its font with a deprecated call
        warnings.simplefilter("ignore", DeprecationWarning)
        return _typeset(tex, display, size)


def _typeset(tex: str, display: bool, size: float) -> Typeset:
    # ~0.1 s: imported in the worker, on first use
    from ziamath.config import config
    from ziamath.zmath import Latex

    config.svg2 = False  # plain paths: Qt's SVG renderer has no <symbol>
    try:
        formula = Latex(tex, size=size, inline=not display)
        _check_known(formula.mathml)
        svg = formula.svg().encode("utf-8")
    except MathError:
        raise
    except (Exception, RecursionError) as error:  # the engine's own errors vary
        raise MathError(_reason(error)) from None
    box = _VIEW_BOX.search(svg)
    if box is None:
        raise MathError("no picture")
    top, width, height = (float(box.group(n)) for n in (2, 3, 4))
    if not 0 < width <= MAX_SIDE_PX or not 0 < height <= MAX_SIDE_PX:
        raise MathError("too large to show")
    # The baseline is y = 0 in the SVG's coordinates (its box starts above it).
    return Typeset(svg, width, height, height + top)


def _check_known(root: ElementTree.Element) -> None:
    """latex2mathml writes a command it does not know as the text ``\\name``."""
    for element in root.iter():
        text = element.text or ""
        found = _UNKNOWN.match(text.strip())
        if found:
            raise MathError(f"unknown command {found.group()}")


def _reason(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    name = re.sub(r"(?<!^)(?=[A-Z])", " ", type(error).__name__).lower()
    return name.removesuffix(" error") or "invalid"


def typeset_job(tex: str, display: bool, size: float) -> Typeset | str:
    """:func:`typeset` for a worker process: a MathError comes back as its message."""
    try:
        return typeset(tex, display, size)
    except MathError as error:
        return str(error) or "invalid"


def warm_job() -> int:
    """Load the engine and its font once (run first in a new worker)."""
    return len(typeset(r"\frac{a}{b}", True, 16.0).svg)


WORKER_NICENESS = 10  # the worker yields the CPU to the UI
WORKER_MEMORY = 1 << 30  # bytes of address space a worker may use (Linux)


def serve(conn: Connection) -> None:
    """A worker process's loop: typeset each ``(tex, display, size)`` received, send
    ``(key, result)`` back; return when the other end closes."""
    # Ctrl+C in the app's terminal reaches this process too (one process group): the
    # app closes in order on it and ends this worker itself (the pipe closes); dying
    # of it here only printed a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_worker()
    with contextlib.suppress(Exception):
        warm_job()
    while True:
        try:
            key = conn.recv()
        except (EOFError, OSError):
            return
        tex, display, size = key
        try:
            result: Typeset | str = typeset_job(tex, display, size)
        except Exception as error:  # an engine bug: this formula only
            result = type(error).__name__
        conn.send((key, result))


def _limit_worker() -> None:
    """Lower the worker's priority and cap its memory (Linux), best effort."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, WORKER_NICENESS)
    with contextlib.suppress(OSError, ValueError):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))

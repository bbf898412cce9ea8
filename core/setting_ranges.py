"""The one table of what each setting may hold, and the checks built on it.

The settings file (``rill.core.settings``), a chat's own settings as the store and the
JSON import read them (``rill.core.store.codec``), the command line's flags
(``rill.core.cli``) and the settings panel's widgets all take their ranges from here,
so a value one of them accepts can never overflow another: a Qt spin box holds a
32-bit integer, and qasync turns a read timeout into a timer of 32-bit milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rill.core.generation import SAFETY_CATEGORIES, SAFETY_THRESHOLDS

# A Python str holding one of these cannot be written as UTF-8 (the settings file,
# SQLite): JSON's "\ud800" escape makes one.
_SURROGATE = re.compile("[\ud800-\udfff]")
_SHOWN_CHARS = 60  # a bad value is quoted this far in a notice, which stays one line


@dataclass(frozen=True, slots=True)
class Range:
    """The closed interval ``lo``..``hi`` a numeric setting may take."""

    lo: float
    hi: float
    integer: bool = False

    def accepts(self, value: object) -> bool:
        """Whether ``value`` (any JSON value) is a number of the right kind in range."""
        if isinstance(value, bool):
            return False
        kind_ok = isinstance(value, int) or (isinstance(value, float) and not self.integer)
        # NaN compares false with everything, so it is never in range.
        return kind_ok and self.lo <= value <= self.hi  # type: ignore[operator]

    def describe(self) -> str:
        """``"a whole number from 1 to 1000"``, for notices and usage errors."""
        kind = "a whole number" if self.integer else "a number"
        return f"{kind} from {self.lo:g} to {self.hi:g}"

    def clamp(self, value: float) -> float:
        """``value`` moved into the range (NaN becomes ``hi``): for a model's own caps."""
        if value != value:  # NaN
            return self.hi
        return min(max(value, self.lo), self.hi)


TEMPERATURE = Range(0.0, 2.0)
TOP_P = Range(0.0, 1.0)
TOP_K = Range(1, 1000, integer=True)
# Above any model's output limit today, far below a spin box's 2**31 - 1.
MAX_OUTPUT_TOKENS = Range(1, 1_048_576, integer=True)
SEED = Range(-(2**31), 2**31 - 1, integer=True)  # Gemini's seed is an int32
THINKING_BUDGET = Range(-1, 32768, integer=True)  # -1 automatic, 0 off, else tokens
READ_TIMEOUT = Range(1.0, 3600.0)  # seconds between bytes; the Providers screen's cap
MAX_STOP_SEQUENCES = 5  # Gemini's limit
STORE_ID = Range(0, 2**63 - 1, integer=True)  # a SQLite INTEGER (0: none)
TOOL_CALL_TIMEOUT = Range(1.0, 3600.0)  # seconds one MCP tool call may take
TOOL_ROUNDS = Range(1, 100, integer=True)  # rounds of tool calls in one answer

GENERATION_RANGES: dict[str, Range] = {
    "temperature": TEMPERATURE,
    "top_p": TOP_P,
    "top_k": TOP_K,
    "max_output_tokens": MAX_OUTPUT_TOKENS,
    "seed": SEED,
    "thinking_budget": THINKING_BUDGET,
}


def shown(value: object) -> str:
    """``repr(value)`` cut short, for a one-line notice."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def savable(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (no lone surrogate)."""
    return text.isascii() or _SURROGATE.search(text) is None


class Checker:
    """Checks values one at a time; each bad one becomes its default and adds one
    warning line naming the key (``"<label> <where>.<key>: expected …"``)."""

    def __init__(self, warnings: list[str], label: str = "setting") -> None:
        self.warnings = warnings
        self.label = label

    def bad(self, where: str, key: str, expected: str, value: object, default: object) -> None:
        """Record a warning: ``key`` held ``value`` instead of ``expected``; ``default`` is used."""
        name = f"{where}.{key}" if where else key
        default_text = "unset" if default is None else shown(default)
        self.warnings.append(
            f"{self.label} {name}: expected {expected}, got {shown(value)}; "
            f"using the default ({default_text})"
        )

    def section(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        """The object under ``key`` (an empty one, with a warning, when it is not an object)."""
        value = data.get(key, {})
        if isinstance(value, Mapping):
            return value
        self.bad("", key, "an object", value, {})
        return {}

    def string(self, data: Mapping[str, Any], where: str, key: str, default: str) -> str:
        """The string under ``key``, or ``default`` with a warning."""
        value = data.get(key, default)
        if isinstance(value, str) and savable(value):
            return value
        self.bad(where, key, "a string", value, default)
        return default

    def optional_string(self, data: Mapping[str, Any], where: str, key: str) -> str | None:
        """The string or null under ``key``, or None with a warning."""
        value = data.get(key)
        if value is None or (isinstance(value, str) and savable(value)):
            return value
        self.bad(where, key, "a string or null", value, None)
        return None

    def boolean(self, data: Mapping[str, Any], where: str, key: str, default: bool) -> bool:
        """The boolean under ``key``, or ``default`` with a warning."""
        value = data.get(key, default)
        if isinstance(value, bool):
            return value
        self.bad(where, key, "true or false", value, default)
        return default

    def choice(
        self, data: Mapping[str, Any], where: str, key: str, options: tuple[str, ...]
    ) -> str:
        """One of ``options`` under ``key``, or the first option with a warning."""
        value = data.get(key, options[0])
        if isinstance(value, str) and value in options:
            return value
        self.bad(where, key, " / ".join(repr(o) for o in options), value, options[0])
        return options[0]

    def number(
        self,
        data: Mapping[str, Any],
        where: str,
        key: str,
        allowed: Range,
        default: float | None = None,
    ) -> Any:
        """The value when ``allowed`` accepts it; else ``default`` (None: unset)."""
        value = data.get(key, default)
        if value is None and default is None:
            return None
        if allowed.accepts(value):
            return value if allowed.integer else float(value)
        what = allowed.describe() + (" or null" if default is None else "")
        self.bad(where, key, what, value, default)
        return default

    def generation(self, d: Mapping[str, Any], where: str) -> dict[str, Any]:
        """Every generation value shared by the settings file and a chat's settings
        (all but ``model`` and ``stream``), checked, as keyword arguments."""
        values: dict[str, Any] = {
            key: self.number(d, where, key, allowed) for key, allowed in GENERATION_RANGES.items()
        }
        values["stop_sequences"] = self.stop_sequences(d, where)
        values["system_instruction"] = self.optional_string(d, where, "system_instruction")
        values["include_thoughts"] = self.boolean(d, where, "include_thoughts", False)
        values["safety"] = self.safety(d, where)
        for key in ("google_search", "url_context", "code_execution", "image_output"):
            values[key] = self.boolean(d, where, key, False)
        return values

    def stop_sequences(self, d: Mapping[str, Any], where: str) -> tuple[str, ...]:
        """The stop sequences under ``stop_sequences``: strings only, as many as allowed."""
        value = d.get("stop_sequences", [])
        if value is None:
            return ()
        if (
            isinstance(value, list | tuple)
            and len(value) <= MAX_STOP_SEQUENCES
            and all(isinstance(s, str) and s and savable(s) for s in value)
        ):
            return tuple(value)
        expected = f"a list of at most {MAX_STOP_SEQUENCES} non-empty strings"
        self.bad(where, "stop_sequences", expected, value, [])
        return ()

    def safety(self, d: Mapping[str, Any], where: str) -> tuple[tuple[str, str], ...]:
        """Category → threshold: an object in the settings file, pairs in a chat's."""
        value = d.get("safety", {})
        if value is None:
            return ()
        if isinstance(value, Mapping):
            pairs: list[Any] = list(value.items())
        elif isinstance(value, list | tuple) and all(
            isinstance(p, list | tuple) and len(p) == 2 for p in value
        ):
            pairs = [tuple(p) for p in value]
        else:
            self.bad(where, "safety", "an object of category: threshold", value, {})
            return ()
        kept: dict[str, str] = {}
        for category, threshold in pairs:
            if category in SAFETY_CATEGORIES and threshold in SAFETY_THRESHOLDS:
                kept[str(category)] = str(threshold)
            else:
                name = f"{where}.safety" if where else "safety"
                self.warnings.append(
                    f"{self.label} {name}: {shown(category)}: {shown(threshold)} is not a "
                    "known category and threshold; ignored"
                )
        return tuple(kept.items())

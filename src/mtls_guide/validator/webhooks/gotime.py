"""Go's ``time.ParseDuration`` and ``time.Duration.String`` (Go 1.25), for webhook messages.

cert-manager keeps durations as ``metav1.Duration``: the JSON string is parsed with
``time.ParseDuration`` and error messages print it with ``Duration.String``, so a
Certificate's ``duration: 90d`` is refused and ``2160h`` is shown as ``2160h0m0s``.
"""

from __future__ import annotations

import re

NANOSECOND = 1
MICROSECOND = 1000 * NANOSECOND
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
MAX_INT64 = (1 << 63) - 1

# Go accepts both the micro sign (U+00B5) and the Greek small letter mu (U+03BC).
UNITS = {
    "ns": NANOSECOND,
    "us": MICROSECOND,
    "\u00b5s": MICROSECOND,
    "\u03bcs": MICROSECOND,
    "ms": MILLISECOND,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}
_TERM = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")


class DurationError(ValueError):
    """The message Go's time package gives, e.g. ``time: unknown unit "d" in duration "90d"``."""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _leading_fraction(digits: str) -> tuple[int, float]:
    """Go's leadingFraction: the digits as an integer and their scale, ignoring overflowing ones."""
    value, scale = 0, 1.0
    for char in digits:
        if value > MAX_INT64 // 10:
            break
        widened = value * 10 + int(char)
        if widened > 1 << 63:
            break
        value, scale = widened, scale * 10
    return value, scale


def _term(whole: str, fraction: str | None, unit: int, text: str) -> int:
    """One ``<number><unit>`` term in nanoseconds, with Go's overflow checks."""
    value = int(whole or "0")
    if value > (1 << 63) // unit:
        raise DurationError(f"time: invalid duration {_quote(text)}")
    value *= unit
    if fraction:
        digits, scale = _leading_fraction(fraction)
        value += int(float(digits) * (float(unit) / scale))  # float64 arithmetic, as in Go
        if value > 1 << 63:
            raise DurationError(f"time: invalid duration {_quote(text)}")
    return value


def parse_duration(text: str) -> int:
    """Nanoseconds, as ``time.ParseDuration`` computes them; raises DurationError."""
    body, negative = text, False
    if body[:1] in ("-", "+"):
        negative, body = body[0] == "-", body[1:]
    if body == "0":
        return 0
    if not body:
        raise DurationError(f"time: invalid duration {_quote(text)}")
    total = 0
    while body:
        match = _TERM.match(body)
        assert match is not None  # the pattern matches the empty string
        whole, fraction, unit = match.groups()
        if not whole and not fraction:
            raise DurationError(f"time: invalid duration {_quote(text)}")
        if not unit:
            raise DurationError(f"time: missing unit in duration {_quote(text)}")
        if unit not in UNITS:
            raise DurationError(f"time: unknown unit {_quote(unit)} in duration {_quote(text)}")
        total += _term(whole, fraction, UNITS[unit], text)
        if total > 1 << 63:
            raise DurationError(f"time: invalid duration {_quote(text)}")
        body = body[match.end() :]
    if negative:
        return -total
    if total > MAX_INT64:
        raise DurationError(f"time: invalid duration {_quote(text)}")
    return total


def _fraction(value: int, unit: int) -> str:
    whole, rest = divmod(value, unit)
    digits = f"{rest:0{len(str(unit)) - 1}d}".rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)


def format_duration(ns: int) -> str:
    """``time.Duration(ns).String()``: ``3600000000000`` -> ``1h0m0s``, ``1500000`` -> ``1.5ms``."""
    if ns == 0:
        return "0s"
    sign, size = ("-" if ns < 0 else ""), abs(ns)
    if size < MICROSECOND:
        return f"{sign}{size}ns"
    if size < MILLISECOND:
        return f"{sign}{_fraction(size, MICROSECOND)}\u00b5s"
    if size < SECOND:
        return f"{sign}{_fraction(size, MILLISECOND)}ms"
    text = _fraction(size % MINUTE, SECOND) + "s"
    minutes = size // MINUTE
    if minutes:
        text = f"{minutes % 60}m{text}"
        if minutes // 60:
            text = f"{minutes // 60}h{text}"
    return sign + text

"""Enough of robfig/cron v3's standard parser for cert-manager's renewal windows.

cert-manager wraps the parser's error as ``failed to parse cron spec '<spec>': <error>``.
Checked: the optional ``CRON_TZ=``/``TZ=`` prefix, the five fields and their
ranges, ``@`` descriptors. A spec this module accepts may still be refused by
robfig for finer reasons (names in ranges, step syntax); then we accept.
"""

from __future__ import annotations

import re

# (minimum, maximum) for minute, hour, day of month, month, day of week
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_DESCRIPTORS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_NUMBER_RANGE = re.compile(r"^(\d+)(?:-(\d+))?(?:/\d+)?$")


def _spec_error(spec: str) -> str | None:
    if spec.startswith(("TZ=", "CRON_TZ=")):
        if " " not in spec:
            return f"expected timezone prefix to be followed by a cron spec: {spec}"
        spec = spec.split(" ", 1)[1].strip()
    if not spec:
        return "empty spec string"
    if spec.startswith("@"):
        return (
            None
            if spec in _DESCRIPTORS or spec.startswith("@every ")
            else f"unrecognized descriptor: {spec}"
        )
    fields = spec.split()
    if len(fields) != 5:
        return f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
    for field, (low, high) in zip(fields, _BOUNDS, strict=True):
        for part in field.split(","):
            problem = _range_error(part, low, high)
            if problem:
                return problem
    return None


def _range_error(part: str, low: int, high: int) -> str | None:
    match = _NUMBER_RANGE.match(part)
    if not match:
        return None  # "*", "?", names: robfig's finer rules are not modelled
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else start
    if start < low:
        return f"beginning of range ({start}) below minimum ({low}): {part}"
    if end > high:
        return f"end of range ({end}) above maximum ({high}): {part}"
    return None


def cron_error(spec: str, timezone: str = "") -> str | None:
    """The message cert-manager gives for a window's cron, or None when it parses."""
    problem = _spec_error(spec)
    return f"failed to parse cron spec '{spec}': {problem}" if problem else None

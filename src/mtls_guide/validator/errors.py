"""Field errors in the API server's words (k8s.io/apimachinery field.Error)."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass


class Key(str):
    """A key of a map (additionalProperties): rendered ``[key]`` instead of ``.key``."""

    __slots__ = ()


FieldPath = tuple[str | int, ...]

# Error types that stop CEL from running anywhere in the object (apiextensions strategy.go).
BLOCKING = frozenset({"Required", "NotSupported", "TooLong", "TooMany", "TypeInvalid"})

NOT_CHECKED = (
    "some validation rules were not checked because the object was invalid; "
    "correct the existing errors to complete validation"
)


def render_path(path: FieldPath | None) -> str:
    """``("spec", "listeners", 0, "tls")`` -> ``spec.listeners[0].tls``; ``None`` -> ``<nil>``."""
    if path is None:
        return "<nil>"
    out = ""
    for part in path:
        if isinstance(part, int | Key):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


_GO_ESCAPES = {
    "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
    "\v": "\\v", "\\": "\\\\", '"': '\\"',
}  # fmt: skip


def _go_printable(char: str) -> bool:
    """Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space."""
    return char == " " or unicodedata.category(char)[0] in "LMNPS"


def go_quote(text: str) -> str:
    """``text`` as Go's ``%q`` (strconv.Quote) writes it: printable characters as they are,
    including non-ASCII ones; ``\\n``-style escapes, ``\\x00``, ``\\u200b`` or ``\\U0001f5ff`` for
    the rest. Python's json.dumps differs on NUL, DEL, format and separator characters."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'  # the common case, in C speed
    out = []
    for char in text:
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif _go_printable(char):
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif (
            0xD800 <= ord(char) <= 0xDFFF
        ):  # a lone surrogate: Go never holds one; it writes U+FFFD
            out.append("\ufffd")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def show(value: object) -> str:
    """A value as Go's field errors quote it: strings as ``%q`` does, numbers bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return go_quote(value)
    return json.dumps(json.dumps(value, ensure_ascii=False, sort_keys=True), ensure_ascii=False)


@dataclass(frozen=True)
class FieldError:
    path: FieldPath | None
    type: str  # Invalid, Required, NotSupported, TooLong, TooMany, TypeInvalid, Duplicate, Forbidden, Unknown
    detail: str  # text after "<path>: "

    @property
    def blocking(self) -> bool:
        return self.type in BLOCKING

    @property
    def field(self) -> str:
        return render_path(self.path)


def invalid(path: FieldPath | None, value: str, message: str, kind: str = "Invalid") -> FieldError:
    return FieldError(path, kind, f"Invalid value: {value}: {message}")


def required(path: FieldPath, message: str = "") -> FieldError:
    return FieldError(path, "Required", "Required value" + (f": {message}" if message else ""))

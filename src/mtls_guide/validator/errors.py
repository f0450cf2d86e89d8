"""Field errors in the API server's words (k8s.io/apimachinery field.Error)."""

from __future__ import annotations

import json
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


def show(value: object) -> str:
    """A value as Go's field errors quote it: strings in quotes, numbers bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
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

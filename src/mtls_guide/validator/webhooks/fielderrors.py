"""Field errors as the Go validation code builds them (k8s.io/apimachinery field.Error).

The webhook's messages are ``field.ErrorList`` entries rendered by ``ErrorBody``:
``Invalid``/``NotSupported``/``Duplicate`` print the bad value (strings quoted,
numbers bare, a ``time.Duration`` as Go prints it), ``Required``/``Forbidden``/
``TooLong`` do not. A ``None`` path is Go's nil ``*field.Path`` (printed ``<nil>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mtls_guide.validator.errors import FieldError, FieldPath, Key, show
from mtls_guide.validator.webhooks.gotime import format_duration

Path = FieldPath | None
Obj = dict[str, Any]  # a decoded JSON object


def as_obj(value: object) -> Obj:
    """The value if it is a JSON object, else an empty one (the schema has checked types)."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


class Duration(int):
    """Nanoseconds that print like Go's ``time.Duration`` (a ``fmt.Stringer``, shown unquoted)."""

    __slots__ = ()

    def __str__(self) -> str:
        return format_duration(int(self))


def child(path: Path, *names: str | int) -> FieldPath:
    """``path.Child(a, b)`` / ``.Index(i)``: a nil path starts a new one, as in Go."""
    return (*(path or ()), *names)


def key(path: Path, name: str) -> FieldPath:
    """``path.Key(name)``: rendered ``[name]``."""
    return (*(path or ()), Key(name))


def value_of(value: object) -> str:
    if isinstance(value, Duration):
        return str(value)
    if value is None:
        return '"null"'
    return show(value)


def invalid(path: Path, value: object, detail: str) -> FieldError:
    return FieldError(path, "Invalid", f"Invalid value: {value_of(value)}: {detail}")


def required(path: Path, detail: str = "") -> FieldError:
    return FieldError(path, "Required", "Required value" + (f": {detail}" if detail else ""))


def forbidden(path: Path, detail: str) -> FieldError:
    return FieldError(path, "Forbidden", "Forbidden" + (f": {detail}" if detail else ""))


def too_long(path: Path, max_bytes: int) -> FieldError:
    unit = "byte" if max_bytes == 1 else "bytes"
    return FieldError(path, "TooLong", f"Too long: may not be more than {max_bytes} {unit}")


def not_supported(path: Path, value: object, supported: list[str]) -> FieldError:
    quoted = ", ".join(show(s) for s in supported)
    detail = f": supported values: {quoted}" if supported else ""
    return FieldError(path, "NotSupported", f"Unsupported value: {value_of(value)}{detail}")


def duplicate(path: Path, value: object) -> FieldError:
    return FieldError(path, "Duplicate", f"Duplicate value: {value_of(value)}")


@dataclass(frozen=True)
class WebhookError(FieldError):
    """A field error that a validating admission webhook (named here) returned."""

    webhook: str = ""

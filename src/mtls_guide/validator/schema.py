"""Structural-schema steps of the create pipeline (validation-semantics §1-§2).

strict decoding (unknown fields) -> null pruning and defaults -> OpenAPI value
validation -> list-type uniqueness. CEL runs afterwards (cel.py). Each function
works on one custom resource's ``openAPIV3Schema``.
"""

from __future__ import annotations

import base64
import copy
import datetime
import functools
import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any, cast

import re2

from mtls_guide.validator.errors import FieldError, FieldPath, Key, invalid, render_path, show


def type_of(value: object) -> str:
    """The JSON type name of a decoded YAML value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _child_schema(schema: dict[str, Any], key: str) -> tuple[dict[str, Any] | None, bool]:
    """The schema of property ``key`` and whether ``key`` is a map key (additionalProperties)."""
    props = schema.get("properties")
    if props and key in props:
        return props[key], False
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        return extra, True
    if extra is True:
        return {}, True
    return None, False


# --- 1. strict decoding -------------------------------------------------------------------


def unknown_fields(value: object, schema: dict[str, Any], path: FieldPath = ()) -> list[FieldPath]:
    """Paths of fields the schema does not declare (kubectl's default strict field validation)."""
    found: list[FieldPath] = []
    if isinstance(value, dict):
        preserve = schema.get("x-kubernetes-preserve-unknown-fields", False)
        for key, child in value.items():
            sub, is_map_key = _child_schema(schema, key)
            if sub is None:
                if not preserve:
                    found.append((*path, key))
                continue
            found += unknown_fields(child, sub, (*path, Key(key) if is_map_key else key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            found += unknown_fields(item, schema["items"], (*path, index))
    return found


# --- 2. nulls and defaults ----------------------------------------------------------------


def apply_defaults(value: object, schema: dict[str, Any]) -> object:
    """Prune nulls of non-nullable fields and fill defaults, in place; returns the value."""
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key in list(value):
            sub = props.get(key) or (extra if isinstance(extra, dict) else None)
            if sub is not None and value[key] is None and not sub.get("nullable"):
                if "default" in sub:
                    value[key] = copy.deepcopy(sub["default"])
                else:
                    del value[key]
        for key, sub in props.items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
        for key, child in value.items():
            sub = props.get(key) or (extra if isinstance(extra, dict) else None)
            if sub is not None:
                apply_defaults(child, sub)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(item, schema["items"])
    return value


# --- 3. OpenAPI value validation ------------------------------------------------------------


@functools.cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


@functools.cache
def _re2(pattern: str) -> Any:
    return re2.compile(pattern)


def _matches(pattern: str, text: str) -> bool:
    # Go's regexp MatchString is a search, not a full match (validation-semantics §2).
    # Python's re, with ASCII classes, agrees with RE2 on the pinned patterns except
    # around newlines ("$" also matches before a final newline), so text with a newline
    # goes to RE2 itself; the rest takes the faster engine.
    if "\n" in text:
        return _re2(pattern).search(text) is not None
    return _regex(pattern).search(text) is not None


def _format_ok(fmt: str, text: str) -> bool:
    try:
        if fmt == "ipv4":
            ipaddress.IPv4Address(text)
        elif fmt == "ipv6":
            ipaddress.IPv6Address(text)
        elif fmt == "cidr":
            ipaddress.ip_network(text, strict=False)
        elif fmt == "byte":
            base64.b64decode(text, validate=True)
        elif fmt == "date-time":
            datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _type_ok(value: object, schema: dict[str, Any]) -> bool:
    if schema.get("x-kubernetes-int-or-string"):
        return type_of(value) in {"integer", "string"}
    wanted = schema.get("type")
    if wanted is None:
        return True
    actual = type_of(value)
    return actual == wanted or (wanted == "number" and actual == "integer")


class _Where:
    """The rendered path, computed only when an error message needs it (a hot path otherwise)."""

    __slots__ = ("path",)

    def __init__(self, path: FieldPath) -> None:
        self.path = path

    def __format__(self, spec: str) -> str:
        return render_path(self.path)


def check_value(value: object, schema: dict[str, Any], path: FieldPath) -> list[FieldError]:
    """kube-openapi's validator for one value and its subtree."""
    where = _Where(path)
    if value is None:
        if schema.get("nullable"):
            return []
        return [
            invalid(
                path,
                '"null"',
                f'{where} in body must be of type {schema.get("type", "object")}: "null"',
                "TypeInvalid",
            )
        ]
    if not _type_ok(value, schema):
        wanted = "integer or string" if schema.get("x-kubernetes-int-or-string") else schema["type"]
        actual = type_of(value)
        return [
            invalid(
                path,
                f'"{actual}"',
                f'{where} in body must be of type {wanted}: "{actual}"',
                "TypeInvalid",
            )
        ]
    errors: list[FieldError] = []
    if "enum" in schema and value not in schema["enum"]:
        supported = ", ".join(show(v) for v in schema["enum"])
        errors.append(
            FieldError(
                path,
                "NotSupported",
                f"Unsupported value: {show(value)}: supported values: {supported}",
            )
        )
    kind = type_of(value)
    if kind == "string":
        errors += _check_string(cast(str, value), schema, path)
    elif kind in {"integer", "number"}:
        errors += _check_number(cast(float, value), schema, path)
    elif kind == "array":
        errors += _check_array(cast(list[Any], value), schema, path)
    elif kind == "object":
        errors += _check_object(cast(dict[str, Any], value), schema, path)
    errors += _check_composition(value, schema, path)
    return errors


def _check_string(value: str, schema: dict[str, Any], path: FieldPath) -> list[FieldError]:
    errors: list[FieldError] = []
    where = _Where(path)
    length = len(value)  # runes, not bytes, despite the message's wording
    if "maxLength" in schema and length > schema["maxLength"]:
        errors.append(
            FieldError(
                path, "TooLong", f"Too long: may not be more than {schema['maxLength']} bytes"
            )
        )
    if "minLength" in schema and length < schema["minLength"]:
        errors.append(
            invalid(
                path,
                show(value),
                f"{where} in body should be at least {schema['minLength']} chars long",
            )
        )
    if "pattern" in schema and not _matches(schema["pattern"], value):
        errors.append(
            invalid(path, show(value), f"{where} in body should match '{schema['pattern']}'")
        )
    fmt = schema.get("format")
    if fmt and not _format_ok(fmt, value):
        errors.append(
            invalid(path, show(value), f"{where} in body must be of type {fmt}: {show(value)}")
        )
    return errors


def _check_number(value: float, schema: dict[str, Any], path: FieldPath) -> list[FieldError]:
    errors: list[FieldError] = []
    where = _Where(path)
    if "maximum" in schema:
        limit, exclusive = schema["maximum"], schema.get("exclusiveMaximum", False)
        if value > limit or (exclusive and value == limit):
            rel = "less than" if exclusive else "less than or equal to"
            errors.append(invalid(path, show(value), f"{where} in body should be {rel} {limit}"))
    if "minimum" in schema:
        limit, exclusive = schema["minimum"], schema.get("exclusiveMinimum", False)
        if value < limit or (exclusive and value == limit):
            rel = "greater than" if exclusive else "greater than or equal to"
            errors.append(invalid(path, show(value), f"{where} in body should be {rel} {limit}"))
    if "multipleOf" in schema and value % schema["multipleOf"] != 0:
        errors.append(
            invalid(
                path, show(value), f"{where} in body should be a multiple of {schema['multipleOf']}"
            )
        )
    return errors


def _check_array(value: list[Any], schema: dict[str, Any], path: FieldPath) -> list[FieldError]:
    errors: list[FieldError] = []
    where = _Where(path)
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(
            FieldError(
                path,
                "TooMany",
                f"Too many: {len(value)}: must have at most {schema['maxItems']} items",
            )
        )
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(
            invalid(
                path,
                show(value),
                f"{where} in body should have at least {schema['minItems']} items",
            )
        )
    items = schema.get("items")
    if isinstance(items, dict):
        for index, item in enumerate(value):
            errors += check_value(item, items, (*path, index))
    return errors


def _check_object(
    value: dict[str, Any], schema: dict[str, Any], path: FieldPath
) -> list[FieldError]:
    errors: list[FieldError] = []
    where = _Where(path)
    for name in schema.get("required", []):
        if name not in value:
            errors.append(FieldError((*path, name), "Required", "Required value"))
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        errors.append(
            FieldError(
                path,
                "TooMany",
                f"Too many: {len(value)}: must have at most {schema['maxProperties']} items",
            )
        )
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        errors.append(
            invalid(
                path,
                show(value),
                f"{where} in body should have at least {schema['minProperties']} properties",
            )
        )
    for key, child in value.items():
        sub, _ = _child_schema(schema, key)
        if sub is not None:
            # kube-openapi names a map entry "path.key", not field.Path's "path[key]"
            # (Gateway API v1.6.1 tests/cel/gateway_experimental_test.go wants
            # "spec.infrastructure.labels.key in body should match ...")
            errors += check_value(child, sub, (*path, key))
    return errors


def _check_composition(value: object, schema: dict[str, Any], path: FieldPath) -> list[FieldError]:
    errors: list[FieldError] = []
    where = _Where(path)
    if "allOf" in schema:
        sub = [e for s in schema["allOf"] for e in check_value(value, s, path)]
        if sub:
            errors += [
                *sub,
                invalid(None, '""', f'"{where}" must validate all the schemas (allOf)'),
            ]
    if "anyOf" in schema:
        results = [check_value(value, s, path) for s in schema["anyOf"]]
        if all(results):
            errors += [
                *(e for r in results for e in r),
                invalid(None, '""', f'"{where}" must validate at least one schema (anyOf)'),
            ]
    if "oneOf" in schema:
        results = [check_value(value, s, path) for s in schema["oneOf"]]
        valid = sum(1 for r in results if not r)
        if valid == 0:
            errors += [
                invalid(
                    None,
                    '""',
                    f'"{where}" must validate one and only one schema (oneOf). Found none valid',
                )
            ]
            errors += [e for r in results for e in r]
        elif valid > 1:
            errors.append(
                invalid(
                    None,
                    '""',
                    f'"{where}" must validate one and only one schema (oneOf). Found {valid} valid alternatives',
                )
            )
    if "not" in schema and not check_value(value, schema["not"], path):
        errors.append(invalid(None, '""', f'"{where}" must not validate the schema (not)'))
    return errors


# --- 4. list types ----------------------------------------------------------------------------


def check_list_types(
    value: object, schema: dict[str, Any], path: FieldPath = ()
) -> list[FieldError]:
    """``x-kubernetes-list-type: set|map`` uniqueness (structurallisttype)."""
    errors: list[FieldError] = []
    if isinstance(value, list):
        list_type = schema.get("x-kubernetes-list-type")
        if list_type == "set":
            errors += _duplicates(value, path, lambda item: json.dumps(item, sort_keys=True), show)
        elif list_type == "map":
            keys = schema.get("x-kubernetes-list-map-keys", [])

            def identity(item: object) -> str | None:
                if not isinstance(item, dict):
                    return None  # a type error, reported by check_value
                return json.dumps([item.get(k) for k in keys])

            def render(item: dict[str, Any]) -> str:
                return json.dumps({k: item[k] for k in keys if k in item}, sort_keys=True)

            errors += _duplicates(value, path, identity, render)
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                errors += check_list_types(item, items, (*path, index))
    elif isinstance(value, dict):
        for key, child in value.items():
            sub, is_map_key = _child_schema(schema, key)
            if sub is not None:
                errors += check_list_types(child, sub, (*path, Key(key) if is_map_key else key))
    return errors


def _duplicates(
    items: list[Any], path: FieldPath, identity: Callable[[Any], Any], render: Callable[[Any], str]
) -> list[FieldError]:
    seen: set[str] = set()
    errors = []
    for index, item in enumerate(items):
        ident = identity(item)
        if ident is None:
            continue
        if ident in seen:
            errors.append(
                FieldError((*path, index), "Duplicate", f"Duplicate value: {render(item)}")
            )
        seen.add(ident)
    return errors

"""SecurityPolicy ``authorization`` as Envoy Gateway v1.9.0 maps it: an RBAC filter per
route whose matcher (the xDS matching API) tries each rule in order, and whose
``on_no_match`` is ``defaultAction``.

A rule's ``cel`` is compiled by the real CEL compiler (cel-expr-python, which also
rejects a broken expression) and handed to Envoy's CEL matcher as a parsed expression.
The compiler gives a serialized ``cel.expr.CheckedExpr``; :func:`_expr` reads its
abstract syntax tree from the protobuf wire format into the JSON form Envoy reads.
"""

from __future__ import annotations

from typing import Any

from cel_expr_python import cel

from mtls_guide.lab.objects import LabError, Obj, key_of

# The attributes Envoy offers a CEL expression (Envoy's "attributes" documentation).
ATTRIBUTES = (
    "request",
    "response",
    "connection",
    "upstream",
    "source",
    "destination",
    "metadata",
    "filter_state",
    "xds",
)
ACTION = "type.googleapis.com/envoy.config.rbac.v3.Action"
RBAC_PER_ROUTE = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute"
_ENV = cel.NewEnv(variables=dict.fromkeys(ATTRIBUTES, cel.Type.DYN))


class AuthzError(LabError):
    """A rule the lab cannot map, naming its field."""


def route_rbac(policy: Obj) -> dict[str, Any]:
    """The ``typed_per_filter_config`` entry for the RBAC filter on the policy's routes."""
    authorization = policy["spec"].get("authorization") or {}
    _, namespace, name = key_of(policy)
    matchers = []
    for index, rule in enumerate(authorization.get("rules", [])):
        where = f"SecurityPolicy {namespace}/{name}: spec.authorization.rules[{index}]"
        rule_name = rule.get("name") or f"securitypolicy/{namespace}/{name}/rule/{index}"
        predicates = [*_principal(rule.get("principal") or {}, where)]
        if rule.get("cel"):
            predicates.append(_cel(rule["cel"], where))
        if rule.get("operation"):
            raise AuthzError(f"{where}.operation: the lab does not map it")
        if not predicates:
            raise AuthzError(f"{where}: the lab needs cel or principal.headers")
        predicate = (
            predicates[0] if len(predicates) == 1 else {"and_matcher": {"predicate": predicates}}
        )
        matchers.append({"predicate": predicate, "on_match": _action(rule_name, rule["action"])})
    default = authorization.get("defaultAction", "Deny")
    matcher: dict[str, Any] = {"on_no_match": _action("default", default)}
    if matchers:
        matcher["matcher_list"] = {"matchers": matchers}
    return {"@type": RBAC_PER_ROUTE, "rbac": {"matcher": matcher}}


def _action(name: str, action: str) -> dict[str, Any]:
    return {
        "action": {
            "name": name,
            "typed_config": {"@type": ACTION, "name": name, "action": action.upper()},
        }
    }


def _principal(principal: Obj, where: str) -> list[dict[str, Any]]:
    extra = set(principal) - {"headers"}
    if extra:
        raise AuthzError(f"{where}.principal.{sorted(extra)[0]}: the lab does not map it")
    predicates = []
    for header in principal.get("headers", []):
        values = header.get("values") or []
        matches = [_header_predicate(header["name"], value) for value in values]
        if not matches:
            matches = [_header_predicate(header["name"], None)]
        predicates.append(
            matches[0] if len(matches) == 1 else {"or_matcher": {"predicate": matches}}
        )
    return predicates


def _header_predicate(name: str, value: str | None) -> dict[str, Any]:
    match: dict[str, Any] = (
        {"exact": value} if value is not None else {"safe_regex": {"regex": ".*"}}
    )
    return {
        "single_predicate": {
            "input": {
                "name": "request-headers",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.type.matcher.v3.HttpRequestHeaderMatchInput",
                    "header_name": name,
                },
            },
            "value_match": match,
        }
    }


def _cel(expression: str, where: str) -> dict[str, Any]:
    try:
        compiled = _ENV.compile(expression)
    except Exception as exc:  # the compiler's own message names the problem
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AuthzError(f"{where}.cel: {first}") from None
    return {
        "single_predicate": {
            "input": {
                "name": "cel",
                "typed_config": {
                    "@type": "type.googleapis.com/xds.type.matcher.v3.HttpAttributesCelMatchInput"
                },
            },
            "custom_match": {
                "name": "cel",
                "typed_config": {
                    "@type": "type.googleapis.com/xds.type.matcher.v3.CelMatcher",
                    "expr_match": {"cel_expr_parsed": {"expr": checked_ast(compiled.serialize())}},
                },
            },
        }
    }


# -- protobuf wire format, just enough for cel.expr.Expr ------------------------------------------


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs of a message: varints and fixed64 as int, the rest as bytes."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            size, pos = _varint(data, pos)
            out.append((number, data[pos : pos + size]))
            pos += size
        elif wire == 1:
            out.append((number, int.from_bytes(data[pos : pos + 8], "little")))
            pos += 8
        elif wire == 5:
            out.append((number, int.from_bytes(data[pos : pos + 4], "little")))
            pos += 4
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return out


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def checked_ast(serialized_any: bytes) -> dict[str, Any]:
    """The ``expr`` of a serialized ``google.protobuf.Any`` holding a ``cel.expr.CheckedExpr``."""
    any_fields = dict(_fields(serialized_any))
    checked = dict(_fields(bytes(any_fields[2])))
    return _expr(bytes(checked[4]))


def _text(value: int | bytes) -> str:
    return bytes(value).decode() if isinstance(value, bytes) else str(value)


def _expr(data: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for number, value in _fields(data):
        raw = value if isinstance(value, bytes) else b""
        if number == 2:
            out["id"] = str(value)
        elif number == 3:
            out["const_expr"] = _constant(raw)
        elif number == 4:
            out["ident_expr"] = {"name": _text(dict(_fields(raw))[1])}
        elif number == 5:
            out["select_expr"] = _select(raw)
        elif number == 6:
            out["call_expr"] = _call(raw)
        elif number == 7:
            out["list_expr"] = {
                "elements": [
                    _expr(bytes(v)) for n, v in _fields(raw) if n == 1 and isinstance(v, bytes)
                ]
            }
        elif number == 9:
            out["comprehension_expr"] = _comprehension(raw)
        else:
            raise AuthzError("the lab does not map CEL struct literals")
    return out


def _select(data: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for number, value in _fields(data):
        if number == 1:
            out["operand"] = _expr(bytes(value))
        elif number == 2:
            out["field"] = _text(value)
        elif number == 3:
            out["test_only"] = bool(value)
    return out


def _call(data: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {"args": []}
    for number, value in _fields(data):
        if number == 1:
            out["target"] = _expr(bytes(value))
        elif number == 2:
            out["function"] = _text(value)
        elif number == 3:
            out["args"].append(_expr(bytes(value)))
    return out


COMPREHENSION = {
    1: "iter_var",
    2: "iter_range",
    3: "accu_var",
    4: "accu_init",
    5: "loop_condition",
    6: "loop_step",
    7: "result",
    8: "iter_var2",
}


def _comprehension(data: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for number, value in _fields(data):
        name = COMPREHENSION[number]
        out[name] = (
            _text(value) if name.startswith(("iter_var", "accu_var")) else _expr(bytes(value))
        )
    return out


def _constant(data: bytes) -> dict[str, Any]:
    (number, value), *_ = _fields(data) or [(1, 0)]
    if number == 1:
        return {"null_value": "NULL_VALUE"}
    if number == 2:
        return {"bool_value": bool(value)}
    if number in (3, 4):
        signed = (
            value - (1 << 64)
            if number == 3 and isinstance(value, int) and value >= 1 << 63
            else value
        )
        return {"int64_value" if number == 3 else "uint64_value": str(signed)}
    if number == 5:
        import struct

        return {"double_value": struct.unpack("<d", int(value).to_bytes(8, "little"))[0]}
    if number == 6:
        return {"string_value": _text(value)}
    if number == 7:
        import base64

        return {"bytes_value": base64.b64encode(bytes(value)).decode()}
    raise AuthzError("the lab does not map this CEL constant")

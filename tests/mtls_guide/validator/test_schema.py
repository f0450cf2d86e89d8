"""The structural steps: defaults, null pruning, value checks, list types, the blocking gate."""

from __future__ import annotations

from mtls_guide.checks import validator
from mtls_guide.validator.schema import (
    apply_defaults,
    check_list_types,
    check_value,
    unknown_fields,
)


def details(errors) -> list[str]:
    return [f"{e.field}: {e.detail}" for e in errors]


def test_defaults_fill_absent_fields_recursively() -> None:
    schema = {
        "type": "object",
        "properties": {
            "tls": {
                "type": "object",
                "default": {},
                "properties": {"mode": {"type": "string", "default": "Terminate"}},
            },
        },
    }
    assert apply_defaults({}, schema) == {"tls": {"mode": "Terminate"}}


def test_null_without_default_is_pruned_and_nullable_kept() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string", "nullable": True}},
    }
    assert apply_defaults({"a": None, "b": None}, schema) == {"b": None}


def test_pattern_is_a_search() -> None:
    schema = {"type": "string", "pattern": "[0-9]+/[0-9]+"}
    assert check_value("10.0.0.0/1645", schema, ("cidr",)) == []


def test_int_or_string() -> None:
    schema = {"x-kubernetes-int-or-string": True}
    assert check_value(5, schema, ("x",)) == [] and check_value("5%", schema, ("x",)) == []
    assert details(check_value(True, schema, ("x",))) == [
        'x: Invalid value: "boolean": x in body must be of type integer or string: "boolean"'
    ]


def test_messages_in_the_servers_words() -> None:
    schema = {
        "type": "object",
        "required": ["port"],
        "properties": {
            "port": {"type": "integer", "maximum": 65535},
            "mode": {"type": "string", "enum": ["A", "B"]},
        },
    }
    assert details(check_value({"mode": "C"}, schema, ("spec",))) == [
        "spec.port: Required value",
        'spec.mode: Unsupported value: "C": supported values: "A", "B"',
    ]
    assert details(check_value({"port": 70000}, schema, ("spec",))) == [
        "spec.port: Invalid value: 70000: spec.port in body should be less than or equal to 65535"
    ]


def test_list_map_and_set_duplicates() -> None:
    schema = {
        "type": "object",
        "properties": {
            "ls": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "items": {"type": "object"},
            },
            "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
        },
    }
    value = {"ls": [{"name": "a"}, {"name": "a"}], "tags": ["x", "x"]}
    assert details(check_list_types(value, schema)) == [
        'ls[1]: Duplicate value: {"name": "a"}',
        'tags[1]: Duplicate value: "x"',
    ]


def test_unknown_fields_respect_preserve_unknown() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
    }
    assert unknown_fields({"a": {"anything": 1}, "b": 2}, schema) == [("b",)]


def test_blocking_error_skips_cel() -> None:
    text = """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: g}
spec:
  gatewayClassName: x
  listeners:
    - name: https
      protocol: HTTPS
      port: 443
      tls: {mode: Bogus}
"""
    (obj,) = validator().check_text(text, "g.yaml")
    messages = [p.message for p in obj.problems]
    assert messages[0].startswith('Unsupported value: "Bogus"')
    assert messages[-1].endswith("correct the existing errors to complete validation")
    assert not any("Terminate" in m for m in messages[1:-1])  # no CEL rule ran


def test_status_is_dropped_for_kinds_with_a_status_subresource() -> None:
    text = """apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: c}
spec: {controllerName: example.com/gateway}
status: {conditions: [{type: Accepted}]}
"""
    (obj,) = validator().check_text(text, "c.yaml")
    assert obj.problems == [] and "status" not in obj.value

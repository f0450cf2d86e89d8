"""The CEL runtime gives cel-go's answers for the functions and edge cases the pinned CRDs rely on."""

from __future__ import annotations

import pytest

from mtls_guide.pinned import crd_pins
from mtls_guide.validator.cel import check_rules, compile_rule, escape, evaluate
from mtls_guide.validator.crds import load_index


def run(rule: str, value: object) -> object:
    result = compile_rule(rule).eval(data={"self": value})
    return result.value()


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ('self.split("/")[0]', "example.com/key", "example.com"),
        ("self.substring(2)", "*.example.com", "example.com"),
        ("self.lowerAscii()", "ÄbC", "Äbc"),
        ("self.upperAscii()", "äbc", "äBC"),
        ("isIP(self)", "10.0.0.1", True),
        ("isIP(self)", "2001:db8::1", True),
        ("isIP(self)", "fe80::1%eth0", False),  # zone-scoped
        ("isIP(self)", "::ffff:10.0.0.1", False),  # IPv4-mapped
        ("isIP(self)", "example.com", False),
        ("format.dns1123Label().validate(self) == null", "port-name", True),
        ("format.dns1123Label().validate(self) == null", "Port_Name", False),
        ("self.matches('^a')", "ba", False),
        ("self.matches('a')", "ba", True),  # RE2 search, not a full match
        ("duration(self) < duration('1s')", "100ms", True),
    ],
)
def test_kubernetes_functions(rule: str, value: object, expected: object) -> None:
    assert run(rule, value) == expected


def test_substring_out_of_range_is_an_error() -> None:
    (error,) = evaluate(
        [{"rule": "self.substring(20) == ''", "message": "m"}], "*.a", "string", ("x",)
    )
    assert "evaluating rule: m" in error.detail


def test_error_inside_exists_one_is_absorbed_by_or() -> None:
    # cel-go: true || <error> is true. cel-python 0.5.0 raises here (validation-semantics §3.4).
    rule = "self.all(l1, !has(l1.name) || self.exists_one(l2, has(l2.name) && l1.name == l2.name))"
    assert run(rule, [{"name": "a"}, {}]) is True


def test_missing_key_reads_as_cel_go_words() -> None:
    rule = {"rule": "size(self.certificateRefs) > 0", "message": "need refs"}
    (error,) = evaluate([rule], {"mode": "Terminate"}, "object", ("spec",))
    assert (
        error.detail
        == 'Invalid value: "object": no such key: certificateRefs evaluating rule: need refs'
    )


def test_transition_rules_are_skipped_on_create() -> None:
    assert evaluate([{"rule": "self == oldSelf", "message": "immutable"}], "a", "string", ()) == []


def test_rule_without_message_uses_the_rule() -> None:
    (error,) = evaluate([{"rule": "self > 1"}], 0, "integer", ("n",))
    assert error.detail == 'Invalid value: "integer": failed rule: self > 1'


def test_reason_and_field_path() -> None:
    spec = {
        "rule": "false",
        "message": "nope",
        "reason": "FieldValueForbidden",
        "fieldPath": ".password",
    }
    (error,) = evaluate([spec], {}, "object", ("spec",))
    assert (error.path, error.detail) == (("spec", "password"), "Forbidden: nope")


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("namespace", "__namespace__"),
        ("a.b", "a__dot__b"),
        ("x-y", "x__dash__y"),
        ("a/b", "a__slash__b"),
        ("a__b", "a__underscores__b"),
        ("plain", "plain"),
    ],
)
def test_property_names_are_escaped(name: str, escaped: str) -> None:
    assert escape(name) == escaped


def test_escaped_names_reach_the_rule() -> None:
    schema = {
        "type": "object",
        "properties": {"namespace": {"type": "string"}},
        "x-kubernetes-validations": [{"rule": "self.__namespace__ == 'x'", "message": "m"}],
    }
    assert check_rules({"namespace": "x"}, schema)[1] == []
    assert len(check_rules({"namespace": "y"}, schema)[1]) == 1


def _rules(schema: object):
    if isinstance(schema, dict):
        for spec in schema.get("x-kubernetes-validations", []):
            yield spec["rule"]
        for value in schema.values():
            yield from _rules(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _rules(value)


@pytest.mark.parametrize("channel", ["standard", "experimental"])
def test_every_pinned_rule_compiles(channel: str) -> None:
    rules = {rule for v in load_index(channel).versions.values() for rule in _rules(v.schema)}
    assert len(rules) > 200
    for rule in rules:
        if "oldSelf" not in rule:  # transition rules never run on create
            compile_rule(rule)  # raises RuleCompileError naming the rule


def test_lock_is_what_the_index_reads() -> None:
    assert {p.project for p in crd_pins()} >= {"gateway-api", "envoy-gateway"}

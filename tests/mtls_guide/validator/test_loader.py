"""YAML is read as kubectl reads it, and every field keeps its line."""

from __future__ import annotations

import pytest

from mtls_guide.validator.loader import (
    MAX_DEPTH,
    MAX_DOCUMENTS,
    Budget,
    LimitExceeded,
    allowed_alias_ratio,
    excessive_aliasing,
    load_documents,
)


def test_timestamps_stay_strings() -> None:
    (doc,) = load_documents("since: 2024-01-01\n")
    assert doc.value == {"since": "2024-01-01"}


def test_yaml_11_booleans_are_booleans() -> None:
    (doc,) = load_documents("flag: on\n")
    assert doc.value == {"flag": True}


def test_duplicate_keys_are_recorded() -> None:
    (doc,) = load_documents("spec:\n  a: 1\n  a: 2\n")
    assert doc.duplicates == [("spec", "a")]


def test_lines_point_at_keys() -> None:
    (doc,) = load_documents("a:\n  b:\n    - x: 1\n      y: 2\n")
    assert doc.line_of(("a", "b", 0, "y")) == 4
    assert doc.line_of(("a", "missing")) == 1


def test_a_broken_document_does_not_hide_the_next() -> None:
    first, second = load_documents("a: [\n---\nkind: ConfigMap\n")
    assert first.error and "not valid YAML" in first.error
    assert second.value == {"kind": "ConfigMap"} and second.line == 3


def test_go_yaml_alias_budget() -> None:
    """go-yaml's allowedAliasRatio (yaml.v2/v3 decode.go): 99 % up to 400,000 decoded nodes,
    10 % from 4,000,000, linear between; nothing is refused below 100 aliased or 1,000 decoded."""
    assert allowed_alias_ratio(1_000) == 0.99
    assert allowed_alias_ratio(400_000) == 0.99
    assert allowed_alias_ratio(2_200_000) == pytest.approx(0.545)
    assert allowed_alias_ratio(4_000_000) == 0.10
    assert not excessive_aliasing(100, 100_000)
    assert not excessive_aliasing(990, 1_000)
    assert excessive_aliasing(995, 1_001)


def test_an_alias_bomb_is_refused_without_expanding_it() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 30)]
    (doc,) = load_documents("\n".join(lines))  # 10**30 nodes if expanded
    assert doc.error and doc.error.startswith("yaml: document contains excessive aliasing")


def test_aliases_share_their_value_and_merge_keys_work() -> None:
    (doc,) = load_documents("base: &b {a: 1, b: 2}\nuse:\n  <<: *b\n  b: 3\nsame: *b\n")
    assert doc.value == {
        "base": {"a": 1, "b": 2},
        "use": {"a": 1, "b": 3},
        "same": {"a": 1, "b": 2},
    }
    assert doc.line_of(("same", "a")) == 5  # an alias reports at the alias


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("a: *nowhere\n", "unknown anchor 'nowhere' referenced"),
        ("a: &x [*x]\n", "anchor 'x' value contains itself"),
        ("a:\n  <<: [1]\n", "a merge key (<<) needs a mapping or a list of mappings"),
    ],
)
def test_bad_aliases_are_one_error(text: str, error: str) -> None:
    (doc,) = load_documents(text)
    assert doc.error == error


def test_nesting_is_bounded_below_the_recursion_limit() -> None:
    (ok,) = load_documents("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))
    assert ok.error is None
    (deep,) = load_documents("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH)
    assert (
        deep.error == f"nested deeper than {MAX_DEPTH} levels; no Kubernetes object nests that deep"
    )


def test_a_bom_starting_any_line_is_skipped() -> None:
    first, second = load_documents("\ufeffkind: A\n\ufeff---\n\ufeffkind: B\n")
    assert (first.value, second.value) == ({"kind": "A"}, {"kind": "B"})
    assert second.line == 3


def test_a_run_budget_spans_texts() -> None:
    budget = Budget()
    load_documents("---\n" * 10, budget)
    assert budget.documents == 10
    with pytest.raises(LimitExceeded, match="YAML documents in one run"):
        load_documents("---\n" * MAX_DOCUMENTS, budget)


def test_non_string_keys_read_as_json_keys() -> None:
    (doc,) = load_documents("true: 1\n1: 2\n~: 3\n")
    assert doc.value == {"true": 1, "1": 2, "null": 3}


def test_values_are_json_values() -> None:
    """No bytes or dates reach the validator: the API server only ever sees JSON."""
    (doc,) = load_documents("a: !!binary aGVsbG8=\nb: !!timestamp 2024-01-01\nc: !!float 1\n")
    assert doc.value == {"a": "hello", "b": "2024-01-01", "c": 1.0}

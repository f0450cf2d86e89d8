"""YAML is read as kubectl reads it, and every field keeps its line."""

from __future__ import annotations

from mtls_guide.validator.loader import load_documents


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

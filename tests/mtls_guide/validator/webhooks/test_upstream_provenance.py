"""The cert-manager test files our fixtures were converted from are the pinned ones.

With UPSTREAM_TESTS set (.ci/run sets it to ../shared/upstream-tests), every
cert-manager file that MANIFEST.txt lists must have the sha256 it records, and
the fixtures must hold exactly the cases of each test file they name. Unset: one
named skip.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
import yaml

VARIABLE = "UPSTREAM_TESTS"
PREFIX = "cert-manager/v1.21.1/internal/apis/certmanager/validation/"
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "upstream-certmanager"


def manifest_entries(root: Path) -> dict[str, str]:
    """path -> sha256 for the cert-manager validation files in MANIFEST.txt."""
    lines = (root / "MANIFEST.txt").read_text().splitlines()
    pairs = (re.match(r"^([0-9a-f]{64})\s+(\S+)$", line) for line in lines)
    return {m.group(2): m.group(1) for m in pairs if m and m.group(2).startswith(PREFIX)}


def changed_files(root: Path, entries: dict[str, str]) -> list[str]:
    return [
        path
        for path, digest in entries.items()
        if not (root / path).is_file()
        or hashlib.sha256((root / path).read_bytes()).hexdigest() != digest
    ]


def test_upstream_files_match_the_manifest() -> None:
    value = os.environ.get(VARIABLE)
    if not value:
        pytest.skip(f"set {VARIABLE} to the upstream test suites to check the fixtures' provenance")
    root = Path(value)
    assert (root / "MANIFEST.txt").is_file(), f"{VARIABLE}={root}: no MANIFEST.txt"
    entries = manifest_entries(root)
    assert any(p.endswith("certificate_test.go") for p in entries)
    changed = changed_files(root, entries)
    assert changed == [], f"not the pinned upstream files: {changed}"
    for fixture in FIXTURES.glob("*.yaml"):
        data = yaml.safe_load(fixture.read_text())
        source = f"cert-manager/v1.21.1/{data['source']}"
        assert source in entries, f"{fixture.name}: {data['source']} not pinned"
        # every case of the upstream tables has its fixture, and no fixture is invented
        cases = upstream_case_names((root / source).read_text())
        assert {c["case"] for c in data["cases"]} == cases, fixture.name


def test_an_altered_file_is_reported(tmp_path: Path) -> None:
    path = PREFIX + "certificate_test.go"
    (tmp_path / PREFIX).mkdir(parents=True)
    (tmp_path / path).write_text("package validation\n")
    digest = hashlib.sha256(b"package validation\n").hexdigest()
    (tmp_path / "MANIFEST.txt").write_text(f"{digest}  {path}\n{'0' * 64}  {PREFIX}issuer.go\n")
    entries = manifest_entries(tmp_path)
    assert changed_files(tmp_path, entries) == [PREFIX + "issuer.go"]


# A case of a table-driven test: a map entry `"name": {` or a slice entry's `name: "...",`.
CASE_NAME = re.compile(r'^\t+(?:"((?:[^"\\]|\\.)*)": +\{|name: +"((?:[^"\\]|\\.)*)",)$', re.M)


def upstream_case_names(go_source: str) -> set[str]:
    names = set()
    for mapped, listed in CASE_NAME.findall(go_source):
        raw = mapped or listed
        names.add(raw.encode().decode("unicode_escape") if "\\" in raw else raw)
    return names


def test_case_names_are_read_from_both_table_styles() -> None:
    source = '\tscenarios := map[string]struct{}{\n\t\t"a map case": {\n\t\t},\n\t}\n'
    source += '\ttests := []struct{}{\n\t\t{\n\t\t\tname: "a listed case",\n\t\t},\n\t}\n'
    assert upstream_case_names(source) == {"a map case", "a listed case"}

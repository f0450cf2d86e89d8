"""Upstream CEL validation suites, as committed data: each case gets upstream's verdict.

The fixtures (tests/fixtures/upstream-cel/) always run. When UPSTREAM_TESTS points at the
pinned upstream test files, a provenance test also checks that every fixture names a file
listed in its MANIFEST.txt with the sha256 there; unset, that one test skips by name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from mtls_guide.checks import validator

FIXTURES = Path(__file__).parents[2] / "fixtures" / "upstream-cel"
VARIABLE = "UPSTREAM_TESTS"

# Cases where our validator and upstream's verdict differ, with the reason; the test checks
# both ways, so a fixed case fails until it leaves this table.
KNOWN_DIFFERENCES: dict[str, str] = {}


@dataclass(frozen=True)
class Case:
    id: str
    suite: str
    upstream: str
    channel: str
    match: str
    obj: dict[str, Any] | None
    expect: tuple[str, ...] | None  # None = accepted
    skip: str | None

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.suite}:{self.id}"


def _fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*/*.yaml"))


def _cases_of(path: Path) -> list[Case]:
    data = yaml.safe_load(path.read_text())
    return [
        Case(
            id=entry["id"],
            suite=path.parent.name,
            upstream=data["upstream"],
            channel=channel,
            match=data["match"],
            obj=entry.get("object"),
            expect=None
            if entry.get("expect", "accepted") == "accepted"
            else tuple(entry["expect"]),
            skip=entry.get("skip"),
        )
        for entry in data["cases"]
        for channel in data["channels"]
    ]


ALL = [case for path in _fixture_files() for case in _cases_of(path)]
# Upstream test functions whose cases are not yet in a fixture, per upstream file.
NOT_CONVERTED = {
    data["upstream"]: data["not_converted"]
    for data in (yaml.safe_load(path.read_text()) for path in _fixture_files())
    if data.get("not_converted")
}
RUN = [case for case in ALL if case.skip is None]
SKIPPED = [case for case in ALL if case.skip is not None]


def matches(error: str, want: str, rule: str) -> bool:
    """Upstream's matching rule for one wanted string."""
    if rule == "substring-casefold":
        return want.lower() in error.lower()
    # Gateway API celErrorStringMatches: Kubernetes 1.32+ says "longer than" where tests say "more than"
    return want in error or want.replace("more", "longer") in error


def api_error(obj: dict[str, Any], causes: list[str]) -> str:
    """The API server's StatusError text for a refused create (apimachinery errors.NewInvalid):
    ``<Kind>.<group> "<name>" is invalid: <cause>``, several causes as ``[c1, c2]``."""
    if not causes:
        return ""
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    kind = f"{obj.get('kind')}.{group}" if group else str(obj.get("kind"))
    name = (obj.get("metadata") or {}).get("name", "")
    return f'{kind} "{name}" is invalid: {aggregate(causes)}'


def error_text(case: Case, validators: dict[str, Any]) -> str:
    """All problems the validator finds, joined as the API server joins causes in one error."""
    objects = validators[case.channel].check_text(json.dumps(case.obj), case.id)
    causes = [f"{p.field}: {p.message}" for obj in objects for p in obj.problems]
    return api_error(case.obj or {}, causes)


def aggregate(messages: list[str]) -> str:
    """Go's errors aggregate (apimachinery util/errors), which upstream tests match against:
    one message as it is; several deduplicated, joined by ", " and wrapped in brackets."""
    unique = list(dict.fromkeys(messages))
    if len(unique) == 1:
        return unique[0]
    return f"[{', '.join(unique)}]" if unique else ""


def agrees(case: Case, validators: dict[str, Any]) -> tuple[bool, str]:
    error = error_text(case, validators)
    if case.expect is None:
        return error == "", error
    return bool(error) and all(matches(error, want, case.match) for want in case.expect), error


@pytest.fixture(scope="module")
def validators() -> dict[str, Any]:
    return {channel: validator(channel) for channel in ("standard", "experimental")}


@pytest.mark.parametrize("case", RUN, ids=[c.key for c in RUN])
def test_upstream_case(case: Case, validators: dict[str, Any]) -> None:
    agreed, error = agrees(case, validators)
    if case.key in KNOWN_DIFFERENCES:
        assert not agreed, f"{case.key} now agrees: remove it from KNOWN_DIFFERENCES"
    else:
        want = "accepted" if case.expect is None else list(case.expect)
        assert agreed, f"upstream wants {want}; validator says {error or 'accepted'!r}"


def test_score(validators: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """Print agreed/total per suite and channel, and the skipped transition cases."""
    score: dict[tuple[str, str], list[int]] = {}
    for case in RUN:
        tally = score.setdefault((case.suite, case.channel), [0, 0])
        tally[0] += agrees(case, validators)[0]
        tally[1] += 1
    with capsys.disabled():
        for (suite, channel), (agreed, total) in sorted(score.items()):
            print(f"\nupstream CEL {suite} [{channel}]: {agreed}/{total} agree")
        print(f"skipped update/transition cases: {len(SKIPPED)}")
        for case in SKIPPED:
            print(f"  {case.key}: {case.skip}")
        for upstream, functions in NOT_CONVERTED.items():
            print(f"not converted yet from {upstream}: {', '.join(functions)}")
    assert set(KNOWN_DIFFERENCES) <= {case.key for case in RUN}, "stale KNOWN_DIFFERENCES entry"


def repeated_keys(cases: list[Case]) -> set[str]:
    """Case keys that occur more than once (KNOWN_DIFFERENCES could not tell them apart)."""
    counts = Counter(case.key for case in cases)
    return {key for key, count in counts.items() if count > 1}


def test_case_ids_are_unique() -> None:
    assert not repeated_keys(ALL), "repeat a desc with Go's t.Run suffix #01, #02, ..."
    assert repeated_keys([ALL[0], ALL[0]]) == {ALL[0].key}


def test_matching_rules_can_fail() -> None:
    assert matches("may not be longer than 63", "may not be more than 63", "substring-or-longer")
    assert not matches(
        "may not be longer than 64", "may not be more than 63", "substring-or-longer"
    )
    assert matches("Invalid Value", "invalid value", "substring-casefold")
    assert not matches("Invalid Value", "invalid value", "substring-or-longer")


def test_errors_are_joined_like_go_aggregates() -> None:
    """EG tests match "…set.," and "…set.]", which only Go's aggregate format produces."""
    assert aggregate([]) == ""
    assert aggregate(["a: x"]) == "a: x"
    assert aggregate(["a: x", "a: x"]) == "a: x"
    assert aggregate(["a: x", "b: y", "a: x"]) == "[a: x, b: y]"


def test_a_wrong_verdict_disagrees(validators: dict[str, Any]) -> None:
    """A case with the verdict flipped must not agree: the corpus test can fail."""
    case = next(c for c in RUN if c.expect is not None)
    flipped = Case(
        case.id, case.suite, case.upstream, case.channel, case.match, case.obj, None, None
    )
    assert not agrees(flipped, validators)[0]
    wrong = Case(**{**flipped.__dict__, "expect": ("no such message",)})
    assert not agrees(wrong, validators)[0]


def _manifest_sums(root: Path) -> dict[str, str]:
    sums: dict[str, str] = {}
    for line in (root / "MANIFEST.txt").read_text().splitlines():
        entry = re.match(r"^([0-9a-f]{64})\s+(\S+)$", line)
        if entry:
            sums[entry.group(2)] = entry.group(1)
    return sums


def check_provenance(root: Path, fixture: Path) -> None:
    """The fixture's upstream file is pinned in MANIFEST.txt, unchanged, and has its test functions."""
    sums = _manifest_sums(root)
    upstream = yaml.safe_load(fixture.read_text())["upstream"]
    assert upstream in sums, f"{fixture.name}: {upstream} not in {VARIABLE}/MANIFEST.txt"
    source = (root / upstream).read_bytes()
    assert hashlib.sha256(source).hexdigest() == sums[upstream], (
        f"{fixture.name}: {upstream} changed since it was pinned"
    )
    functions = set(re.findall(r"^func (Test\w+)\(", source.decode(), re.MULTILINE))
    named = {case.id.split("/")[0] for case in _cases_of(fixture)}
    named |= set(NOT_CONVERTED.get(upstream, []))
    assert named <= functions, f"{fixture.name}: no such test function {named - functions}"


def test_provenance(capsys: pytest.CaptureFixture[str]) -> None:
    """Every fixture names a pinned upstream file whose sha256 is the one in MANIFEST.txt."""
    value = os.environ.get(VARIABLE)
    if not value:
        pytest.skip(f"set {VARIABLE} to the upstream test suites to check fixture provenance")
    for fixture in _fixture_files():
        check_provenance(Path(value), fixture)
    _list_unconverted_suites(Path(value), capsys)


def test_provenance_refuses_a_changed_file(tmp_path: Path) -> None:
    """A pinned file whose bytes no longer match MANIFEST.txt fails the check."""
    fixture = FIXTURES / "gateway-api" / "listenerset_test.yaml"
    upstream = yaml.safe_load(fixture.read_text())["upstream"]
    (tmp_path / upstream).parent.mkdir(parents=True)
    (tmp_path / upstream).write_text("func TestValidateListenerSet(t *testing.T) {}\n")
    (tmp_path / "MANIFEST.txt").write_text(f"{'0' * 64}  {upstream}\n")
    with pytest.raises(AssertionError, match="changed since it was pinned"):
        check_provenance(tmp_path, fixture)


def _list_unconverted_suites(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Name the pinned upstream CEL suites that have no fixture yet (the corpus is growing)."""
    covered = {yaml.safe_load(path.read_text())["upstream"] for path in _fixture_files()}
    suites = [
        name
        for name in _manifest_sums(root)
        if re.search(r"/(tests/cel|test/cel-validation)/\w+_test\.go$", name)
        and not name.endswith("/main_test.go")
    ]
    assert suites, f"{VARIABLE}: MANIFEST.txt lists no CEL suites"
    with capsys.disabled():
        for name in sorted(set(suites) - covered):
            print(f"\nupstream CEL suite without fixture yet: {name}")


def test_api_error_names_the_object_and_brackets_several_causes() -> None:
    """Upstream matches against the whole StatusError text, header and joining included."""
    route: dict[str, Any] = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute"}
    route["metadata"] = {"name": "r"}
    assert api_error(route, []) == ""
    assert api_error(route, ["a: x"]) == 'HTTPRoute.gateway.networking.k8s.io "r" is invalid: a: x'
    assert api_error(route, ["a: x", "b: y"]).endswith("is invalid: [a: x, b: y]")
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}
    assert api_error(secret, ["a: x"]) == 'Secret "s" is invalid: a: x'

"""Upstream corpora: every object gets the verdict its MANIFEST.txt gives, in each channel.

The corpora are not part of this repository. Set UPSTREAM_EXAMPLES to the folder
that holds ``gateway-api/v1.6.1`` and ``envoy-gateway/v1.9.0`` (.ci/run does).
Unset: one skip naming the variable. Set to a missing folder: a failure.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from mtls_guide.checks import validator

VARIABLE = "UPSTREAM_EXAMPLES"
CORPORA = ("gateway-api/v1.6.1", "envoy-gateway/v1.9.0")

# Envoy Gateway e2e fixtures with mis-indented fields. EG's CI creates them with the
# server's default Warn field validation, which prunes the fields; `kubectl apply`
# (Strict, what readers run) rejects them. We judge as kubectl does.
STRICT_REJECTS = {
    "test/e2e/testdata/jwt-backend-remote-jwks.yaml": 'unknown field "spec.jwt.providers[0].remoteJWKS.backendSettings.retry.timeout"',
    "test/e2e/testdata/oidc-securitypolicy-backendcluster.yaml": 'unknown field "spec.oidc.provider.backendSettings.retry.tcpKeepalive"',
}


@dataclass(frozen=True)
class Case:
    corpus: str
    path: str
    channel: str
    expect: str  # accepted | rejected
    reasons: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.channel}:{self.corpus}/{self.path}"


def corpus_root() -> Path | None:
    value = os.environ.get(VARIABLE)
    return Path(value) if value else None


def _channels(tag: str) -> list[str]:
    if tag in ("standard+experimental",):
        return ["standard", "experimental"]
    return ["experimental"]  # "experimental" and EG's "gateway-api-v1.6.1-experimental+eg-v1.9.0"


def _entries(manifest: Path) -> dict[str, dict]:
    """path -> {"tag", "expect", "reasons"} from one MANIFEST.txt."""
    entries: dict[str, dict] = {}
    last = None
    for line in manifest.read_text().splitlines():
        entry = re.match(r"^[0-9a-f]{64}\s+(\S+)\s+<=.*\bchannel=(\S+)\s+expect=(\S+)", line)
        reason = re.match(r"^\s+reason\(derived\): (.*)$", line)
        if entry:
            last, tag, expect = entry.groups()
            entries[last] = {"tag": tag, "expect": expect, "reasons": []}
        elif reason and last:
            text = reason.group(1)
            # "(+42 more errors ...)" summarises; a reason cut short with "..." cannot be compared whole
            if not text.startswith("(") and not text.endswith("..."):
                entries[last]["reasons"].append(text)
    return entries


def cases() -> list[Case]:
    root = corpus_root()
    if root is None or not root.is_dir():
        return []
    return [
        Case(corpus, path, channel, e["expect"], tuple(e["reasons"]))
        for corpus in CORPORA
        if (root / corpus / "MANIFEST.txt").is_file()
        for path, e in _entries(root / corpus / "MANIFEST.txt").items()
        for channel in _channels(e["tag"])
    ]


CASES = cases()


def test_corpora_are_available() -> None:
    root = corpus_root()
    if root is None:
        pytest.skip(f"set {VARIABLE} to the upstream example corpora to run the corpus tests")
    for corpus in CORPORA:
        assert (root / corpus / "MANIFEST.txt").is_file(), (
            f"{VARIABLE}={root}: no {corpus}/MANIFEST.txt"
        )
    assert len(CASES) > 250


@pytest.fixture(scope="module")
def validators() -> dict:
    return {channel: validator(channel) for channel in ("standard", "experimental")}


def check_verdict(case: Case, validators: dict) -> None:
    root = corpus_root()
    objects = validators[case.channel].check_text(
        (root / case.corpus / case.path).read_text(), case.path
    )
    found = [f"{p.field}: {p.message}" for obj in objects for p in obj.problems]
    if case.path in STRICT_REJECTS:
        assert any(STRICT_REJECTS[case.path] in line for line in found), found
    elif case.expect == "accepted":
        assert found == []
    else:
        assert found, "expected a rejection"
        for reason in case.reasons:
            assert any(reason in line for line in found), f"missing {reason!r} in {found}"


# Defined only with corpora, so a reader's run without them reports the one skip above.
if CASES:

    @pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
    def test_upstream_verdict(case: Case, validators: dict) -> None:
        check_verdict(case, validators)

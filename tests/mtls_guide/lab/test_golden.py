"""The lab's translation agrees with Envoy Gateway v1.9.0's own golden data.

The golden files are not part of this repository. Set UPSTREAM_GOLDEN to the folder that
holds Envoy Gateway's ``internal/gatewayapi/testdata`` at v1.9.0 (.ci/run does). Unset:
one skip naming the variable. Set to a missing folder: a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mtls_guide.checks import validator
from mtls_guide.lab.golden import NotRun, compare_case

VARIABLE = "UPSTREAM_GOLDEN"
# The client-certificate cases: each must agree (a regression fails the test).
MUST_AGREE = {
    "clienttrafficpolicy-mtls",
    "clienttrafficpolicy-mtls-allow-expired-cert",
    "clienttrafficpolicy-mtls-cert-bundle",
    "clienttrafficpolicy-mtls-cert-bundle-both-invalid",
    "clienttrafficpolicy-mtls-cert-bundle-both-valid",
    "clienttrafficpolicy-mtls-dup-ca-refs",
    "clienttrafficpolicy-mtls-forward-client-cert",
    "clienttrafficpolicy-mtls-forward-client-cert-custom-data",
    "gateway-with-listener-with-tls-configuration-sni-san-mismatch-allowed",
    "gateway-with-listener-with-tls-secret-in-other-namespace-allowed-by-refgrant",
}
AT_LEAST = 39  # cases that agreed when this test was written; the score may only go up


def cases() -> list[Path]:
    value = os.environ.get(VARIABLE)
    if not value:
        pytest.skip(
            f"set {VARIABLE} to Envoy Gateway v1.9.0's golden data to run the conformance test"
        )
    folder = Path(value) / "internal" / "gatewayapi" / "testdata"
    assert folder.is_dir(), f"{VARIABLE}={value}: no internal/gatewayapi/testdata there"
    return sorted(folder.glob("*.in.yaml"))


def test_golden_conformance(capsys: pytest.CaptureFixture[str]) -> None:
    found = cases()
    agreed, disagreed, not_run = [], [], []
    check = validator("experimental")  # the inputs use v1alpha2 TLSRoutes and ReferenceGrants
    for case in found:
        try:
            result = compare_case(case, check)
        except NotRun as reason:
            not_run.append(f"{case.name.removesuffix('.in.yaml')}: {reason}")
            continue
        (disagreed if result.mismatches else agreed).append(result)
    with capsys.disabled():
        print(
            f"\ngolden conformance (Envoy Gateway v1.9.0): {len(agreed)} of {len(agreed) + len(disagreed)} cases agree; {len(not_run)} not run"
        )
        for result in disagreed:
            print(f"  DISAGREES {result.name}:\n    " + "\n    ".join(result.mismatches))
        for line in not_run:
            print(f"  not run {line}")
    names = {r.name for r in agreed}
    assert names >= MUST_AGREE, sorted(MUST_AGREE - names)
    assert len(agreed) >= AT_LEAST

"""The lab's translation agrees with Envoy Gateway v1.9.0's own golden data.

The golden files are not part of this repository. Set UPSTREAM_GOLDEN to the folder that
holds Envoy Gateway's ``internal/gatewayapi/testdata`` at v1.9.0 (.ci/run does). Unset:
one skip naming the variable. Set to a missing folder: a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from mtls_guide.checks import validator
from mtls_guide.lab.golden import NotRun, Result, compare_case, compare_xds_case

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
XDS_MUST_AGREE = {
    "gateway-tls-frontend",
    "http-route-https-mtls-accept-untrusted",
    "http-route-https-mtls-allow-expired-cert",
    "mutual-tls",
    "mutual-tls-forward-client-certificate",
    "mutual-tls-forward-client-certificate-with-custom-data",
    "mutual-tls-required-client-certificate-disabled",
    "mutual-tls-san",
    "simple-tls",
}
AT_LEAST = 40  # cases that agreed when this test was written; the score may only go up
# Every case that still disagrees, and why. A new disagreement fails the test.
KNOWN_DISAGREEMENTS = {
    "gateway-tls-frontend-backend": (
        "the input's CA ConfigMaps hold text that is not a parseable certificate; Envoy Gateway"
        " copies the bytes into xdsIR without parsing them, the lab reports"
        " InvalidCACertificateRef/NoValidCACertificate and fails closed, as the Gateway API"
        " spec asks for an invalid CA (and on a listener with two faults it names the"
        " certificateRef's, where Envoy Gateway names the CA's)"
    ),
    "gateway-with-two-listeners-with-http-and-tlsroute-same-hostname-and-port": (
        "an HTTP and a TLS listener on one port with one hostname: Envoy Gateway reports"
        " HostnameConflict; the lab does not look for conflicts between listeners"
    ),
    "tlsroute-invalid-no-matching-listener": (
        "a listener whose allowedRoutes.kinds names only TCPRoute: Envoy Gateway reports"
        " InvalidRouteKinds on the listener; the lab does not take TCPRoutes"
    ),
    "tlsroute-invalid-reference-grant": (
        "Envoy Gateway refuses the TLSRoute with NotAllowedByListeners though the listener"
        " allows TLSRoutes from its namespace; the lab accepts it (the rule behind Envoy"
        " Gateway's verdict is not traced yet)"
    ),
    "tlsroute-with-listener-both-passthrough-and-cert-data": (
        "a Passthrough listener that also names certificateRefs: Envoy Gateway marks it"
        " Programmed=False Invalid; the lab programs it"
    ),
}


def cases() -> list[Path]:
    value = os.environ.get(VARIABLE)
    if not value:
        pytest.skip(
            f"set {VARIABLE} to Envoy Gateway v1.9.0's golden data to run the conformance test"
        )
    folder = Path(value) / "internal" / "gatewayapi" / "testdata"
    assert folder.is_dir(), f"{VARIABLE}={value}: no internal/gatewayapi/testdata there"
    return sorted(folder.glob("*.in.yaml"))


def report(title: str, agreed: list[Result], disagreed: list[Result], not_run: list[str]) -> None:
    print(
        f"\n{title}: {len(agreed)} of {len(agreed) + len(disagreed)} cases agree; {len(not_run)} not run"
    )
    for result in disagreed:
        why = KNOWN_DISAGREEMENTS.get(result.name, "NOT KNOWN")
        print(f"  DISAGREES {result.name} ({why}):\n    " + "\n    ".join(result.mismatches))
    for line in not_run:
        print(f"  not run {line}")


def run(
    found: list[Path], compare: Callable[[Path], Result]
) -> tuple[list[Result], list[Result], list[str]]:
    agreed: list[Result] = []
    disagreed: list[Result] = []
    not_run: list[str] = []
    for case in found:
        try:
            result = compare(case)
        except NotRun as reason:
            not_run.append(f"{case.name.split('.')[0]}: {reason}")
            continue
        (disagreed if result.mismatches else agreed).append(result)
    return agreed, disagreed, not_run


def test_golden_conformance(capsys: pytest.CaptureFixture[str]) -> None:
    check = validator("experimental")  # the inputs use v1alpha2 TLSRoutes and ReferenceGrants
    agreed, disagreed, not_run = run(cases(), lambda case: compare_case(case, check))
    with capsys.disabled():
        report(
            "golden conformance, statuses and xdsIR (Envoy Gateway v1.9.0)",
            agreed,
            disagreed,
            not_run,
        )
    names = {r.name for r in agreed}
    assert names >= MUST_AGREE, sorted(MUST_AGREE - names)
    assert len(agreed) >= AT_LEAST
    assert {r.name for r in disagreed} <= set(KNOWN_DISAGREEMENTS), "a new disagreement"


def test_golden_xds_conformance(capsys: pytest.CaptureFixture[str]) -> None:
    folder = cases()[0].parents[2] / "xds" / "translator" / "testdata" / "in" / "xds-ir"
    agreed, disagreed, not_run = run(sorted(folder.glob("*.yaml")), compare_xds_case)
    with capsys.disabled():
        report(
            "golden conformance, DownstreamTlsContext (Envoy Gateway v1.9.0 xds-ir)",
            agreed,
            disagreed,
            not_run,
        )
    assert {r.name for r in agreed} >= XDS_MUST_AGREE, sorted(
        XDS_MUST_AGREE - {r.name for r in agreed}
    )

"""The cert-manager webhook stage inside the validator: when it runs and how it reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from mtls_guide.checks import validator
from mtls_guide.validator import cli

PREFIX = 'admission webhook "webhook.cert-manager.io" denied the request: '
CERTIFICATE = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: demo, namespace: demo}
spec:
  secretName: demo-tls
  commonName: demo
  issuerRef: {name: ca, kind: ClusterIssuer}
"""


def lines(text: str) -> list[str]:
    return [str(p) for obj in validator().check_text(text, "in.yaml") for p in obj.problems]


def test_a_valid_certificate_passes() -> None:
    assert lines(CERTIFICATE) == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "  duration: 1h\n  renewBefore: 2h\n",
            "in.yaml:9: Certificate/demo: " + PREFIX + "spec.renewBefore: Invalid value: 2h0m0s: "
            "certificate duration 1h0m0s must be greater than renewBefore 2h0m0s",
        ),
        (
            "  duration: 30m\n",
            "in.yaml:8: Certificate/demo: " + PREFIX + "spec.duration: Invalid value: 30m0s: "
            "certificate duration must be greater than 1h0m0s",
        ),
        (
            "  renewBefore: 720h\n  renewBeforePercentage: 50\n",
            "in.yaml:8: Certificate/demo: " + PREFIX + "spec.renewBefore: Invalid value: 720h0m0s: "
            "renewBefore and renewBeforePercentage are mutually exclusive and cannot both be set\n"
            "in.yaml:9: Certificate/demo: "
            + PREFIX
            + "spec.renewBeforePercentage: Invalid value: 50: "
            "renewBefore and renewBeforePercentage are mutually exclusive and cannot both be set",
        ),
        (
            "  privateKey: {algorithm: RSA, size: 1024}\n",
            "in.yaml:8: Certificate/demo: " + PREFIX + "spec.privateKey.size: Invalid value: 1024: "
            "must be between 2048 and 8192 for rsa keyAlgorithm",
        ),
        (
            "  privateKey: {algorithm: ECDSA, size: 512}\n",
            "in.yaml:8: Certificate/demo: "
            + PREFIX
            + "spec.privateKey.size: Unsupported value: 512: "
            'supported values: "256", "384", "521"',
        ),
        (
            "  duration: 90d\n",
            "in.yaml:1: Certificate/demo: " + PREFIX + 'time: unknown unit "d" in duration "90d"',
        ),
        (
            "  secretTemplate: {annotations: {cert-manager.io/issuer-name: x}}\n",
            "in.yaml:8: Certificate/demo: "
            + PREFIX
            + "spec.secretTemplate.annotations: Invalid value: "
            '"cert-manager.io/issuer-name": cert-manager.io/* annotations are not allowed',
        ),
    ],
    ids=["renewBefore", "duration", "both", "rsa-1024", "ecdsa-512", "90d", "annotation"],
)
def test_certificate_refused_by_the_webhook(extra: str, expected: str) -> None:
    assert lines(CERTIFICATE + extra) == expected.split("\n")


def test_common_name_longer_than_64_bytes() -> None:
    text = CERTIFICATE.replace("commonName: demo", "commonName: " + "a" * 65)
    assert lines(text) == [
        "in.yaml:6: Certificate/demo: "
        + PREFIX
        + "spec.commonName: Too long: may not be more than 64 bytes"
    ]


def test_no_subject_and_no_san() -> None:
    text = CERTIFICATE.replace("  commonName: demo\n", "")
    assert lines(text) == [
        "in.yaml:4: Certificate/demo: " + PREFIX + 'spec: Invalid value: "": at least one of '
        "commonName (from the commonName field or from a literalSubject), dnsNames, emailSANs, "
        "ipAddresses, otherNames, or uriSANs must be set"
    ]


def test_webhook_waits_for_the_schema() -> None:
    """The API server refuses a schema error before it calls any validating webhook."""
    text = CERTIFICATE + "  usages: [clientauth]\n  duration: 1h\n  renewBefore: 2h\n"
    found = lines(text)
    assert any('Unsupported value: "clientauth"' in line for line in found)
    assert not any(PREFIX in line for line in found)


def test_repeated_messages_are_reported_once() -> None:
    text = CERTIFICATE + "  additionalOutputFormats: [{type: DER}, {type: DER}, {type: DER}]\n"
    assert lines(text) == [
        "in.yaml:8: Certificate/demo: " + PREFIX
        + 'spec.additionalOutputFormats[type]: Duplicate value: "DER"'
    ]  # fmt: skip


@pytest.mark.parametrize("kind", ["Issuer", "ClusterIssuer"])
def test_issuer_rules(kind: str) -> None:
    namespace = "  namespace: demo\n" if kind == "Issuer" else ""
    head = f"apiVersion: cert-manager.io/v1\nkind: {kind}\nmetadata:\n  name: ca\n{namespace}"
    assert lines(head + "spec:\n  ca: {secretName: ca}\n") == []
    line = 6 if namespace else 5
    assert lines(head + 'spec:\n  ca: {secretName: ""}\n') == [
        f"in.yaml:{line + 1}: {kind}/ca: " + PREFIX + "spec.ca.secretName: Required value"
    ]
    assert lines(head + "spec:\n  ca: {secretName: ca}\n  selfSigned: {}\n") == [
        f"in.yaml:{line + 2}: {kind}/ca: " + PREFIX
        + "spec.selfSigned: Forbidden: may not specify more than one issuer type"
    ]  # fmt: skip
    assert lines(head + "spec: {}\n") == [
        f"in.yaml:{line}: {kind}/ca: "
        + PREFIX
        + "spec: Required value: at least one issuer must be configured"
    ]


def test_problem_names_its_webhook() -> None:
    objects = validator().check_text(CERTIFICATE + "  duration: 30m\n", "in.yaml")
    assert [p.webhook for obj in objects for p in obj.problems] == ["webhook.cert-manager.io"]
    assert [p.webhook for p in validator().check_text("a: [", "x")[0].problems] == [""]


def test_cli_exits_1_with_the_webhooks_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "certificate.yaml"
    path.write_text(CERTIFICATE + "  duration: 2160h\n  renewBefore: 2160h\n")
    assert cli.main([str(path), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert (
        PREFIX + "spec.renewBefore: Invalid value: 2160h0m0s: certificate duration 2160h0m0s" in out
    )

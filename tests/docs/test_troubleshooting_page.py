"""Every row of the troubleshooting catalogue is reproduced, and the page says what the tools print.

API-server rows: the validator's output for one of our must-fail fixtures.
Handshake rows: curl --tls-max 1.2 against the lab, with the row's exit code.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from mtls_guide import mtls_certs as mc
from mtls_guide.blocks import ROOT
from mtls_guide.checks import validator
from mtls_guide.lab.runner import Lab
from tests.support import markdown_table

PAGE = ROOT / "docs" / "troubleshooting.md"
FIXTURES = ROOT / "tests" / "fixtures" / "manifests" / "invalid"


def table(heading: str) -> list[list[str]]:
    return markdown_table(PAGE, heading)


def code(cell: str) -> str:
    (text,) = re.findall(r"`([^`]+)`", cell)[:1]
    return text


API_ROWS = {
    "tls mode must be Terminate for protocol HTTPS": "https-passthrough.yaml",
    "tls mode must be set for protocol TLS": "tls-listener-without-mode.yaml",
    "certificateRefs or options must be specified when mode is Terminate": "https-empty-tls.yaml",
    "spec.tls.frontend.default.validation.caCertificateRefs[0].group: Required value": "ca-ref-without-group.yaml",
    'unknown field "spec.listeners[0].tls.frontendValidation"': "frontend-validation-on-listener.yaml",
    'no matches for kind "TLSRoute" in version "gateway.networking.k8s.io/v1alpha2"': "tlsroute-alpha-in-standard.yaml",
}


def test_api_rows_are_all_reproduced() -> None:
    assert {code(row[0]) for row in table("The API server rejects the Gateway")} == set(API_ROWS)


@pytest.mark.parametrize("message", API_ROWS)
def test_api_row_is_what_the_validator_says(message: str) -> None:
    path = FIXTURES / API_ROWS[message]
    objects = validator().check_text(path.read_text(), path.name)
    assert any(message in f"{p.field}: {p.message}" for o in objects for p in o.problems)


@pytest.fixture(scope="module")
def lab(shared_lab: Lab) -> Lab:
    """The shared lab, with the troubleshooting rows' bad certificates added to its PKI folder."""
    running = shared_lab
    pki = running.pki.directory
    now = mc.now_utc()
    stranger = mc.make_ca("stranger")
    mc.save(pki, "stranger", mc.issue_leaf(stranger, "client", mc.Names(dns=["x.example.com"])))
    mc.save(
        pki,
        "server-purpose",
        mc.issue_leaf(
            running.pki.ca,
            "client",
            mc.Names(dns=["x.example.com"]),
            usages=[ExtendedKeyUsageOID.SERVER_AUTH],
        ),
    )
    mc.save(
        pki,
        "expired",
        mc.issue_leaf(
            running.pki.ca,
            "client",
            mc.Names(dns=["x.example.com"]),
            not_before=now - dt.timedelta(days=9),
            not_after=now - dt.timedelta(days=1),
        ),
    )
    mc.write_cert(pki / "stranger-ca.crt", stranger.cert_pem(), replace=True)
    return running


# Each handshake row's reproduction: (client certificate stem or None, host, --cacert).
HANDSHAKE_ROWS = {
    "sslv3 alert handshake failure": (None, "secure.example.com", "ca.crt"),
    "tlsv1 alert unknown ca": ("stranger", "secure.example.com", "ca.crt"),
    "sslv3 alert unsupported certificate": ("server-purpose", "secure.example.com", "ca.crt"),
    "SSL certificate verification failed": ("expired", "secure.example.com", "ca.crt"),
    "Connection reset by peer": ("client", "other.example.com", "ca.crt"),
    "unable to get local issuer certificate": ("client", "secure.example.com", "stranger-ca.crt"),
}


def test_handshake_rows_are_all_reproduced() -> None:
    assert {code(row[0]) for row in table("The handshake fails")} == set(HANDSHAKE_ROWS)


@pytest.mark.parametrize("row", table("The handshake fails"), ids=lambda row: code(row[0]))
def test_handshake_row_is_what_curl_prints(lab: Lab, row: list[str]) -> None:
    stem, host, cacert = HANDSHAKE_ROWS[code(row[0])]
    port = lab.environment()["TERMINATE_PORT"]
    cert = ["--cert", f"{stem}.crt", "--key", f"{stem}.key"] if stem else []
    done = subprocess.run(
        ["curl", "--silent", "--show-error", "--tls-max", "1.2", "--resolve", f"{host}:{port}:127.0.0.1",
         "--cacert", cacert, *cert, f"https://{host}:{port}/"],
        cwd=Path(lab.pki.directory), capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert str(done.returncode) == row[1], done.stderr
    assert code(row[0]) in done.stderr, done.stderr


def test_empty_tls_block_is_not_the_missing_mode_error() -> None:
    # `tls: {}` gets mode Terminate by default, so the "mode must be set" row does not apply.
    path = ROOT / "tests" / "fixtures" / "manifests" / "invalid" / "tls-listener-empty-tls.yaml"
    objects = validator().check_text(path.read_text(), path.name)
    messages = [p.message for o in objects for p in o.problems]
    assert messages and not any("tls mode must be set" in m for m in messages), messages


def test_a_certificate_without_extensions_is_accepted(lab: Lab) -> None:
    # The seed README's recipe: `openssl x509 -req` with no extension file gives a certificate
    # with no EKU and no SAN. Envoy accepts it (no EKU means any purpose), which is why the
    # pages say the EKU matters only when present without clientAuth.
    pki = Path(lab.pki.directory)
    steps = [
        ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-out", "bare.key"],
        ["openssl", "req", "-new", "-key", "bare.key", "-subj", "/CN=bare", "-out", "bare.csr"],
        ["openssl", "x509", "-req", "-in", "bare.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
         "-days", "2", "-out", "bare.crt"],
    ]  # fmt: skip
    for step in steps:
        subprocess.run(step, cwd=pki, capture_output=True, check=True, timeout=30)
    bare = extension_types(pki / "bare.crt")
    assert not bare & {"ExtendedKeyUsage", "SubjectAlternativeName"}, bare
    port = lab.environment()["TERMINATE_PORT"]
    done = subprocess.run(
        ["curl", "--silent", "--show-error", "--resolve", f"secure.example.com:{port}:127.0.0.1",
         "--cacert", "ca.crt", "--cert", "bare.crt", "--key", "bare.key",
         f"https://secure.example.com:{port}/"],
        cwd=pki, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def extension_types(path: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return {type(ext.value).__name__ for ext in cert.extensions}

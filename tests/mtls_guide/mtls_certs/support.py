"""Helpers shared by the certificate tool's tests: running the CLI, and certificates with flaws."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from mtls_guide import mtls_certs as mc
from mtls_guide.paths import CERT_TOOL

HOST = "secure.example.com"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The tool as a reader runs it: its own file, a fresh interpreter."""
    return subprocess.run(
        [sys.executable, str(CERT_TOOL), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The tool in this process (fast): exit code, stdout and stderr."""
    try:
        code = mc.main(argv)
    except SystemExit as exc:  # argparse's own refusals
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def client_of(ca: mc.Issued, **kwargs: object) -> mc.Issued:
    return mc.issue_leaf(ca, "client", mc.Names(dns=["client-a.example.com"]), **kwargs)  # type: ignore[arg-type]


def openssl_verify(
    folder: Path, ca_pem: bytes, leaf_pem: bytes, purpose: str, crl: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    (folder / "ca.pem").write_bytes(ca_pem + (crl or b""))
    (folder / "leaf.pem").write_bytes(leaf_pem)
    extra = ["-crl_check"] if crl else []
    return subprocess.run(
        ["openssl", "verify", *extra, "-CAfile", "ca.pem", "-purpose", purpose, "leaf.pem"],
        cwd=folder, capture_output=True, text=True, check=False,
    )  # fmt: skip


def encrypted_key_pem(issued: mc.Issued, passphrase: bytes = b"secret") -> bytes:
    return issued.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


def write_encrypted_ca(folder: Path) -> None:
    """A CA whose key is encrypted with the passphrase "secret"."""
    ca = mc.make_ca()
    (folder / "ca.crt").write_bytes(ca.cert_pem())
    (folder / "ca.key").write_bytes(encrypted_key_pem(ca))


def flawed(
    issuer: mc.Issued,
    extensions: list[tuple[x509.ExtensionType, bool]],
    days: tuple[int, int] = (-1, 30),
    key: mc.SigningKey | None = None,
    digest: hashes.HashAlgorithm | None = None,
    self_signed: bool = False,
) -> x509.Certificate:
    """A certificate with exactly the given extensions (value, critical), for negative tests."""
    key = key or mc.new_key()
    now = mc.now_utc()
    subject = mc._name("flawed")
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject if self_signed else issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
    )
    for value, critical in extensions:
        builder = builder.add_extension(value, critical=critical)
    signer = key if self_signed else issuer.key
    return builder.sign(signer, digest or mc.signature_hash(signer))

"""Each finding `inspect` promises, shown firing on a certificate with exactly that one flaw.

Deleting any check from mtls_certs.findings fails its case here; the clean baseline shows the
flawed certificates differ from a good one by that flaw alone.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from mtls_guide import mtls_certs as mc
from tests.mtls_guide.mtls_certs.support import flawed, run_main

CLIENT = ExtendedKeyUsageOID.CLIENT_AUTH
LEAF_KU = mc._key_usage(digital_signature=True)
CA_KU = mc._key_usage(key_cert_sign=True, crl_sign=True)


def leaf_extensions(ca: mc.Issued, **changes: tuple[x509.ExtensionType, bool] | None) -> list:
    """A good client profile; each change replaces (or, with None, drops) one extension."""
    good: dict[str, tuple[x509.ExtensionType, bool] | None] = {
        "basic": (x509.BasicConstraints(ca=False, path_length=None), True),
        "usage": (LEAF_KU, True),
        "san": (x509.SubjectAlternativeName([x509.DNSName("a.example.com")]), False),
        "eku": (x509.ExtendedKeyUsage([CLIENT]), False),
        "aki": (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), False),
    }
    good.update(changes)
    return [ext for ext in good.values() if ext is not None]


# (id, role, how the certificate differs from a good one, expected finding)
CASES = [
    ("expired", "client", {"days": (-30, -1)}, "error: expired on"),
    ("not-yet-valid", "client", {"days": (1, 30)}, "error: not valid before"),
    ("small-rsa", "client", {"key": "rsa1024"}, "error: RSA key of 1024 bits"),
    ("too-long", "client", {"days": (-1, 400)}, "warning: valid for 401 days"),
    ("leaf-ca-true", "client", {"basic": (x509.BasicConstraints(ca=True, path_length=None), True)}, "error: a leaf marked CA:TRUE"),
    ("no-san", "client", {"san": None}, "error: no subjectAltName"),
    ("critical-san", "client", {"san": (x509.SubjectAlternativeName([x509.DNSName("a.example.com")]), True)}, "error: subjectAltName is critical"),
    ("no-eku", "client", {"eku": None}, "warning: no extendedKeyUsage"),
    ("critical-eku", "client", {"eku": (x509.ExtendedKeyUsage([CLIENT]), True)}, "error: extendedKeyUsage is critical"),
    ("no-client-auth", "client", {"eku": (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)}, "lacks clientAuth"),
    ("no-server-auth", "server", {}, "lacks serverAuth"),
    ("leaf-cert-sign", "client", {"usage": (mc._key_usage(digital_signature=True, key_cert_sign=True), True)}, "error: a leaf with keyUsage keyCertSign"),
    ("no-aki", "client", {"aki": None}, "warning: no authorityKeyIdentifier"),
]  # fmt: skip
BUILD_OPTIONS = ("days", "digest", "key")


def build(ca: mc.Issued, changes: dict) -> x509.Certificate:
    options = {k: changes[k] for k in BUILD_OPTIONS if k in changes}
    if options.get("key") == "rsa1024":
        options["key"] = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    extensions = {k: v for k, v in changes.items() if k not in BUILD_OPTIONS}
    return flawed(ca, leaf_extensions(ca, **extensions), **options)


def test_weak_hash(ca: mc.Issued, tmp_path: Path) -> None:
    """SHA-1, signed by openssl (cryptography no longer signs with it), with a good profile."""
    (tmp_path / "ca.crt").write_bytes(ca.cert_pem())
    (tmp_path / "ca.key").write_bytes(ca.key_pem())
    (tmp_path / "ext.cnf").write_text(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "subjectAltName=DNS:a.example.com\nextendedKeyUsage=clientAuth\n"
        "authorityKeyIdentifier=keyid\n"
    )
    subprocess.run(
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key"
        " -subj /CN=a.example.com -out leaf.csr && openssl x509 -req -in leaf.csr -CA ca.crt"
        " -CAkey ca.key -sha1 -days 30 -extfile ext.cnf -out leaf.crt",
        shell=True, cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
    found = [str(f) for f in mc.findings(mc.read_cert(tmp_path / "leaf.crt"), "client")]
    assert found == ["error: weak signature hash; re-sign with SHA-256"]


def test_ed448_signature(tmp_path: Path) -> None:
    """A good profile signed by an Ed448 CA: one error, since Envoy cannot verify it."""
    ed448_ca = mc.make_ca(key_type="ed448")
    found = [str(f) for f in mc.findings(build(ed448_ca, {}), "client")]
    assert len(found) == 1 and "Ed448 key or signature" in found[0], found


def test_the_good_profile_has_no_finding(ca: mc.Issued) -> None:
    assert mc.findings(build(ca, {}), "client") == []


@pytest.mark.parametrize(
    ("role", "changes", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_one_flaw_one_finding(ca: mc.Issued, role: str, changes: dict, expected: str) -> None:
    found = [str(f) for f in mc.findings(build(ca, changes), role)]
    assert len(found) == 1 and expected in found[0], found


@pytest.mark.parametrize(
    ("extensions", "expected"),
    [
        ([(x509.BasicConstraints(ca=True, path_length=0), False), (CA_KU, True)], "critical basicConstraints CA:TRUE"),
        ([(x509.BasicConstraints(ca=True, path_length=0), True), (mc._key_usage(crl_sign=True), True)], "keyUsage keyCertSign"),
    ],
    ids=["ca-basic-not-critical", "ca-without-cert-sign"],
)  # fmt: skip
def test_ca_findings(extensions: list, expected: str) -> None:
    key = mc.new_key()
    cert = flawed(mc.make_ca(), extensions, key=key, self_signed=True)
    found = [str(f) for f in mc.findings(cert, "ca")]
    assert len(found) == 1 and expected in found[0], found


@pytest.mark.parametrize(
    "case", ["expired", "leaf-ca-true", "no-san", "no-client-auth", "critical-eku"]
)
def test_inspect_reports_the_finding_and_exits_1(
    ca: mc.Issued, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    """The findings the certificates page promises, through the command line."""
    role, changes, expected = next(c[1:] for c in CASES if c[0] == case)
    cert = build(ca, changes)
    (tmp_path / "leaf.crt").write_bytes(cert.public_bytes(mc.serialization.Encoding.PEM))
    code, out, err = run_main(["inspect", "--role", role, str(tmp_path / "leaf.crt")], capsys)
    assert code == 1 and expected in out and "problem(s) found" in err, out + err


@pytest.mark.parametrize(("days", "code"), [((-1, 30), 1), ((-1, 5), 0)], ids=["outlives", "fits"])
def test_inspect_flags_a_leaf_that_outlives_its_ca(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], days: tuple[int, int], code: int
) -> None:
    short = mc.make_ca(days=10)
    leaf = flawed(short, leaf_extensions(short), days=days)
    (tmp_path / "ca.crt").write_bytes(short.cert_pem())
    (tmp_path / "leaf.crt").write_bytes(leaf.public_bytes(mc.serialization.Encoding.PEM))
    got, out, _ = run_main(
        ["inspect", "--ca", f"{tmp_path}/ca.crt", f"{tmp_path}/leaf.crt"], capsys
    )
    assert (got, "outlives its CA" in out) == (code, code == 1), out

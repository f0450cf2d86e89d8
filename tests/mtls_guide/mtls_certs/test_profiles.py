"""The certificate tool's profiles: real handshakes, strict verifiers (cryptography, openssl), EdDSA CAs."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtls_guide import mtls_certs as mc
from mtls_guide.lab.client import request
from mtls_guide.lab.runner import Lab
from tests.mtls_guide.mtls_certs.support import HOST, cli, client_of, run_main
from tests.mtls_guide.mtls_certs.support import openssl_verify as openssl_verify_pems

# --- real TLS 1.3 handshakes on loopback -----------------------------------------------------------


def handshake(
    tmp_path: Path, server: mc.Issued, trusted: mc.Issued, client: mc.Issued | None
) -> str | None:
    """Run one mTLS handshake; None on success, else the server's error."""
    (tmp_path / "s.crt").write_bytes(server.cert_pem())
    (tmp_path / "s.key").write_bytes(server.key_pem())
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    server_ctx.load_cert_chain(tmp_path / "s.crt", tmp_path / "s.key")
    server_ctx.load_verify_locations(cadata=trusted.cert_pem().decode())
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    client_ctx = ssl.create_default_context(cadata=trusted.cert_pem().decode())
    if client is not None:
        (tmp_path / "c.crt").write_bytes(client.cert_pem())
        (tmp_path / "c.key").write_bytes(client.key_pem())
        client_ctx.load_cert_chain(tmp_path / "c.crt", tmp_path / "c.key")
    left, right = socket.socketpair()
    outcome: dict[str, str | None] = {}

    def serve() -> None:
        try:
            with server_ctx.wrap_socket(left, server_side=True) as tls:
                tls.sendall(tls.recv(5))
            outcome["server"] = None
        except (ssl.SSLError, OSError) as exc:
            outcome["server"] = str(exc)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client_ctx.wrap_socket(right, server_hostname=HOST) as tls:
            tls.sendall(b"hello")
            tls.recv(5)
    except (ssl.SSLError, OSError):
        pass  # under TLS 1.3 the refusal may reach the client late; the server's verdict decides
    thread.join(timeout=10)
    return outcome["server"]


def test_handshake_with_a_good_client(tmp_path: Path, ca, server) -> None:
    assert handshake(tmp_path, server, ca, client_of(ca)) is None


@pytest.mark.parametrize(
    ("make_client", "reason"),
    [
        (lambda ca, other: None, "PEER_DID_NOT_RETURN_A_CERTIFICATE"),
        (lambda ca, other: client_of(other), "CERTIFICATE_VERIFY_FAILED"),
        (
            lambda ca, other: client_of(
                ca,
                not_before=mc.now_utc() - dt.timedelta(days=30),
                not_after=mc.now_utc() - dt.timedelta(days=1),
            ),
            "expired",
        ),
        (
            lambda ca, other: client_of(
                ca,
                not_before=mc.now_utc() + dt.timedelta(days=1),
                not_after=mc.now_utc() + dt.timedelta(days=30),
            ),
            "not yet valid",
        ),
        (
            lambda ca, other: client_of(ca, usages=[ExtendedKeyUsageOID.SERVER_AUTH]),
            "unsuitable certificate purpose",
        ),
    ],
    ids=["no-certificate", "other-ca", "expired", "not-yet-valid", "server-auth-only"],
)
def test_handshake_refuses_bad_clients(
    tmp_path: Path, ca, other_ca, server, make_client, reason: str
) -> None:
    error = handshake(tmp_path, server, ca, make_client(ca, other_ca))
    assert error is not None and reason in error, error


# --- profiles under strict verifiers ----------------------------------------------------------------


def openssl_verify(
    tmp_path: Path, ca: mc.Issued, leaf: mc.Issued, purpose: str, crl: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    return openssl_verify_pems(tmp_path, ca.cert_pem(), leaf.cert_pem(), purpose, crl)


def test_ca_profile(ca: mc.Issued) -> None:
    basic = ca.cert.extensions.get_extension_for_class(x509.BasicConstraints)
    usage = ca.cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert mc.findings(ca.cert, "ca") == []


def test_ca_lifetime_is_capped() -> None:
    with pytest.raises(mc.UsageError, match="1 to 3652 days"):
        mc.make_ca(days=4000)


dns_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
dns_name = st.lists(dns_label, min_size=1, max_size=4).map(".".join)
ipv4 = st.ip_addresses(v=4).map(str)
spiffe = st.builds(lambda d, p: f"spiffe://{d}/{p}", dns_name, dns_label)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    dns=st.lists(dns_name, max_size=3),
    ips=st.lists(ipv4, max_size=2),
    uris=st.lists(spiffe, max_size=2),
    role=st.sampled_from(["server", "client"]),
)
def test_any_names_give_a_verifiable_leaf(ca: mc.Issued, dns, ips, uris, role) -> None:
    if role == "server":
        dns = [*dns, HOST]
    elif not (dns or ips or uris):
        uris = ["spiffe://example.org/client"]
    leaf = mc.issue_leaf(ca, role, mc.Names(dns=dns, ips=ips, uris=uris))
    assert mc.findings(leaf.cert, role) == []
    mc.verify_chain(leaf.cert, [ca.cert], role, host=HOST)


@pytest.mark.parametrize("key_type", ["ecdsa", "rsa"])
@pytest.mark.parametrize("role", ["server", "client"])
def test_key_types_pass_both_verifiers(tmp_path: Path, key_type: str, role: str) -> None:
    ca = mc.make_ca(key_type=key_type)
    leaf = mc.issue_leaf(ca, role, mc.Names(dns=[HOST]), key_type=key_type)
    mc.verify_chain(leaf.cert, [ca.cert], role, host=HOST)
    result = openssl_verify(tmp_path, ca, leaf, f"ssl{role}")
    assert result.returncode == 0, result.stdout + result.stderr


def test_wrong_purpose_fails_both_verifiers(
    tmp_path: Path, ca: mc.Issued, server: mc.Issued
) -> None:
    with pytest.raises(Exception, match="EKU"):
        mc.verify_chain(server.cert, [ca.cert], "client")
    assert openssl_verify(tmp_path, ca, server, "sslclient").returncode != 0
    assert any("clientAuth" in f.message for f in mc.findings(server.cert, "client"))


def test_leaf_without_san_is_refused(ca: mc.Issued) -> None:
    with pytest.raises(mc.UsageError, match="needs a SAN"):
        mc.issue_leaf(ca, "client", mc.Names())


def test_leaf_lifetime_is_capped(ca: mc.Issued) -> None:
    with pytest.raises(mc.UsageError, match="1 to 398 days"):
        client_of(ca, days=399)


def test_revoked_client_fails_crl_check(tmp_path: Path, ca: mc.Issued) -> None:
    revoked, kept = client_of(ca), client_of(ca)
    crl = mc.make_crl(ca, [(revoked.cert.serial_number, mc.now_utc())]).public_bytes(
        serialization.Encoding.PEM
    )
    assert "certificate revoked" in openssl_verify(tmp_path, ca, revoked, "sslclient", crl).stderr
    assert openssl_verify(tmp_path, ca, kept, "sslclient", crl).returncode == 0


def test_inspect_flags_the_original_readmes_client_certificate(tmp_path: Path) -> None:
    # The seed README's recipe: `openssl x509 -req` with no extensions at all.
    subprocess.run(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -subj /CN=ca -days 30"
        " && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -out client.csr -subj /CN=client"
        " && openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -out client.crt -days 30",
        shell=True, cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
    result = cli("inspect", "--role", "client", str(tmp_path / "client.crt"))
    assert result.returncode == 1
    assert "no subjectAltName" in result.stdout and "no extendedKeyUsage" in result.stdout


# --- EdDSA CAs (issue 10: an Ed25519 CA made `client` crash) ---------------------------------------


def test_ed25519_ca_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI issues, revokes and inspects with an Ed25519 CA; openssl verifies the results."""
    d = str(tmp_path)
    for args in (
        ["ca", d, "--key-type", "ed25519"],
        ["server", d, "--dns", HOST],
        ["client", d, "--dns", "a.example.com"],
        ["client", d, "--dns", "b.example.com", "--name", "gone"],
        ["revoke", d, f"{d}/gone.crt"],
    ):
        code, _, err = run_main(args, capsys)
        assert code == 0, err
    ca_pem, crl = (tmp_path / "ca.crt").read_bytes(), (tmp_path / "ca.crl").read_bytes()
    for name, purpose in (("server", "sslserver"), ("client", "sslclient")):
        leaf = (tmp_path / f"{name}.crt").read_bytes()
        verified = openssl_verify_pems(tmp_path, ca_pem, leaf, purpose, crl)
        assert verified.returncode == 0, verified.stdout + verified.stderr
    gone = (tmp_path / "gone.crt").read_bytes()
    assert (
        "certificate revoked"
        in openssl_verify_pems(tmp_path, ca_pem, gone, "sslclient", crl).stderr
    )
    code, out, err = run_main(
        ["inspect", "--ca", f"{d}/ca.crt", f"{d}/server.crt", f"{d}/client.crt"], capsys
    )
    assert code == 0, out + err
    assert out.count("Web PKI verifiers (cryptography's) refuse it") == 2
    assert "weak signature hash" not in out


@pytest.mark.parametrize("key_type", ["ed25519", "ed448"])
def test_openssl_handshakes_with_either_eddsa_ca(tmp_path: Path, key_type: str) -> None:
    eddsa = mc.make_ca(key_type=key_type)
    leaf = mc.issue_leaf(eddsa, "server", mc.Names(dns=[HOST]))
    assert handshake(tmp_path, leaf, eddsa, client_of(eddsa)) is None


def test_envoy_accepts_an_ed25519_ca_and_refuses_an_ed448_ca(tmp_path: Path) -> None:
    """Why the tool signs with Ed25519 CAs but refuses Ed448 ones: Envoy (BoringSSL) says so."""
    outcomes = {}
    with Lab(tmp_path) as lab:
        env = lab.environment()
        port, host = int(env["TERMINATE_PORT"]), env["TERMINATE_HOST"]
        for key_type in ("ed25519", "ed448"):
            ca = mc.make_ca(key_type=key_type)
            lab.set_client_ca(ca.cert_pem())
            before = _verify_errors(lab)
            try:
                request(lab, port, client_of(ca), host)
                outcomes[key_type] = "accepted"
            except (ssl.SSLError, OSError):
                outcomes[key_type] = f"refused, verify errors +{_verify_errors(lab) - before}"
    assert outcomes == {"ed25519": "accepted", "ed448": "refused, verify errors +1"}


def _verify_errors(lab: Lab) -> int:
    return sum(v for k, v in lab.stats("ssl.fail_verify_error").items() if k.endswith("error"))

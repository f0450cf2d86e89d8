"""The certificate toolkit: strict-verifier profiles, real handshakes, safety, and bad input."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtls_guide import mtls_certs as mc
from mtls_guide.paths import CERT_TOOL

SCRIPT = CERT_TOOL
HOST = "secure.example.com"


@pytest.fixture(scope="module")
def ca() -> mc.Issued:
    return mc.make_ca("test CA")


@pytest.fixture(scope="module")
def other_ca() -> mc.Issued:
    return mc.make_ca("another CA")


@pytest.fixture(scope="module")
def server(ca: mc.Issued) -> mc.Issued:
    return mc.issue_leaf(ca, "server", mc.Names(dns=[HOST], ips=["127.0.0.1"]))


def client_of(ca: mc.Issued, **kwargs) -> mc.Issued:
    return mc.issue_leaf(ca, "client", mc.Names(dns=["client-a.example.com"]), **kwargs)


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd, check=False
    )


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
) -> subprocess.CompletedProcess:
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem() + (crl or b""))
    (tmp_path / "leaf.pem").write_bytes(leaf.cert_pem())
    extra = ["-crl_check"] if crl else []
    return subprocess.run(
        ["openssl", "verify", *extra, "-CAfile", "ca.pem", "-purpose", purpose, "leaf.pem"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip


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


# --- the command line ------------------------------------------------------------------------------


def test_init_writes_the_set_with_private_keys(tmp_path: Path) -> None:
    result = cli(
        "init",
        str(tmp_path / "pki"),
        "--dns",
        HOST,
        "--client-uri",
        "spiffe://example.org/client-a",
    )
    assert result.returncode == 0, result.stderr
    names = {p.name for p in (tmp_path / "pki").iterdir()}
    assert names == {"ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key"}
    for key in (tmp_path / "pki").glob("*.key"):
        assert key.stat().st_mode & 0o777 == 0o600


def test_init_again_refuses_and_keeps_ca_key_bytes(tmp_path: Path) -> None:
    assert cli("init", str(tmp_path), "--dns", HOST).returncode == 0
    before = (tmp_path / "ca.key").read_bytes()
    result = cli("init", str(tmp_path), "--dns", HOST)
    assert result.returncode == 1 and "ca.key exists" in result.stderr
    assert (tmp_path / "ca.key").read_bytes() == before
    assert cli("ca", str(tmp_path)).returncode == 1


def test_no_half_written_files_on_refusal(tmp_path: Path) -> None:
    (tmp_path / "server.key").write_text("mine")
    result = cli("init", str(tmp_path), "--dns", HOST)
    assert result.returncode == 1 and "server.key" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["server.key"]


def test_issue_rotate_revoke_and_k8s(tmp_path: Path) -> None:
    d = str(tmp_path)
    assert cli("init", d, "--dns", HOST).returncode == 0
    assert cli("client", d, "--dns", "b.example.com", "--name", "client-b").returncode == 0
    assert (
        cli("client", d, "--dns", "b.example.com", "--name", "client-b").returncode == 1
    )  # exists
    assert (
        cli("client", d, "--dns", "b.example.com", "--name", "client-b", "--force").returncode == 0
    )
    rotate = cli("rotate-ca", d)
    assert rotate.returncode == 0, rotate.stderr
    bundle = x509.load_pem_x509_certificates((tmp_path / "ca-bundle.crt").read_bytes())
    assert len(bundle) == 2
    assert (
        cli(
            "client", d, "--dns", "c.example.com", "--name", "client-c", "--ca", "ca-next"
        ).returncode
        == 0
    )
    for name in ("client", "client-c"):  # old and new clients both trusted during the overlap
        mc.verify_chain(mc.read_cert(tmp_path / f"{name}.crt"), bundle, "client")
    revoke = cli("revoke", d, str(tmp_path / "client-b.crt"))
    assert revoke.returncode == 0, revoke.stderr
    crl = x509.load_pem_x509_crl((tmp_path / "ca.crl").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(
        mc.read_cert(tmp_path / "client-b.crt").serial_number
    )
    assert cli("revoke", d, str(tmp_path / "client-c.crt")).returncode == 1  # issued by ca-next
    k8s = cli("k8s", d, "--crl")
    assert k8s.returncode == 0, k8s.stderr
    from mtls_guide.checks import validator

    objects = validator().check_text(k8s.stdout, "k8s.yaml")
    assert [(o.kind, o.name) for o in objects] == [
        ("Secret", "secure-example-com-tls"), ("ConfigMap", "client-ca"), ("ConfigMap", "client-ca-crl")
    ]  # fmt: skip
    assert all(not o.problems for o in objects)


def write_encrypted_ca(folder: Path) -> None:
    """A CA whose key is encrypted with the passphrase "secret"."""
    ca = mc.make_ca()
    (folder / "ca.crt").write_bytes(ca.cert_pem())
    encryption = serialization.BestAvailableEncryption(b"secret")
    (folder / "ca.key").write_bytes(
        ca.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["init", "{d}/x", "--dns", "bad_name!"], "not a valid DNS name"),
        (["init", "{d}/x", "--dns", HOST, "--ip", "300.1.1.1"], "not a valid IP address"),
        (["init", "{d}/x", "--dns", HOST, "--client-uri", "no-scheme"], "not an absolute URI"),
        (["server", "{d}", "--dns", HOST], "no CA key here"),
        (["client", "{d}/enc", "--dns", "a.example.com"], "is encrypted; pass --passphrase-file"),
        (["inspect", "{d}/not-pem.crt"], "not a PEM certificate"),
        (["init", "{d}/file/sub", "--dns", HOST], "cannot create folder"),
        (["init", "{d}/x", "--dns", HOST, "--days", "500"], "1 to 398 days"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "not-pem.crt").write_text("hello")
    (tmp_path / "file").write_text("a file, not a folder")
    enc = tmp_path / "enc"
    enc.mkdir()
    write_encrypted_ca(enc)
    result = cli(*(a.format(d=tmp_path) for a in args))
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_encrypted_ca_with_passphrase_file(tmp_path: Path) -> None:
    write_encrypted_ca(tmp_path)
    (tmp_path / "pass").write_text("secret\n")
    result = cli(
        "client",
        str(tmp_path),
        "--dns",
        "a.example.com",
        "--passphrase-file",
        str(tmp_path / "pass"),
    )
    assert result.returncode == 0, result.stderr


def test_every_subcommand_has_help() -> None:
    for command in (
        "init",
        "ca",
        "server",
        "client",
        "rotate-ca",
        "revoke",
        "crl",
        "k8s",
        "inspect",
    ):
        result = cli(command, "--help")
        assert result.returncode == 0 and "usage:" in result.stdout

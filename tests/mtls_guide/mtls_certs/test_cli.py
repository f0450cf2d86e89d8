"""The certificate tool's command line: the files it writes, rotation, revocation, Kubernetes output."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509

from mtls_guide import mtls_certs as mc
from tests.mtls_guide.mtls_certs.support import HOST, cli, write_encrypted_ca

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

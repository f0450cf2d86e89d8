"""The certificate tool's command line: the files it writes, rotation, revocation, Kubernetes output."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from mtls_guide import mtls_certs as mc
from mtls_guide.paths import CERT_TOOL, ROOT
from tests.mtls_guide.mtls_certs.support import HOST, cli, run_main, write_encrypted_ca

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


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    commands = ["init", "ca", "server", "client", "rotate-ca", "revoke", "crl", "k8s", "inspect"]
    for command in commands:
        code, out, _ = run_main([command, "--help"], capsys)
        assert code == 0 and out.startswith(f"usage: mtls_certs.py {command}")
    top = cli("--help")  # the file a reader downloads
    assert top.returncode == 0 and all(command in top.stdout for command in commands)


# --- Kubernetes output: written by a library, names checked ----------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("k8s") / "pki"
    assert mc.main(["init", str(folder), "--dns", HOST]) == 0
    assert mc.main(["crl", str(folder)]) == 0
    return folder


@pytest.mark.parametrize("namespace", ["on", "yes", "null", "0755", "true", "1e3"])
def test_k8s_values_stay_strings_for_any_yaml_reader(
    pki: Path, capsys: pytest.CaptureFixture[str], namespace: str
) -> None:
    code, out, err = run_main(["k8s", str(pki), "--namespace", namespace, "--crl"], capsys)
    assert code == 0, err
    for loaded in (list(yaml.safe_load_all(out)), [json.loads(d) for d in out.split("\n---\n")]):
        assert [d["metadata"]["namespace"] for d in loaded] == [namespace] * 3


def test_k8s_objects_carry_the_files(pki: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["k8s", str(pki), "--crl"], capsys)
    secret, configmap, crl = yaml.safe_load_all(out)
    assert code == 0 and secret["type"] == "kubernetes.io/tls"
    assert base64.b64decode(secret["data"]["tls.key"]) == (pki / "server.key").read_bytes()
    assert base64.b64decode(secret["data"]["tls.crt"]) == (pki / "server.crt").read_bytes()
    assert configmap["data"] == {"ca.crt": (pki / "ca.crt").read_text()}
    assert (configmap["metadata"]["name"], crl["metadata"]["name"]) == (
        "client-ca",
        "client-ca-crl",
    )
    assert crl["data"] == {"ca.crl": (pki / "ca.crl").read_text()}


# --- bundles are read whole ---------------------------------------------------------------------------


def test_inspect_shows_every_certificate_of_a_bundle_and_verifies_against_any(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = str(tmp_path)
    assert mc.main(["init", d, "--dns", HOST]) == 0
    assert mc.main(["rotate-ca", d]) == 0
    assert (
        mc.main(["client", d, "--dns", "n.example.com", "--name", "next", "--ca", "ca-next"]) == 0
    )
    capsys.readouterr()
    code, out, err = run_main(
        ["inspect", "--ca", f"{d}/ca-bundle.crt", f"{d}/next.crt", f"{d}/client.crt"], capsys
    )
    assert code == 0 and out.count("no problems found") == 2, out + err
    code, out, _ = run_main(["inspect", f"{d}/ca-bundle.crt"], capsys)
    assert (
        code == 0
        and f"{d}/ca-bundle.crt [1 of 2]:" in out
        and f"{d}/ca-bundle.crt [2 of 2]:" in out
    )
    assert "CN=mTLS example CA (next)" in out
    code, out, _ = run_main(["inspect", "--ca", f"{d}/ca-next.crt", f"{d}/client.crt"], capsys)
    assert code == 1 and "does not verify against" in out


# --- the downloaded file needs only cryptography ---------------------------------------------------

ONLY_CRYPTOGRAPHY = """
import importlib.abc, runpy, sys
allowed = set(sys.stdlib_module_names) | {"cryptography", "_cffi_backend", "cffi", "__main__"}
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] not in allowed:
            raise ImportError(f"the tool imported {name}")
sys.meta_path.insert(0, Refuse())
sys.argv = ["mtls_certs.py", *sys.argv[2:]]
runpy.run_path(TOOL, run_name="__main__")
"""


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["init", "{d}", "--dns", HOST], ["k8s", "{d}"], ["inspect", "{d}/client.crt"]],
    ids=["help", "init", "k8s", "inspect"],
)
def test_the_tool_imports_only_the_stdlib_and_cryptography(tmp_path: Path, argv: list[str]) -> None:
    if argv[0] != "init" and argv[0] != "--help":
        assert mc.main(["init", str(tmp_path), "--dns", HOST]) == 0
    code = ONLY_CRYPTOGRAPHY.replace("TOOL", repr(str(CERT_TOOL)))
    args = [a.format(d=tmp_path) for a in argv]
    result = subprocess.run(
        [sys.executable, "-c", code, "-", *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "launcher",
    [[sys.executable, str(ROOT / "scripts" / "mtls_certs.py")], [str(Path(sys.executable).with_name("mtls-certs"))]],
    ids=["scripts-wrapper", "console-script"],
)  # fmt: skip
def test_other_launchers_pass_help_and_exit_codes_through(launcher: list[str]) -> None:
    """The path the pages use and the installed command behave like the file itself."""
    helped = subprocess.run([*launcher, "--help"], capture_output=True, text=True, check=False)
    assert helped.returncode == 0 and "usage: mtls_certs.py" in helped.stdout
    refused = subprocess.run(
        [*launcher, "crl", "demo", "--days", "0"], capture_output=True, text=True, check=False
    )
    assert (refused.returncode, refused.stderr.count("\n")) == (2, 1), refused.stderr

"""Every input rule of the certificate tool, shown refusing: exit code, one line, nothing written.

The cases are issue 15's list (and its neighbours) as a matrix: arguments, expected exit
status (1 refused, 2 bad input) and a substring of the one line on stderr.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest
from cryptography import x509
from hypothesis import given, settings
from hypothesis import strategies as st

from mtls_guide import mtls_certs as mc
from mtls_guide.paths import ROOT
from tests.mtls_guide.mtls_certs.support import (
    HOST,
    cli,
    encrypted_key_pem,
    flawed,
    run_main,
    write_encrypted_ca,
)


def _self_signed_ca(folder: Path, extensions: list[tuple[x509.ExtensionType, bool]], days=(-1, 30)):
    folder.mkdir()
    key = mc.new_key()
    cert = flawed(mc.make_ca(), extensions, days=days, key=key, self_signed=True)
    mc.save(folder, "ca", mc.Issued(cert, key))


def _ca_flags(**usage: bool) -> list[tuple[x509.ExtensionType, bool]]:
    return [(x509.BasicConstraints(ca=True, path_length=0), True), (mc._key_usage(**usage), True)]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding one PKI and each broken input the cases point at."""
    ws = tmp_path_factory.mktemp("refusals")
    pki = ws / "demo"
    assert mc.main(["init", str(pki), "--dns", HOST]) == 0
    other = mc.make_ca("other CA")
    (pki / "ca-bundle.crt").write_bytes((pki / "ca.crt").read_bytes() + other.cert_pem())
    stranger = mc.issue_leaf(other, "client", mc.Names(dns=["x.example.com"]))
    mc.save(pki, "stranger", stranger)
    (ws / "enc").mkdir()
    write_encrypted_ca(ws / "enc")
    for name, text in (("pass-good", "secret\n"), ("pass-empty", "\n"), ("pass-wrong", "nope")):
        (ws / name).write_text(text)
    (ws / "notca").mkdir()  # a server certificate copied in as the CA
    for ext in ("crt", "key"):
        (ws / "notca" / f"ca.{ext}").write_bytes((pki / f"server.{ext}").read_bytes())
    _self_signed_ca(ws / "nokcs", _ca_flags(crl_sign=True))
    _self_signed_ca(ws / "nocrlsign", _ca_flags(key_cert_sign=True))
    _self_signed_ca(ws / "expired", _ca_flags(key_cert_sign=True, crl_sign=True), days=(-30, -1))
    (ws / "mismatch").mkdir()
    (ws / "mismatch" / "ca.key").write_bytes((pki / "ca.key").read_bytes())
    (ws / "mismatch" / "ca.crt").write_bytes(other.cert_pem())
    (ws / "ed448").mkdir()
    mc.save(ws / "ed448", "ca", mc.make_ca(key_type="ed448"))
    (ws / "short").mkdir()
    mc.save(ws / "short", "ca", mc.make_ca(days=10))
    for name, record in (
        ("corrupt", "not json"),
        ("nested", "[" * 100_000),
        ("badentry", json.dumps([{"serial": 5, "date": "x"}])),
    ):
        (ws / name).mkdir()
        mc.save(ws / name, "ca", mc.make_ca())
        (ws / name / "ca.revoked.json").write_text(record)
    (ws / "k8s-enc").mkdir()  # a server whose key is encrypted
    (ws / "k8s-enc" / "ca.crt").write_bytes((pki / "ca.crt").read_bytes())
    (ws / "k8s-enc" / "server.crt").write_bytes((pki / "server.crt").read_bytes())
    (ws / "k8s-enc" / "server.key").write_bytes(
        encrypted_key_pem(mc.Issued(mc.read_cert(pki / "server.crt"), mc.new_key()))
    )
    (ws / "k8s-pair").mkdir()  # a server key that belongs to another certificate
    for name, source in (
        ("ca.crt", "ca.crt"),
        ("server.crt", "server.crt"),
        ("server.key", "client.key"),
    ):
        (ws / "k8s-pair" / name).write_bytes((pki / source).read_bytes())
    (ws / "not-pem.crt").write_text("hello")
    (ws / "big.crt").write_bytes(b"A" * (mc.MAX_INPUT_BYTES + 1))
    (ws / "file").write_text("a file, not a folder")
    os.mkfifo(ws / "fifo")
    return ws


LEAF = ["client", "{ws}/demo", "--dns", "a.example.com"]
K8S = ["k8s", "{ws}/demo"]
CASES: list[tuple[str, list[str], int, str]] = [
    # File stems are plain names: nothing lands outside DIR.
    ("name-parent", [*LEAF, "--name", "../escaped"], 2, "not a plain file name"),
    ("name-absolute", [*LEAF, "--name", "/abs/path"], 2, "not a plain file name"),
    ("name-hidden", [*LEAF, "--name", ".hidden"], 2, "not a plain file name"),
    ("name-dotdot", [*LEAF, "--name", ".."], 2, "not a plain file name"),
    ("name-slash", [*LEAF, "--name", "a/b"], 2, "not a plain file name"),
    ("name-nul", [*LEAF, "--name", "a\0b"], 2, "not a plain file name"),
    ("ca-name-parent", ["ca", "{ws}/new", "--name", "../x"], 2, "not a plain file name"),
    ("ca-stem-parent", [*LEAF, "--ca", "../demo/ca"], 2, "--ca: "),
    ("server-stem", [*K8S, "--server", "../demo/server"], 2, "--server: "),
    # Validity: CRLs, leaves and CAs within bounds; a leaf within its CA.
    ("crl-days-0", ["crl", "{ws}/demo", "--days", "0"], 2, "CRL validity must be 1 to 366 days"),
    ("crl-days-negative", ["crl", "{ws}/demo", "--days", "-3"], 2, "1 to 366 days, not -3"),
    ("crl-days-huge", ["crl", "{ws}/demo", "--days", "99999999999"], 2, "1 to 366 days"),
    ("crl-days-text", ["crl", "{ws}/demo", "--days", "soon"], 2, "invalid int value"),
    ("leaf-days-0", [*LEAF, "--days", "0"], 2, "leaf validity must be 1 to 398"),
    ("leaf-days-399", [*LEAF, "--days", "399"], 2, "leaf validity must be 1 to 398"),
    ("ca-days-0", ["ca", "{ws}/new", "--days", "0"], 2, "CA validity must be 1 to 3652"),
    ("ca-days-huge", ["ca", "{ws}/new", "--days", "3653"], 2, "CA validity must be 1 to 3652"),
    ("init-leaf-outlives-ca", ["init", "{ws}/new", "--dns", HOST, "--ca-days", "1", "--days", "398"], 2, "pass --days 1 or less"),
    ("leaf-outlives-ca", ["client", "{ws}/short", "--dns", "a.example.com", "--days", "30"], 2, "pass --days 9 or less"),
    ("expired-ca", ["client", "{ws}/expired", "--dns", "a.example.com"], 1, "expired on"),
    # Names in SANs: IP literals only as IP SANs.
    ("dns-is-ipv4", ["init", "{ws}/new", "--dns", "1.2.3.4"], 2, "is an IP address; pass it with --ip"),
    ("dns-is-ipv6", [*LEAF[:2], "--dns", "::1"], 2, "pass it with --ip"),
    ("dns-is-ip-dot", [*LEAF[:2], "--dns", "10.0.0.1."], 2, "pass it with --ip"),
    ("client-dns-is-ip", ["init", "{ws}/new", "--dns", HOST, "--client-dns", "1.2.3.4"], 2, "--client-dns: '1.2.3.4' is an IP"),
    ("dns-numeric-tld", [*LEAF[:2], "--dns", "host.123"], 2, "numeric label"),
    ("dns-bad", ["init", "{ws}/new", "--dns", "bad_name!"], 2, "not a valid DNS name"),
    ("client-cn-not-dns", ["init", "{ws}/new", "--dns", HOST, "--client-cn", "client a"], 2, "--client-cn: not a valid DNS name"),
    ("ip-bad", [*LEAF[:2], "--ip", "300.1.1.1"], 2, "not a valid IP address"),
    ("ip-zone", [*LEAF[:2], "--ip", "fe80::1%eth0"], 2, "zone index"),
    ("uri-relative", [*LEAF[:2], "--uri", "no-scheme"], 2, "not an absolute URI"),
    ("uri-bracket", [*LEAF[:2], "--uri", "spiffe://[x/client"], 2, "not a URI"),
    ("uri-space", [*LEAF[:2], "--uri", "spiffe://a/b c"], 2, "printable ASCII"),
    ("cn-empty", [*LEAF, "--cn", ""], 2, "1 to 64 printable"),
    ("cn-long", [*LEAF, "--cn", "x" * 65], 2, "1 to 64 printable"),
    # A CA must be a CA, with a key that matches, before it signs.
    ("not-a-ca", ["client", "{ws}/notca", "--dns", "a.example.com"], 1, "is not a CA certificate"),
    ("ca-without-keycertsign", ["client", "{ws}/nokcs", "--dns", "a.example.com"], 1, "lacks keyCertSign"),
    ("ca-without-crlsign", ["crl", "{ws}/nocrlsign"], 1, "lacks cRLSign"),
    ("ca-key-mismatch", ["client", "{ws}/mismatch", "--dns", "a.example.com"], 2, "does not belong to"),
    ("ed448-ca", ["client", "{ws}/ed448", "--dns", "a.example.com"], 2, "Envoy (BoringSSL) cannot verify"),
    ("ed448-key-type", ["ca", "{ws}/new", "--key-type", "ed448"], 2, "invalid choice"),
    ("no-ca-here", ["server", "{ws}", "--dns", HOST], 2, "no CA key here"),
    ("leaf-over-ca", [*LEAF, "--name", "ca", "--force"], 1, "is a CA certificate; choose another --name"),
    ("leaf-over-bundle", [*LEAF, "--name", "ca-bundle", "--force"], 1, "is a CA certificate"),
    ("leaf-exists", [*LEAF, "--name", "server"], 1, "exists; refusing to overwrite"),
    ("ca-exists", ["ca", "{ws}/demo"], 1, "refusing to touch an existing CA"),
    ("init-exists", ["init", "{ws}/demo", "--dns", HOST], 1, "refusing to touch an existing CA"),
    ("rotate-not-ca", ["rotate-ca", "{ws}/notca"], 1, "is not a CA; nothing to rotate"),
    ("dir-too-long", ["client", "{ws}/" + "d" * 5000, "--dns", "a.example.com"], 2, "ddddd"),
    ("new-dir-too-long", ["ca", "{ws}/" + "d" * 5000], 2, "File name too long"),
    ("init-over-file", ["init", "{ws}/file/sub", "--dns", HOST], 2, "cannot create folder"),
    # Revocation: leaves of this CA only.
    ("revoke-ca-itself", ["revoke", "{ws}/demo", "{ws}/demo/ca.crt"], 1, "is a CA certificate; revoke leaves only"),
    ("revoke-stranger", ["revoke", "{ws}/demo", "{ws}/demo/stranger.crt"], 1, "was not issued by"),
    ("revoke-bundle", ["revoke", "{ws}/demo", "{ws}/demo/ca-bundle.crt"], 2, "holds 2 certificates"),
    # Passphrases: say what is wrong.
    ("passphrase-missing", ["client", "{ws}/enc", "--dns", "a.example.com"], 2, "is encrypted; pass --passphrase-file"),
    ("passphrase-empty", ["client", "{ws}/enc", "--dns", "a.example.com", "--passphrase-file", "{ws}/pass-empty"], 2, "passphrase file is empty"),
    ("passphrase-wrong", ["client", "{ws}/enc", "--dns", "a.example.com", "--passphrase-file", "{ws}/pass-wrong"], 2, "wrong passphrase"),
    ("passphrase-unneeded", [*LEAF, "--passphrase-file", "{ws}/pass-good"], 2, "is not encrypted; drop --passphrase-file"),
    ("passphrase-no-file", [*LEAF, "--passphrase-file", "{ws}/nothing"], 2, "no such file"),
    ("passphrase-folder", [*LEAF, "--passphrase-file", "{ws}/demo"], 2, "is a folder"),
    # Files that are not certificates.
    ("inspect-folder", ["inspect", "{ws}/demo"], 2, "is a folder, not a certificate"),
    ("inspect-missing", ["inspect", "{ws}/nothing.crt"], 2, "no such file"),
    ("inspect-not-pem", ["inspect", "{ws}/not-pem.crt"], 2, "not a PEM certificate"),
    ("inspect-fifo", ["inspect", "{ws}/fifo"], 2, "not a regular file"),
    ("inspect-huge", ["inspect", "{ws}/big.crt"], 2, "larger than 4 MiB"),
    ("inspect-ca-folder", ["inspect", "--ca", "{ws}/demo", "{ws}/demo/client.crt"], 2, "is a folder"),
    ("revoked-json-corrupt", ["crl", "{ws}/corrupt"], 2, "not a revocation record"),
    ("revoked-json-nested", ["crl", "{ws}/nested"], 2, "not a revocation record"),
    ("revoked-json-entry", ["crl", "{ws}/badentry"], 2, "not a revocation record"),
    # Kubernetes names are DNS-1123 names, so nothing can be injected into the manifests.
    ("k8s-namespace-yaml", [*K8S, "--namespace", "a: b"], 2, "--namespace: 'a: b' is not a DNS-1123 label"),
    ("k8s-namespace-upper", [*K8S, "--namespace", "Gateway"], 2, "not a DNS-1123 label"),
    ("k8s-namespace-long", [*K8S, "--namespace", "a" * 64], 2, "not a DNS-1123 label"),
    ("k8s-configmap-yaml", [*K8S, "--ca-configmap", "a: b"], 2, "--ca-configmap: 'a: b' is not a Kubernetes name"),
    ("k8s-secret-newline", [*K8S, "--server-secret", "x\nkind: Pod"], 2, "--server-secret"),
    ("k8s-crl-name-long", [*K8S, "--crl", "--ca-configmap", "a" * 250], 2, "is not a Kubernetes name"),
    ("k8s-no-crl", [*K8S, "--crl"], 2, "no CRL yet"),
    ("k8s-encrypted-key", ["k8s", "{ws}/k8s-enc"], 2, "needs it plain"),
    ("k8s-key-mismatch", ["k8s", "{ws}/k8s-pair"], 2, "does not belong to the server certificate"),
    ("unknown-command", ["sign", "{ws}/demo"], 2, "invalid choice"),
]  # fmt: skip


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under ``root`` with its size, modification time and link count."""
    return {
        str(p.relative_to(root)): (p.lstat().st_size, p.lstat().st_mtime_ns, p.lstat().st_nlink)
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize(
    ("argv", "code", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_refused_with_one_line_and_nothing_written(
    ws: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    before = snapshot(ws)
    got, _, err = run_main([a.format(ws=ws) for a in argv], capsys)
    assert (got, message in err) == (code, True), err
    assert len(err.strip().splitlines()) == 1, err
    assert snapshot(ws) == before


@pytest.mark.parametrize(
    "case",
    ["name-parent", "crl-days-huge", "inspect-folder", "revoked-json-nested", "k8s-namespace-yaml"],
)
def test_the_real_command_line_says_one_line(ws: Path, case: str) -> None:
    """The same refusals from the file a reader runs: no traceback, one line."""
    (argv, code, message) = next(c[1:] for c in CASES if c[0] == case)
    result = cli(*(a.format(ws=ws) for a in argv))
    assert result.returncode == code and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_leaf_fitting_its_ca_is_issued(
    ws: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The refusal's own suggestion works: --days 9 under a CA with ten days left."""
    for name in ("ca.crt", "ca.key"):
        (tmp_path / name).write_bytes((ws / "short" / name).read_bytes())
    code, _, err = run_main(
        ["client", str(tmp_path), "--dns", "a.example.com", "--days", "9"], capsys
    )
    assert code == 0, err


def page_refusals() -> list[tuple[str, int]]:
    """The examples and exit codes of the certificates page's "What the script refuses" table."""
    page = (ROOT / "docs" / "certificates.md").read_text()
    section = page.split("## What the script refuses", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split(" | ") for line in section.splitlines() if line.startswith("| ")]
    return [(row[1].strip("`"), int(row[2])) for row in rows[2:]]  # after header and rule


def test_the_page_lists_the_refusals() -> None:
    assert len(page_refusals()) >= 8


@pytest.mark.parametrize(("command", "code"), page_refusals())
def test_page_refusal_runs_as_shown(
    ws: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    code: int,
) -> None:
    """Each example on the page, run in a folder holding `demo/`: the exit code it shows, one line."""
    program, *argv = shlex.split(command)
    assert program == "python3" and argv[0] == "mtls_certs.py"
    monkeypatch.chdir(ws)
    before = snapshot(ws)
    got, _, err = run_main(argv[1:], capsys)
    assert got == code and len(err.strip().splitlines()) == 1, err
    assert snapshot(ws) == before


URI_LIKE = st.builds(
    "{}://{}".format, st.sampled_from(["spiffe", "https", "a"]), st.text(max_size=40)
)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300) | URI_LIKE | st.just("spiffe://["))
def test_every_rule_accepts_or_refuses_any_text_with_a_usage_error(text: str) -> None:
    """No argument, however hostile, gets past the rules as anything but a UsageError."""
    for _flag, rule in mc.ARGUMENT_RULES.values():
        try:
            rule(text)
        except mc.UsageError:
            continue


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.characters(codec="utf-8"), max_size=80)
    | st.sampled_from(["..", ".", "a/..", "..."])
)
def test_an_accepted_stem_names_a_file_inside_dir(text: str) -> None:
    try:
        stem = mc.check_stem(text)
    except mc.UsageError:
        return
    assert Path(stem).name == stem and not stem.startswith(".") and "/" not in stem

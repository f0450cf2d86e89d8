"""One client identity on the whole site: every page, snippet and the lab name the same client.

The client is URI SAN ``spiffe://example.org/client-a`` plus DNS SAN
``client-a.example.com``. Every ``spiffe://`` ID uses the trust domain
``example.org``, every client DNS name is client-a's, and the places that make
the client's certificate (the openssl recipe, the script's command, cert-manager,
the lab) give it both names. The certificate script, which the site offers as a
download, gives the client that identity by default, and its help uses the same
trust domain.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from mtls_guide import mtls_certs
from mtls_guide.paths import CERT_TOOL, ROOT

TRUST_DOMAIN = "example.org"
CLIENT_URI = "spiffe://example.org/client-a"
CLIENT_DNS = "client-a.example.com"
CLIENT_CN = "client-a"

SPIFFE = re.compile(r"spiffe://([^/\s\"'`;,)<>]*)(/[^\s\"'`;,)<>]*)?")
# A client's DNS name: client-<id>.<domain>, not a file stem such as client-a-next.crt.
CLIENT_DNS_NAME = re.compile(r"\bclient-[a-z0-9-]+\.(?:example\.[a-z]+|[a-z0-9-]+\.[a-z]{2,})\b")
# Where the client certificate is made: each must give both names.
MAKERS = (
    "snippets/certificates/openssl-client.sh",
    "snippets/certificates/script-init.sh",
    "snippets/cert-manager/client-certificate.yaml",
    "snippets/quickstart/certificates.sh",
    "src/mtls_guide/lab/runner.py",
)


def site_texts() -> dict[str, str]:
    """Every page and snippet, and the lab's source (where its client certificate is made)."""
    files = [
        *sorted((ROOT / "docs").rglob("*.md")),
        *sorted(p for p in (ROOT / "snippets").rglob("*") if p.is_file()),
        *sorted((ROOT / "src/mtls_guide/lab").glob("*.py")),
        CERT_TOOL,  # offered as a download: its help and messages are read on the site too
    ]
    return {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in files}


def identity_problems(texts: dict[str, str]) -> list[str]:
    """Every way a text departs from the one identity, as 'file: problem' lines."""
    problems = []
    for name, text in texts.items():
        for match in SPIFFE.finditer(text):
            domain, path = match.group(1), match.group(2) or ""
            if domain != TRUST_DOMAIN:
                problems.append(f"{name}: {match.group(0)} is not in trust domain {TRUST_DOMAIN}")
            elif path.startswith("/client") and match.group(0) != CLIENT_URI:
                problems.append(f"{name}: client ID {match.group(0)}, not {CLIENT_URI}")
        problems += [
            f"{name}: client DNS name {m.group(0)}, not {CLIENT_DNS}"
            for m in CLIENT_DNS_NAME.finditer(text)
            if m.group(0) != CLIENT_DNS
        ]
    return problems


def test_one_identity_on_the_site() -> None:
    texts = site_texts()
    assert sum(CLIENT_URI in t for t in texts.values()) >= 8  # guards against an empty scan
    problems = identity_problems(texts)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", MAKERS)
def test_the_client_certificate_carries_both_names(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    assert CLIENT_URI in text and CLIENT_DNS in text, (
        f"{path} must give {CLIENT_URI} and {CLIENT_DNS}"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("uris: [spiffe://cluster.local/ns/a/sa/b]", "not in trust domain"),
        ("URI=spiffe://example.org/client-b", "client ID"),
        ("--dns client-b.example.com", "client DNS name"),
        ("subjectAltName = DNS:client-a.example.net", "client DNS name"),
        ('help="client URI SAN like spiffe://a/b"', "not in trust domain"),
    ],
)
def test_the_check_finds_a_second_identity(text: str, expected: str) -> None:
    (problem,) = identity_problems({"page.md": text})
    assert expected in problem


def test_the_check_leaves_other_names_alone() -> None:
    text = "spiffe://example.org/gateway client-a-next.crt client.crt secure.example.com"
    assert identity_problems({"page.md": text}) == []


def test_the_scripts_client_certificate_has_both_sans(tmp_path) -> None:
    shutil.copy(CERT_TOOL, tmp_path)
    command = (ROOT / "snippets/certificates/script-init.sh").read_text()
    subprocess.run(["bash", "-e", "-c", command], cwd=tmp_path, check=True, capture_output=True)
    cert = x509.load_pem_x509_certificate((tmp_path / "demo/client.crt").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = {
        *san.get_values_for_type(x509.DNSName),
        *san.get_values_for_type(x509.UniformResourceIdentifier),
    }
    assert names == {CLIENT_URI, CLIENT_DNS}


def client_identity(cert: x509.Certificate) -> tuple[str, set[str]]:
    """The client certificate's common name and its DNS and URI SANs."""
    (cn,) = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = {
        *san.get_values_for_type(x509.DNSName),
        *san.get_values_for_type(x509.UniformResourceIdentifier),
    }
    return str(cn.value), names


def identity_made_by_init(folder: Path, *flags: str) -> tuple[str, set[str]]:
    """Run the script as a reader downloads it: `init` with only the server's name."""
    shutil.copy(CERT_TOOL, folder)
    subprocess.run(
        [sys.executable, "mtls_certs.py", "init", "pki", "--dns", "secure.example.com", *flags],
        cwd=folder, check=True, capture_output=True,
    )  # fmt: skip
    return client_identity(x509.load_pem_x509_certificate((folder / "pki/client.crt").read_bytes()))


def test_the_scripts_defaults_are_the_sites_identity(tmp_path: Path) -> None:
    assert identity_made_by_init(tmp_path) == (CLIENT_CN, {CLIENT_URI, CLIENT_DNS})


def test_the_defaults_check_tells_another_client_apart(tmp_path: Path) -> None:
    # What `init` gave before its defaults were the site's: CN and DNS SAN `client`, no URI.
    made = identity_made_by_init(tmp_path, "--client-cn", "client", "--client-dns", "client")
    assert made != (CLIENT_CN, {CLIENT_URI, CLIENT_DNS})
    assert made[0] == "client" and CLIENT_URI.replace("client-a", "client") in made[1]


def test_flags_still_override_the_defaults(tmp_path: Path) -> None:
    made = identity_made_by_init(tmp_path, "--client-cn", "client-b")
    assert made == ("client-b", {"spiffe://example.org/client-b", "client-b.example.com"})


def test_the_scripts_help_names_the_sites_identity() -> None:
    parser = mtls_certs.parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {f"{name} --help": cmd.format_help() for name, cmd in commands.choices.items()}
    helps["--help"] = parser.format_help()
    assert len(helps) >= 10  # every command and the script itself
    assert not identity_problems(helps), identity_problems(helps)
    init_help = " ".join(helps["init --help"].split())
    for default in (CLIENT_CN, CLIENT_URI, CLIENT_DNS):
        assert default in init_help, f"init --help does not name its default {default}"

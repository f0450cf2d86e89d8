"""One client identity on the whole site: every page, snippet and the lab name the same client.

The client is URI SAN ``spiffe://example.org/client-a`` plus DNS SAN
``client-a.example.com``. Every ``spiffe://`` ID uses the trust domain
``example.org``, every client DNS name is client-a's, and the places that make
the client's certificate (the openssl recipe, the script's command, cert-manager,
the lab) give it both names.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from cryptography import x509

from mtls_guide.paths import CERT_TOOL, ROOT

TRUST_DOMAIN = "example.org"
CLIENT_URI = "spiffe://example.org/client-a"
CLIENT_DNS = "client-a.example.com"

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

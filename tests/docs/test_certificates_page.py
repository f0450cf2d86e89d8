"""docs/certificates.md runs for real: the openssl recipe, the script and kubectl, in page order.

The certificates they produce are held to the same checks as the script's own
(mtls_certs.findings and RFC 5280 path validation), the recipe must give the
script's profile, and the Kubernetes objects must pass the manifest validator.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from mtls_guide import checks, mtls_certs
from mtls_guide.checkers import PageRuns
from mtls_guide.shellrun import Ran

PAGE = "docs/certificates.md"


@pytest.fixture(scope="module")
def page_run(page_runs: PageRuns) -> tuple[Path, list[Ran]]:
    """The same run the page's blocks are checked by (the registry's runner for this page)."""
    run = page_runs.of(PAGE)
    return run.workdir, list(run.results.values())


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_every_block_runs(page_run: tuple[Path, list[Ran]]) -> None:
    _, results = page_run
    assert len(results) >= 8
    failed = [r.explain() for r in results if r.returncode != 0]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize(
    ("name", "role"), [("ca", "ca"), ("server", "server"), ("client", "client")]
)
@pytest.mark.parametrize("folder", [".", "demo"], ids=["openssl", "script"])
def test_certificates_pass_the_checks(page_run, folder: str, name: str, role: str) -> None:
    workdir, _ = page_run
    cert = load(workdir / folder / f"{name}.crt")
    assert mtls_certs.findings(cert, role) == []
    if role != "ca":
        mtls_certs.verify_chain(
            cert, [load(workdir / folder / "ca.crt")], role, host="secure.example.com"
        )
        verified = subprocess.run(
            ["openssl", "verify", "-CAfile", "ca.crt", "-purpose", f"ssl{role}", f"{name}.crt"],
            cwd=workdir / folder, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert verified.returncode == 0, verified.stdout + verified.stderr


def profile(cert: x509.Certificate) -> dict:
    """What defines a certificate's role: each extension's criticality and role-relevant value."""
    out = {}
    for ext in cert.extensions:
        value = ext.value
        if isinstance(value, x509.BasicConstraints):
            value = (value.ca, value.path_length)
        elif isinstance(value, x509.KeyUsage):
            value = (value.digital_signature, value.key_cert_sign, value.crl_sign)
        elif isinstance(value, x509.ExtendedKeyUsage):
            value = tuple(value)
        elif isinstance(value, x509.SubjectAlternativeName):
            value = "SAN"
        else:
            value = None
        out[ext.oid.dotted_string] = (ext.critical, value)
    return out


@pytest.mark.parametrize("name", ["ca", "server", "client"])
def test_recipe_gives_the_scripts_profile(page_run, name: str) -> None:
    workdir, _ = page_run
    assert profile(load(workdir / f"{name}.crt")) == profile(load(workdir / "demo" / f"{name}.crt"))


def recipe_serials(workdir: Path) -> tuple[int, int, int]:
    """The serials of the recipe's server and client certificates, and the one ca.srl holds."""
    kept = int((workdir / "ca.srl").read_text().strip(), 16)
    server, client = (load(workdir / f"{name}.crt").serial_number for name in ("server", "client"))
    return server, client, kept


def serials_count_up(server: int, client: int, kept: int) -> bool:
    """What the page says of -CAcreateserial: one random start, then the next number each time."""
    return client == server + 1 == kept


def test_serial_check_refuses_independent_serials() -> None:
    assert not serials_count_up(0x1BFB, 0x77A0, 0x77A0)


def test_ca_srl_counts_up_from_a_random_start(page_run) -> None:
    workdir, _ = page_run
    assert serials_count_up(*recipe_serials(workdir))


def test_private_keys_are_private(page_run) -> None:
    workdir, _ = page_run
    for key in [*workdir.glob("*.key"), *(workdir / "demo").glob("*.key")]:
        assert key.stat().st_mode & 0o077 == 0, f"{key} is readable by others"


def test_rerun_refuses_and_keeps_the_ca_key(page_run) -> None:
    _, results = page_run
    (rerun,) = [r for r in results if "script-rerun.sh" in r.block.includes[0]]
    assert "exit code 1" in rerun.stdout
    assert (
        "demo/ca.key exists; refusing" in rerun.stdout
    )  # page runs interleave stderr, as a terminal shows it


@pytest.mark.parametrize("output", ["server-secret.yaml", "client-ca.yaml", "gateway-tls.yaml"])
def test_kubernetes_objects_pass_the_validator(page_run, output: str) -> None:
    workdir, _ = page_run
    objects = checks.validator().check_text((workdir / output).read_text(), output)
    assert objects and all(not o.problems for o in objects), [
        str(p) for o in objects for p in o.problems
    ]
    kinds = {o.kind for o in objects}
    assert kinds <= {"Secret", "ConfigMap"}


def test_inspect_reports_no_problem(page_run) -> None:
    _, results = page_run
    (inspect,) = [r for r in results if "script-inspect.sh" in r.block.includes[0]]
    assert "no problems found" in inspect.stdout and "EKU:          clientAuth" in inspect.stdout

"""docs/rotation.md runs for real, in page order, on a demo folder made by the script."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from mtls_guide import checks
from mtls_guide import mtls_certs as mc
from mtls_guide.paths import CERT_TOOL
from mtls_guide.shellrun import Ran, executable_blocks, run_blocks


@pytest.fixture(scope="module")
def page_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Ran], bytes]:
    workdir = tmp_path_factory.mktemp("rotation-page")
    shutil.copy(CERT_TOOL, workdir)
    subprocess.run(
        [sys.executable, "mtls_certs.py", "init", "demo", "--dns", "secure.example.com", "--client-cn", "client-a"],
        cwd=workdir, check=True, capture_output=True,
    )  # fmt: skip
    ca_key = (workdir / "demo" / "ca.key").read_bytes()
    return workdir, run_blocks(executable_blocks("docs/rotation.md"), workdir), ca_key


def test_every_block_runs(page_run) -> None:
    _, results, _ = page_run
    assert len(results) == 4
    failed = [r.explain() for r in results if r.returncode != 0]
    assert not failed, "\n".join(failed)


def test_old_and_new_clients_verify_against_the_bundle_and_only_new_after(page_run) -> None:
    workdir, _, ca_key = page_run
    demo = workdir / "demo"
    bundle = x509.load_pem_x509_certificates((demo / "ca-bundle.crt").read_bytes())
    old, new = mc.read_cert(demo / "client.crt"), mc.read_cert(demo / "client-a-next.crt")
    for client in (old, new):
        mc.verify_chain(client, bundle, "client")
    final = x509.load_pem_x509_certificates((demo / "ca-next.crt").read_bytes())
    mc.verify_chain(new, final, "client")
    with pytest.raises(Exception, match="candidates exhausted"):
        mc.verify_chain(old, final, "client")
    assert (demo / "ca.key").read_bytes() == ca_key  # rotation never touches the old CA key


@pytest.mark.parametrize("output", ["client-ca.yaml", "server-secret.yaml"])
def test_objects_pass_the_validator(page_run, output: str) -> None:
    workdir, _, _ = page_run
    objects = checks.validator().check_text((workdir / output).read_text(), output)
    assert objects and all(not o.problems for o in objects)

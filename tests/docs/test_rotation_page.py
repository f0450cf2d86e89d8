"""docs/rotation.md runs for real, in page order, on a demo folder made by the script."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509

from mtls_guide import checks
from mtls_guide import mtls_certs as mc
from mtls_guide.checkers import PageRuns
from mtls_guide.shellrun import Ran


@pytest.fixture(scope="module")
def page_run(page_runs: PageRuns) -> tuple[Path, list[Ran], bytes]:
    """The run the page's blocks are checked by; the registry's setup made demo/ first."""
    run = page_runs.of("docs/rotation.md")
    ca_key = (run.workdir / "ca.key.before-rotation").read_bytes()
    return run.workdir, list(run.results.values()), ca_key


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

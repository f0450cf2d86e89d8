"""The Certificates, Rotation and Verification pages run by effect: their commands run in
page order and whatever they apply or read goes to the lab (kubectl_map's table), while
clients send requests without pause. The rotation must drop no request; a wrong ConfigMap
key or retiring the old CA too early must make it drop some (mutations of the page)."""

from __future__ import annotations

import http.client
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mtls_guide.blocks import Block, collect
from mtls_guide.lab import pages
from mtls_guide.paths import CERT_TOOL, ROOT

HOST = "secure.example.com"
Steps = list[tuple[Block, str]]


def bash_blocks(page: str) -> list[Block]:
    return [b for b in collect() if b.page == page and b.lang == "bash"]


def block_with(page: str, text: str) -> Block:
    (block,) = [b for b in bash_blocks(page) if text in b.source]
    return block


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pages.RunningLab]:
    """`lab.py up` in its own process, as the reader runs it (and so the load generator
    does not share an interpreter with the lab)."""
    workdir = tmp_path_factory.mktemp("pages-lab")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "lab.py"), "up", "--workdir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (workdir / "lab.env").exists():
            assert process.poll() is None and time.monotonic() < deadline, (
                process.stderr and process.stderr.read()
            )
            time.sleep(0.05)
        yield pages.RunningLab(workdir, pages.read_env(workdir))
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def rotation_steps() -> Steps:
    """The Rotation page's shell blocks in page order, then step 3's "apply client-ca.yaml
    again", which the page says in prose after its last block."""
    page = (ROOT / "docs" / "rotation.md").read_text()
    assert "apply `client-ca.yaml` again" in page
    blocks = bash_blocks("docs/rotation.md")
    apply_ca = block_with("docs/rotation.md", "kubectl apply -f client-ca.yaml")
    return [(b, b.source) for b in [*blocks, apply_ca]]


def prepare(lab: pages.RunningLab, cwd: Path) -> None:
    """The Certificates page's demo folder and its objects, applied to the lab."""
    pages.copy_tool(cwd, CERT_TOOL)
    subprocess.run(
        [sys.executable, "mtls_certs.py", "init", "demo", "--dns", HOST, "--client-cn", "client-a"],
        cwd=cwd, check=True, capture_output=True,
    )  # fmt: skip
    env = pages.environment(lab, cwd)
    for block in (block_with("docs/certificates.md", "mtls_certs.py k8s"),):
        ran = pages.run_block(block, cwd, env)
        assert ran.returncode == 0, ran.explain()
    ran = subprocess.run(
        ["kubectl", "apply", "-f", "gateway-tls.yaml"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr


def rotate(lab: pages.RunningLab, cwd: Path, steps: Steps) -> pages.Load:
    prepare(lab, cwd)
    demo = cwd / "demo"
    load = pages.Load(HOST, demo / "ca.crt", (demo / "client.crt", demo / "client.key"))

    def follow_clients(
        block: Block,
    ) -> None:  # clients move once the page issued their new certificate
        if (demo / "client-a-next.crt").exists():
            load.use(demo / "client-a-next.crt", demo / "client-a-next.key")

    results = pages.run_under_load(lab, steps, cwd, load, follow_clients)
    failed = [r.explain() for r in results if r.returncode != 0]
    assert not failed and len(results) == len(steps), "\n".join(failed)
    return load


def refused(ca: Path, cert: Path, key: Path, port: int) -> bool:
    try:
        return pages.get(HOST, port, pages.client_context(ca, cert, key)) != 200
    except (ssl.SSLError, OSError, http.client.HTTPException):
        return True


def test_rotation_page_drops_no_request(lab: pages.RunningLab, tmp_path: Path) -> None:
    load = rotate(lab, tmp_path, rotation_steps())
    assert load.failures == [] and load.requests >= 50, (load.requests, load.failures[:3])
    demo, port = tmp_path / "demo", int(lab.env["TERMINATE_PORT"])
    assert refused(
        demo / "ca.crt", demo / "client.crt", demo / "client.key", port
    )  # old CA retired
    assert not refused(
        demo / "ca.crt", demo / "client-a-next.crt", demo / "client-a-next.key", port
    )


def test_verification_status_command_reads_the_lab(lab: pages.RunningLab, tmp_path: Path) -> None:
    block = block_with("docs/verification.md", "kubectl get gateway")
    ran = pages.run_block(block, tmp_path, pages.environment(lab, tmp_path))
    assert ran.returncode == 0, ran.explain()
    assert ran.stdout == "https\tProgrammed=True Accepted=True ResolvedRefs=True \n"


def wrong_key(steps: Steps) -> Steps:
    return [
        (
            b,
            s.replace(
                "--from-file=ca.crt=demo/ca-bundle.crt", "--from-file=ca.pem=demo/ca-bundle.crt"
            ),
        )
        for b, s in steps
    ]


def early_retirement(steps: Steps) -> Steps:
    """Step 3 (new CA alone, applied) before step 2 (clients moved)."""
    retire = [s for s in steps if "ca-next.crt" in s[1]]
    apply_ca = [s for s in steps if s[1].strip() == "kubectl apply -f client-ca.yaml"][:1]
    rest = [s for s in steps if s not in retire]
    at = next(i for i, s in enumerate(rest) if "client-a-next" in s[1])
    return [*rest[:at], *retire, *apply_ca, *rest[at:]]


@pytest.mark.parametrize(
    "mutate", [wrong_key, early_retirement], ids=["ca.pem-key", "old-CA-retired-early"]
)
def test_page_mistakes_drop_requests(
    lab: pages.RunningLab, tmp_path: Path, mutate: Callable[[Steps], Steps]
) -> None:
    steps = mutate(rotation_steps())
    assert steps != rotation_steps()
    load = rotate(lab, tmp_path, steps)
    assert load.failures, "the mutated page dropped no request: the rotation check would not notice"

"""Every output block on the site is what its command printed in a real run.

- Blocks after a lab block run against the shared lab (its PKI folder, lab.env).
- Blocks on the certificates page: the page runs in order in an empty folder.
- Quick start outputs are compared by its walkthrough run (test_quickstart_page.py).

Both sides go through mtls_guide.outputs.normalise (dates, serials, hashes, ports,
temporary paths). ``UPDATE_OUTPUTS=1`` rewrites the pages from the real run instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mtls_guide.blocks import collect
from mtls_guide.lab.runner import Lab
from mtls_guide.outputs import Expected, expected_outputs
from mtls_guide.paths import CERT_TOOL
from mtls_guide.routing import route
from mtls_guide.shellrun import executable_blocks, run_blocks
from tests.support import output_problems

PAIRS = expected_outputs(collect())
WALKTHROUGH_PAGES = {"docs/quickstart.md"}
CERTIFICATES = "docs/certificates.md"


def runner(pair: Expected) -> str:
    """Which run compares this output block (a block nobody runs has no runner)."""
    kind = route(pair.command)
    if kind == "step" and pair.command.page in WALKTHROUGH_PAGES:
        return "walkthrough"
    if kind == "lab":
        return "lab"
    if pair.command in executable_blocks(CERTIFICATES):
        return "certificates"
    return "none"


def test_every_output_block_is_compared_with_a_run() -> None:
    assert len(PAIRS) >= 8
    orphans = [p.output.id for p in PAIRS if runner(p) == "none"]
    assert not orphans, f"output blocks after a block nobody runs: {orphans}"


def test_pages_show_output_where_readers_run_something() -> None:
    pages = {p.output.page for p in PAIRS}
    assert {"docs/verification.md", CERTIFICATES, "docs/lab.md", "docs/quickstart.md"} <= pages


def test_lab_outputs(shared_lab: Lab) -> None:
    pairs = [p for p in PAIRS if runner(p) == "lab"]
    env = shared_lab.environment()
    ran = run_blocks([p.command for p in pairs], Path(env["PKI_DIR"]), env, 30, False, True)
    problems = output_problems([(p, r.stdout) for p, r in zip(pairs, ran, strict=True)])
    assert not problems, "\n".join(problems)


def test_certificates_page_outputs(tmp_path: Path) -> None:
    shutil.copy(CERT_TOOL, tmp_path)  # what the reader downloads
    printed = {
        r.block.id: r.stdout
        for r in run_blocks(executable_blocks(CERTIFICATES), tmp_path, merged=True)
    }
    pairs = [p for p in PAIRS if runner(p) == "certificates"]
    assert pairs
    problems = output_problems([(p, printed[p.command.id]) for p in pairs])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("printed", ["", "something else entirely"])
def test_a_changed_output_is_caught(printed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPDATE_OUTPUTS", raising=False)
    pair = next(p for p in PAIRS if runner(p) == "certificates")
    assert output_problems([(pair, printed)]) != []

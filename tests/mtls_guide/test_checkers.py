"""Every checker in the registry fails a bad block, with a message that names the block."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mtls_guide import checkers
from mtls_guide.blocks import Block
from mtls_guide.checkers import BY_NAME, PAGE_SETUPS, PageRuns, Unaccounted, outcome_problems, parse
from mtls_guide.paths import ROOT
from mtls_guide.shellrun import Ran, run_blocks
from tests.support import last_block

FENCE = "```"
VALID_CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: client-ca\n"
HTTPS_PASSTHROUGH = """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: wrong
spec:
  gatewayClassName: example
  listeners:
    - name: https
      protocol: HTTPS
      port: 443
      tls:
        mode: Passthrough
"""
HELM = (
    "helm-rendered; helm template mtls-gateway dev2prod/gateway-api --version 1.0.5"
    " --namespace gateway --values snippets/helm/values.yaml"
)
RENDERED = (ROOT / "snippets" / "helm" / "rendered.yaml").read_text()


def fenced(body: str, lang: str = "yaml", directive: str = "") -> str:
    before = f"<!-- check: {directive} -->\n" if directive else ""
    return f"{before}{FENCE}{lang}\n{body}{FENCE}\n"


def problems_of(folder: Path, text: str, **needs: Any) -> list[str]:
    """The problems the last block of a page made of ``text`` gets from its checker."""
    return parse(last_block(folder, text)).run(needs)


# (checker, page text, a fragment of the expected problem)
BAD_BLOCKS = [
    ("manifest", fenced("apiVersion: v1\nkind: [\n"), "not valid YAML"),
    ("rejected", fenced(VALID_CONFIGMAP, directive="rejected; must be Terminate"), "got no error"),
    ("rejected", fenced(HTTPS_PASSTHROUGH, directive="rejected; a message it never prints"),
     "expected a rejection containing 'a message it never prints'"),
    ("yaml-syntax", fenced("a: [1\n", directive="yaml-syntax; values"), "not valid YAML"),
    ("yaml-syntax", fenced("# only a comment\n", directive="yaml-syntax; values"), "empty YAML"),
    ("yaml-syntax", fenced("a: 1\nb: 2\na: 3\n", directive="yaml-syntax; values"),
     "duplicate key a"),
    ("unvalidated", fenced("a: {\n", directive="unvalidated; no public schema"), "not valid YAML"),
    ("shell", fenced("rm -rf $DIR/x\n", "bash", "shell; needs a cluster"), "SC2086"),
    ("command", fenced("echo hi\n", "bash", "command; exit 0; prints hi"),
     "followed by its `output`"),
    ("output", fenced("hi\n", "text", "output; what it prints"), "must follow a block that runs"),
    ("output", fenced("echo hi\n", "bash", "shell; linted only") + "\n"
     + fenced("hi\n", "text", "output; what it prints"), "must follow a block that runs"),
    ("output", fenced("echo hi\n", "bash", "command; exit 0; prints hi") + "\n"
     + fenced("bye\n", "text", "output; what it prints"), "printed (normalised)\nhi"),
    ("output", fenced("echo hi; exit 3\n", "bash", "command; exit 0; prints hi") + "\n"
     + fenced("hi\n", "text", "output; what it prints"), "expected exit 0"),
    ("step", fenced("rm -rf $DIR/x\n", "bash", "step; both"), "SC2086"),
    ("run", fenced("echo hi\n", "bash"), "nothing runs the bash blocks of"),
    ("helm-rendered", fenced(RENDERED.replace("port: 8443", "port: 9443"), directive=HELM),
     "but helm renders"),
    ("envoy-config", fenced("static_resources:\n  listenres: []\n", directive="envoy-config"),
     "Envoy rejects it"),
    ("promql", fenced("sum(rate(envoy_listener_ssl_fail_verify_typo[5m]))\n", "promql"),
     "no metric 'envoy_listener_ssl_fail_verify_typo'"),
    ("promql", fenced("sum by (envoy_cluster_nope) (envoy_server_live)\n", "promql"),
     "no label 'envoy_cluster_nope'"),
    ("lab", fenced("echo 'HTTP/1.1 403 Forbidden'\n", "bash", 'lab; exit 0; prints "HTTP/1.1 200"'),
     "expected the output to contain 'HTTP/1.1 200'"),
    ("lab", fenced("exit 56\n", "bash", "lab; exit 0|35"), "expected exit 0|35"),
    ("lab", fenced("rm -rf $DIR/x\n", "bash", "lab; exit 0"), "SC2086"),
    ("python-lab", fenced("import os\n\nx = 1\n", "python", "python-lab; run elsewhere"), "F401"),
    ("pre-commit-config", fenced("repos: []\n", directive="pre-commit-config; hook ids"),
     "no repos"),
    ("github-step", fenced("name: not a list\n", directive="github-step; arguments"),
     "expected a list of workflow steps"),
]  # fmt: skip


class BlockByBlockLab:
    """Stands in for :class:`LabRuns` here: runs the one block it is asked about, in a folder,
    without a lab, so a bad outcome reaches the `lab` checker without running the whole site."""

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir

    def result(self, block: Block) -> Ran:
        (ran,) = run_blocks([block], self._workdir, errexit=False, merged=True)
        return ran


@pytest.mark.parametrize(("name", "text", "expected"), BAD_BLOCKS, ids=[b[0] for b in BAD_BLOCKS])
def test_checker_fails_a_bad_block(
    tmp_path: Path, request: pytest.FixtureRequest, name: str, text: str, expected: str
) -> None:
    check = parse(last_block(tmp_path, text))
    assert check.checker.name == name
    local = {"lab_runs": BlockByBlockLab(tmp_path)}
    needs = {n: local[n] if n in local else request.getfixturevalue(n) for n in check.checker.needs}
    try:
        problems = check.run(needs)
    except pytest.fail.Exception as failed:  # pytest-examples (python-lab) fails the test itself
        problems = [str(failed)]
    assert any(expected in p for p in problems), problems


def test_every_checker_has_a_failing_case() -> None:
    assert {name for name, _, _ in BAD_BLOCKS} == set(BY_NAME)


def test_rejected_passes_the_right_message(tmp_path: Path) -> None:
    text = fenced(
        HTTPS_PASSTHROUGH, directive="rejected; tls mode must be Terminate for protocol HTTPS"
    )
    assert problems_of(tmp_path, text) == []


def test_output_passes_what_the_command_prints(tmp_path: Path) -> None:
    text = fenced("echo hi; exit 1\n", "bash", "command; exit 1; prints hi") + "\n"
    text += fenced("hi\n", "text", "output; what it prints")
    assert problems_of(tmp_path, text) == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("rejected", ""),
        ("command", "prints hi"),
        ("step", "everywhere"),
        ("lab", "exit zero"),
        ("shell", ""),
        ("yaml-syntax", ""),
    ],
)
def test_reason_grammar_is_enforced(tmp_path: Path, name: str, reason: str) -> None:
    block = last_block(tmp_path, fenced("x\n", "text", f"{name}; {reason}" if reason else name))
    with pytest.raises(Unaccounted, match=rf"write the directive as <!-- check: {name};"):
        parse(block)


def test_lab_outcome_must_match(tmp_path: Path) -> None:
    block = last_block(
        tmp_path, fenced("curl x\n", "bash", 'lab; exit 0|35; prints "HTTP/1.1 200"')
    )
    args = parse(block).args
    assert outcome_problems(args, Ran(block, 0, "HTTP/1.1 200 OK\n", "")) == []
    (wrong_exit,) = outcome_problems(args, Ran(block, 56, "HTTP/1.1 200 OK\n", ""))
    assert wrong_exit.startswith("expected exit 0|35")
    (wrong_text,) = outcome_problems(args, Ran(block, 35, "", "handshake failure"))
    assert "expected the output to contain 'HTTP/1.1 200'" in wrong_text


def test_run_fails_a_failing_block_of_a_registered_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = fenced("echo one\n", "bash") + "\n" + fenced("false\necho two\n", "bash")
    page = tmp_path / "page.md"
    page.write_text(text)
    monkeypatch.setitem(PAGE_SETUPS, str(page), lambda workdir: None)
    runs = PageRuns(lambda name: tmp_path / "work")
    (tmp_path / "work").mkdir()
    first, second = checkers.blocks_in(page)
    assert parse(first).run({"page_runs": runs}) == []
    (problem,) = parse(second).run({"page_runs": runs})
    assert "page.md:5 exited 1" in problem


def test_shell_runner_stops_at_the_first_failing_command(tmp_path: Path) -> None:
    # Without `set -e` the block would carry on and exit 0: the page would pass with a broken step.
    block = last_block(tmp_path, fenced("false\necho survived\n", "bash"))
    (ran,) = run_blocks([block], tmp_path)
    assert ran.returncode == 1 and "survived" not in ran.stdout
    piped = last_block(tmp_path, fenced("false | cat\necho survived\n", "bash"))
    (ran,) = run_blocks([piped], tmp_path)
    assert ran.returncode == 1 and "survived" not in ran.stdout


def test_lab_pages_have_lab_blocks() -> None:
    pages = {b.page for b in checkers.owned_by("lab")}
    assert {"docs/verification.md", "docs/passthrough.md", "docs/terminate.md"} <= pages

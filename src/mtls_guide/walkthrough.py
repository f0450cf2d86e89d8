"""Run a walkthrough page (the Quick start) in page order, on a real cluster or offline.

A walkthrough page marks each command block with where it runs and what it must print::

    <!-- check: step; cluster; prints "condition met" -->
    <!-- check: step; both -->

``cluster`` steps need a Kubernetes cluster (kind, Helm, the API server);
``both`` steps run unchanged everywhere (the certificate script, curl). A block
marked ``<!-- check: output; ... -->`` right after a step shows what the step
prints; it is compared after :func:`mtls_guide.outputs.normalise`. Manifest
blocks with a title (``yaml title="gateway.yaml"``) are written to the working
folder under that name first, as a reader saves them.

Modes:

- ``cluster``: every step, in order, against the current kubectl context
  (the GitHub workflow ``quickstart.yml`` runs it on kind with Envoy Gateway);
- ``offline``: the ``both`` steps with the real tools, and a local lab
  (:mod:`mtls_guide.lab`) on the page's own certificates and Gateway manifests
  standing in for the cluster from the first step that talks to the gateway
  (it sets ``GATEWAY_IP`` and ``TERMINATE_PORT``). ``cluster`` steps are listed
  as not run: their manifests are validated by the block checker.

Steps share the reader's shell state: variables a step sets and the folder it
``cd``s into carry over to the next step.

Usage: python -m mtls_guide.walkthrough docs/quickstart.md --mode cluster --workdir DIR
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from mtls_guide import mtls_certs as mc
from mtls_guide.blocks import Block, CollectError, blocks_in
from mtls_guide.outputs import Expected, expected_outputs
from mtls_guide.paths import CERT_TOOL

MODES = ("cluster", "offline")
_STEP = re.compile(r'^(?P<where>cluster|both)(?:; prints "(?P<text>[^"]+)")?$')
# Kinds the lab maps to Envoy; the other objects of the page are only validated offline.
LAB_KINDS = ("Gateway", "HTTPRoute", "ClientTrafficPolicy")


StartLab = Callable[[Path, Path], AbstractContextManager[dict[str, str]]]


class WalkthroughError(Exception):
    """The page cannot be run as written; the message names the block."""


@dataclass(frozen=True)
class Step:
    block: Block
    where: str  # "cluster" or "both"
    prints: str | None  # text the output must contain
    expected: Expected | None  # the output block shown after it, if any

    def runs_in(self, mode: str) -> bool:
        return mode == "cluster" or self.where == "both"


@dataclass(frozen=True)
class StepResult:
    step: Step
    ran: bool
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""

    def problems(self) -> list[str]:
        """Why this step does not do what the page says (empty: it does)."""
        if not self.ran:
            return []
        block = self.step.block
        if self.returncode != 0:
            return [f"{block.id} exited {self.returncode}\n{self.stdout}{self.stderr}"]
        found = []
        if self.step.prints and self.step.prints not in self.stdout + self.stderr:
            found.append(
                f"{block.id} did not print {self.step.prints!r}:\n{self.stdout}{self.stderr}"
            )
        if self.step.expected and (mismatch := self.step.expected.mismatch(self.stdout)):
            found.append(mismatch)
        return found


def steps(page: Path) -> list[Step]:
    """The page's step blocks in order, each with its expected output."""
    blocks = list(blocks_in(page))
    outputs = {e.command.id: e for e in expected_outputs(blocks)}
    found = []
    for block in blocks:
        if block.directive is None or block.directive.name != "step":
            continue
        match = _STEP.match(block.directive.reason)
        if match is None:
            raise WalkthroughError(
                f'{block.id}: write a step as <!-- check: step; cluster|both[; prints "text"] -->'
            )
        found.append(Step(block, match["where"], match["text"], outputs.get(block.id)))
    return found


def saved_files(page: Path) -> dict[str, str]:
    """The page's titled manifest blocks: file name -> text, as the reader saves them."""
    return {b.title: b.source for b in blocks_in(page) if b.lang in ("yaml", "yml") and b.title}


class Shell:
    """Runs step blocks as one reader's shell would: variables and folder carry over."""

    def __init__(self, workdir: Path, env: dict[str, str], timeout: float) -> None:
        self.workdir, self.timeout = workdir, timeout
        self.state = workdir / ".walkthrough-state"
        self.cwd = workdir / ".walkthrough-cwd"
        self.env = env
        self.cwd.write_text(str(workdir))
        self.state.write_text("")

    def add(self, variables: dict[str, str]) -> None:
        """Set variables as if the reader had exported them (the lab's address, for example)."""
        with self.state.open("a") as state:
            for name, value in variables.items():
                state.write(f"export {name}={_quote(value)}\n")

    def run(self, block: Block) -> subprocess.CompletedProcess[str]:
        """Run one block in its own process group; one that outlives the timeout is killed with
        everything it started and counts as failed (exit 124)."""
        script = (
            f'. {_quote(str(self.state))}; cd "$(cat {_quote(str(self.cwd))})"\n'
            f"trap 'export -p > {_quote(str(self.state))}; pwd > {_quote(str(self.cwd))}' EXIT\n"
            f"set -a\n{block.source}"
        )
        with subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
            cwd=self.workdir, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True,
        ) as process:  # fmt: skip
            try:
                out, err = process.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                out, err = process.communicate()
                return subprocess.CompletedProcess(
                    block.source, 124, out, f"{err}timed out after {self.timeout:g} s\n"
                )
        return subprocess.CompletedProcess(block.source, process.returncode, out, err)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def prepare(page: Path, workdir: Path) -> None:
    """What the reader has before the first step: the page's manifests and the certificate script."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name, text in saved_files(page).items():
        (workdir / name).write_text(text)
    shutil.copy(CERT_TOOL, workdir / "mtls_certs.py")


def run(
    page: Path,
    workdir: Path,
    mode: str,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    start_lab: StartLab | None = None,
) -> list[StepResult]:
    """Run the page's steps in order and return what each did. Stops at the first failing step.

    ``start_lab(workdir, manifests)`` is the offline stand-in (default: :func:`page_lab`): a
    context manager that runs it and gives the variables a reader would set for it.
    """
    if mode not in MODES:
        raise WalkthroughError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    prepare(page, workdir)
    shell = Shell(workdir, {**os.environ, **(env or {})}, timeout)
    results: list[StepResult] = []
    with ExitStack() as stack:
        lab_started = False
        for step in steps(page):
            if not step.runs_in(mode):
                results.append(StepResult(step, ran=False))
                continue
            if mode == "offline" and not lab_started and "GATEWAY_IP" in step.block.source:
                manifests = lab_manifests(page, workdir)
                shell.add(stack.enter_context((start_lab or page_lab)(workdir, manifests)))
                lab_started = True
            done = shell.run(step.block)
            result = StepResult(step, True, done.returncode, done.stdout, done.stderr)
            results.append(result)
            if result.problems():
                break
    return results


def lab_manifests(page: Path, workdir: Path) -> Path:
    """One file with the page's objects the lab maps (Gateway, routes, policies)."""
    import yaml

    try:
        loaded = [doc for text in saved_files(page).values() for doc in yaml.safe_load_all(text)]
    except yaml.YAMLError as exc:
        raise WalkthroughError(f"{page}: a manifest is not valid YAML: {exc}") from None
    documents = [d for d in loaded if isinstance(d, dict) and d.get("kind") in LAB_KINDS]
    path = workdir / ".lab-manifests.yaml"
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
    return path


@contextmanager
def page_lab(workdir: Path, manifests: Path) -> Iterator[dict[str, str]]:
    """The local lab serving the page's Gateway with the certificates the page made in ``pki/``."""
    from mtls_guide.lab.reader_pki import ReaderPkiLab
    from mtls_guide.lab.translate import LabError

    try:
        lab = ReaderPkiLab(workdir / ".lab", [str(manifests)], workdir / "pki")
        lab.start()
    except (LabError, mc.UsageError) as exc:
        raise WalkthroughError(f"the lab could not stand in for the cluster: {exc}") from None
    try:
        env = lab.environment()
        yield {name: env[name] for name in ("GATEWAY_IP", "TERMINATE_PORT")}
    finally:
        lab.stop()


def report(results: list[StepResult]) -> Iterator[str]:
    for result in results:
        block = result.step.block
        if not result.ran:
            yield f"not run  {block.id} (needs a cluster)"
            continue
        problems = result.problems()
        yield f"{'FAILED' if problems else 'ok':8} {block.id}"
        yield from problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mtls_guide.walkthrough", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("page", type=Path, help="the page, e.g. docs/quickstart.md")
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--workdir", type=Path, required=True, help="an empty folder")
    args = parser.parse_args(argv)
    page = args.page if args.page.is_absolute() else Path.cwd() / args.page
    try:
        results = run(page, args.workdir.resolve(), args.mode)
    except (WalkthroughError, CollectError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    lines = list(report(results))
    print("\n".join(lines))
    failed = any(r.problems() for r in results)
    done = sum(r.ran for r in results)
    print(f"{done} of {len(results)} steps run in {args.mode} mode: {'FAILED' if failed else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

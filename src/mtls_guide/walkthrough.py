"""Run a walkthrough page (the Quick start) in page order, on a real cluster or offline.

A walkthrough page marks each command block with where it runs and what it must print::

    <!-- check: step; cluster; prints "condition met" -->
    <!-- check: step; lab -->
    <!-- check: step; both -->

``cluster`` steps need a real cluster (kind, Helm, Deployments, the Gateway's
load-balancer address); ``lab`` steps need a cluster too, but only for what the
local lab answers (``kubectl apply -f``, ``delete -f``, ``get``, and ``wait`` for
a condition); ``both`` steps need no cluster (the certificate script, curl). A
block marked ``<!-- check: output; ... -->`` right after a step shows what the
step prints; it is compared after :func:`mtls_guide.outputs.normalise`. Manifest
blocks with a title (``yaml title="gateway.yaml"``) are written to the working
folder under that name first, as a reader saves them.

Modes:

- ``cluster``: every step, in order, against the current kubectl context
  (the GitHub workflow ``quickstart.yml`` runs it on kind with Envoy Gateway);
- ``offline``: the ``lab`` and ``both`` steps, in order, with the real tools; a
  local lab (:mod:`mtls_guide.lab`, a real Envoy) stands in for the cluster:
  ``kubectl`` reaches it through the lab's kubectl table
  (:mod:`mtls_guide.lab.kubectl_map`, plus :mod:`mtls_guide.lab.kubectl_wait`),
  so the page's own Secrets, ConfigMaps, Gateway and routes are what Envoy
  serves. Where a skipped ``cluster`` step would read the Gateway's address, the
  lab's (``GATEWAY_IP``, ``TERMINATE_PORT``) is set instead. ``cluster`` steps
  are listed as not run; their manifests are validated by the block checker.

Steps share the reader's shell state: variables a step sets and the folder it
``cd``s into carry over to the next step.

Usage: python -m mtls_guide.walkthrough docs/quickstart.md --mode cluster --workdir DIR
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from mtls_guide.blocks import Block, CollectError, blocks_in
from mtls_guide.outputs import Expected, expected_outputs
from mtls_guide.paths import CERT_TOOL

if TYPE_CHECKING:
    from mtls_guide.lab.runner import Lab

MODES = ("cluster", "offline")
STEP_REASON = (
    r'(?P<where>cluster|lab|both)(?:; prints "(?P<text>[^"]+)")?'  # checkers.py uses it too
)
_STEP = re.compile(f"^{STEP_REASON}$")


class StandIn(Protocol):
    """What stands in for the cluster offline."""

    def shell_env(self, workdir: Path) -> dict[str, str]:
        """The environment of steps from now on (``kubectl`` reaching the stand-in)."""
        ...

    def address(self) -> dict[str, str]:
        """``GATEWAY_IP`` and ``TERMINATE_PORT`` of the Gateway the steps applied."""
        ...


StartStandIn = Callable[[Path], AbstractContextManager[StandIn]]


class WalkthroughError(Exception):
    """The page cannot be run as written; the message names the block."""


@dataclass(frozen=True)
class Step:
    block: Block
    where: str  # "cluster", "lab" or "both"
    prints: str | None  # text the output must contain
    expected: Expected | None  # the output block shown after it, if any

    def runs_in(self, mode: str) -> bool:
        return mode == "cluster" or self.where != "cluster"


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
                f'{block.id}: write a step as <!-- check: step; cluster|lab|both[; prints "text"] -->'
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
            # PATH stays the runner's: it changes when the stand-in starts.
            f'trap \'export -p | grep -v "^declare -x PATH=" > {_quote(str(self.state))};'
            f" pwd > {_quote(str(self.cwd))}' EXIT\n"
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
    stand_in: StartStandIn | None = None,
) -> list[StepResult]:
    """Run the page's steps in order and return what each did. Stops at the first failing step.

    ``stand_in(workdir)`` is what stands in for the cluster offline (default: :func:`page_lab`),
    started at the first step that needs it.
    """
    if mode not in MODES:
        raise WalkthroughError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    prepare(page, workdir)
    shell = Shell(workdir, {**os.environ, **(env or {})}, timeout)
    results: list[StepResult] = []
    with ExitStack() as stack:
        running: StandIn | None = None
        for step in steps(page):
            if mode == "offline" and running is None and _needs_stand_in(step):
                running = stack.enter_context((stand_in or page_lab)(workdir))
                shell.env = running.shell_env(workdir)
            if not step.runs_in(mode):
                if running is not None and "GATEWAY_IP" in step.block.source:
                    shell.add(running.address())  # what the skipped step would have read
                results.append(StepResult(step, ran=False))
                continue
            done = shell.run(step.block)
            result = StepResult(step, True, done.returncode, done.stdout, done.stderr)
            results.append(result)
            if result.problems():
                break
    return results


def _needs_stand_in(step: Step) -> bool:
    return step.where == "lab" or "GATEWAY_IP" in step.block.source


@contextmanager
def page_lab(workdir: Path) -> Iterator[StandIn]:
    """The local lab, empty until the steps apply objects to it, in ``workdir/.lab``."""
    from mtls_guide.lab.runner import Lab, LabError

    lab = Lab(workdir / ".lab", ())
    try:
        lab.start()
    except LabError as exc:
        raise WalkthroughError(f"the lab could not stand in for the cluster: {exc}") from None
    try:
        yield LabStandIn(lab)
    finally:
        lab.stop()


class LabStandIn:
    """The running lab as the cluster: kubectl through the lab's table, its Gateway's address."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab

    def shell_env(self, workdir: Path) -> dict[str, str]:
        from mtls_guide.lab.pages import RunningLab, environment

        env = environment(RunningLab(self.lab.workdir, {}), workdir)  # their kubectl shim
        shim_dir = workdir / ".walkthrough-shim"
        shim_dir.mkdir(exist_ok=True)
        shim = shim_dir / "kubectl"
        lab_kubectl = shutil.which("kubectl", path=env["PATH"])
        shim.write_text(
            "#!/bin/sh\n"
            'if [ "$1" = wait ]; then shift; exec '
            f"{shlex.quote(sys.executable)} -m mtls_guide.lab.kubectl_wait "
            f'{shlex.quote(str(self.lab.workdir))} "$@"; fi\n'
            f'exec {shlex.quote(str(lab_kubectl))} "$@"\n'
        )
        shim.chmod(0o755)
        return {**env, "PATH": os.pathsep.join([str(shim_dir), env["PATH"]])}

    def address(self) -> dict[str, str]:
        terminate = self.lab.plan.terminate
        if not terminate:
            raise WalkthroughError("no step gave the lab a terminating listener to call")
        return {"GATEWAY_IP": "127.0.0.1", "TERMINATE_PORT": str(self.lab.ports[terminate[0].key])}


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

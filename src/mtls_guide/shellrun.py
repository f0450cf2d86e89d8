"""Run a page's shell blocks for real, in page order, in one working folder.

Each block runs as the reader would paste it, under `bash -e -o pipefail`, so a
failing command fails the block. The environment is the caller's plus whatever
the page documents (for example GATEWAY_IP), and tools the tests provision
(kubectl) come first on PATH.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mtls_guide.blocks import Block, collect
from mtls_guide.pinned import read_asset
from mtls_guide.routing import route


@dataclass(frozen=True)
class Ran:
    block: Block
    returncode: int
    stdout: str
    stderr: str

    def explain(self) -> str:
        return f"{self.block.id} exited {self.returncode}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


def executable_blocks(page: str) -> list[Block]:
    """The page's bash blocks that carry no directive: the ones a runner must execute."""
    return [b for b in collect() if b.page == page and route(b) == "shell" and b.directive is None]


def tool_path(workdir: Path) -> str:
    """PATH with this interpreter's environment (python3, shellcheck) and the pinned kubectl first."""
    bin_dir = workdir / ".bin"
    bin_dir.mkdir(exist_ok=True)
    link = bin_dir / "kubectl"
    if not link.exists():
        link.symlink_to(read_asset("kubectl"))
    return os.pathsep.join(
        [str(bin_dir), str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    )


def run_blocks(
    blocks: list[Block],
    workdir: Path,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    errexit: bool = True,
    merged: bool = False,
) -> list[Ran]:
    """Run ``blocks`` in order. ``errexit``: stop a block at its first failing command (set -e);
    off for blocks whose documented outcome is a failure. ``merged``: stderr goes into stdout,
    interleaved as a terminal shows it (for comparing with the output a page shows)."""
    environment = {**os.environ, "PATH": tool_path(workdir), **(env or {})}
    flags = ["-e", "-o", "pipefail"] if errexit else []
    results = []
    for block in blocks:
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", *flags, "-c", block.source],
            cwd=workdir,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merged else subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=False,
        )
        results.append(Ran(block, done.returncode, done.stdout, done.stderr or ""))
    return results

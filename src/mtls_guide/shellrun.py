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

from mtls_guide.blocks import Block
from mtls_guide.paths import cache_dir
from mtls_guide.pinned import read_asset


@dataclass(frozen=True)
class Ran:
    block: Block
    returncode: int
    stdout: str
    stderr: str

    def explain(self) -> str:
        return f"{self.block.id} exited {self.returncode}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


def tool_path() -> str:
    """PATH with the pinned kubectl and this interpreter's environment (python3, shellcheck) first.

    kubectl is linked into the cache, not into the folder a page runs in, so running a page
    from the repository leaves nothing behind.
    """
    bin_dir = cache_dir() / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    link = bin_dir / "kubectl"
    target = read_asset("kubectl")
    if not link.is_symlink() or link.readlink() != target:
        link.unlink(missing_ok=True)
        link.symlink_to(target)
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
    environment = {**os.environ, "PATH": tool_path(), **(env or {})}
    flags = ["-e", "-o", "pipefail"] if errexit else []
    results: list[Ran] = []
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

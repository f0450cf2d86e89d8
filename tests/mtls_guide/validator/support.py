"""Running the validator CLI as a reader would: a subprocess, with a hang guard and a memory cap."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from mtls_guide.paths import ROOT

CLI = ROOT / "scripts" / "validate_manifests.py"
FIXTURES = ROOT / "tests" / "fixtures" / "manifests"
GATEWAY = ROOT / "snippets" / "terminate" / "gateway.yaml"
HANG_GUARD = 120  # seconds; a guard against hangs, not a speed check (benchmarks time it)
MEMORY_CAP = 512 * 1024 * 1024  # address space: the interpreter, CEL and RE2 fit easily


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run(
    *args: str | Path,
    stdin: str | bytes | None = None,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The CLI's exit status and output, under the memory cap; stdin may be bytes; ``env``
    adds to the test's environment."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(
        [sys.executable, str(CLI), *map(str, args)],
        input=data,
        capture_output=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=HANG_GUARD,
        preexec_fn=_cap_memory,
    )
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode(errors="replace"),
        done.stderr.decode(errors="replace"),
    )


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    """No traceback, whatever the input."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


def alias_bomb(levels: int = 9, fan_out: int = 10) -> str:
    """The classic "billion laughs": each level holds ``fan_out`` aliases of the one before."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * fan_out) + "]"]
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*a{level - 1}"] * fan_out)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\n"

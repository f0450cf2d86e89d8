"""Kill a certificate-tool command at every file-system step and report what each kill left.

Run by test_files.py as a script (never imported by tests):
    python crash_driver.py WORKDIR unnamed|named COMMAND...
COMMAND runs in a forked child whose os functions SIGKILL the child right before the Nth
call, for N = 1, 2, ... until a run finishes unkilled. Only these calls touch the file
system, so "before call N+1" is also "right after call N" (right after a link, say). WORKDIR/template, if it
exists, is copied into each run's folder first; "{dir}" in COMMAND stands for that folder.
`named` turns off unnamed temporary files (as on systems without O_TMPFILE). Each killed run
reports the folder as the kill left it ("files") and after what the next run does first,
mtls_certs.clean_stale_temps ("cleaned"). Prints JSON: {"steps": N, "runs": [{"step": n,
"files": {name: [links, complete]}, "cleaned": {...}}]}.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from mtls_guide import mtls_certs as mc

WATCHED = ("open", "write", "fchmod", "fsync", "link", "replace", "unlink", "close", "mkdir")


def kill_at(step: int) -> None:
    """Make the Nth watched os call SIGKILL this process instead of running."""
    count = 0

    def wrap(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal count
            count += 1
            if count == step:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)

        return call

    for name in WATCHED:
        setattr(os, name, wrap(getattr(os, name)))
    # fsync guards against power loss, not kill -9; skipping the disk flush keeps the 100-odd
    # runs fast while each call still counts as a kill point.
    os.fsync = wrap(lambda fd: None)


def killed(step: int, argv: list[str]) -> bool:
    pid = os.fork()
    if pid == 0:
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        kill_at(step)
        os._exit(mc.main(argv))
    _, status = os.waitpid(pid, 0)
    return os.WIFSIGNALED(status)


def complete(path: Path) -> bool:
    if path.suffix != ".key":
        return path.stat().st_size > 0
    try:
        serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError:
        return False
    return True


def left_in(folder: Path) -> dict[str, list[object]]:
    if not folder.exists():
        return {}
    return {p.name: [p.lstat().st_nlink, complete(p)] for p in sorted(folder.iterdir())}


def main() -> None:
    root, mode, command = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    mc.UNNAMED_TEMPS = mc.UNNAMED_TEMPS and mode == "unnamed"
    runs = []
    step = 1
    while True:
        folder = root / f"run-{step}"
        if (root / "template").is_dir():
            shutil.copytree(root / "template", folder)
        if not killed(step, [a.replace("{dir}", str(folder)) for a in command]):
            break
        run: dict[str, Any] = {"step": step, "files": left_in(folder)}
        mc.clean_stale_temps(folder)
        runs.append({**run, "cleaned": left_in(folder)})
        step += 1
    print(json.dumps({"steps": step, "runs": runs}))


if __name__ == "__main__":
    main()

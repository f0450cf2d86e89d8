"""Child processes that die with the lab, even when the lab is killed with SIGKILL.

Linux's parent-death signal (prctl PR_SET_PDEATHSIG) makes the kernel send SIGKILL to
the child when the thread that forked it exits; the child also gets a process group of
its own, so a Ctrl-C meant for the lab's terminal does not reach it before the lab has
stopped it in order. The lab starts its children from the main thread, whose exit is the
lab's exit.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Runs in the child between fork and exec."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the lab died before prctl took effect
        os._exit(1)


def spawn(argv: list[str], log_fd: int) -> subprocess.Popen[bytes]:
    """Start ``argv`` with stdout and stderr into ``log_fd``, tied to this process's life."""
    parent = os.getpid()
    return subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=log_fd,
        stderr=log_fd,
        start_new_session=True,
        preexec_fn=lambda: _die_with_parent(parent),
    )


def stop(process: subprocess.Popen[bytes], grace: float = 5) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; always reaps the child."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

"""Run a page's shell blocks, in page order, against a running lab.

Blocks run unchanged in bash with the pinned tools on PATH and a ``kubectl`` shim in
front of them (:mod:`mtls_guide.lab.kubectl_map`): what a block makes locally stays
local, what it applies or reads from the cluster goes to the lab. A load generator can
run meanwhile and follow the page's clients (:func:`run_under_load`).
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mtls_guide.blocks import Block
from mtls_guide.lab.kubectl_map import install_shim
from mtls_guide.pinned import read_asset
from mtls_guide.shellrun import Ran, tool_path


@dataclass
class RunningLab:
    """A lab started by `lab.py up` (its own process), as the reader starts it."""

    workdir: Path
    env: dict[str, str]


def read_env(workdir: Path) -> dict[str, str]:
    """lab.env's variables as the shell sees them."""
    done = subprocess.run(
        ["bash", "-c", 'set -a; . "$1"; set +a; env -0', "-", str(workdir / "lab.env")],
        capture_output=True, check=True, env={"PATH": os.environ.get("PATH", "")},
    )  # fmt: skip
    pairs = (item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    return {k: v for k, v in pairs if k in LAB_ENV}


LAB_ENV = (
    "GATEWAY_IP",
    "TERMINATE_HOST",
    "TERMINATE_PORT",
    "PASSTHROUGH_HOST",
    "PASSTHROUGH_PORT",
    "PKI_DIR",
)


def environment(lab: RunningLab, cwd: Path) -> dict[str, str]:
    """The shell environment: lab.env's variables, the shim, then the pinned tools."""
    shim_dir = cwd / ".lab-shim"
    shim_dir.mkdir(exist_ok=True)
    install_shim(shim_dir, lab.workdir, read_asset("kubectl"))
    path = os.pathsep.join([str(shim_dir), tool_path()])
    return {**os.environ, **lab.env, "PATH": path, "KUBECONFIG": os.devnull}


def run_block(block: Block, cwd: Path, env: dict[str, str], source: str | None = None) -> Ran:
    """Run ``block`` (or a mutated ``source`` of it) with ``set -e -o pipefail``."""
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", source or block.source],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return Ran(block, done.returncode, done.stdout, done.stderr)


def get(host: str, port: int, context: ssl.SSLContext) -> int:
    """GET / over a new loopback connection with SNI and Host ``host``: the status code."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms delayed-ACK stalls
    connection = http.client.HTTPSConnection(host, port, timeout=5)
    connection.sock = context.wrap_socket(raw, server_hostname=host)
    try:
        connection.request("GET", "/", headers={"Host": host})
        return connection.getresponse().status
    finally:
        connection.close()


def client_context(ca: Path, cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    context.load_cert_chain(str(cert), str(key))
    return context


@dataclass
class Load:
    """Requests on new connections, without pause, with whatever client the page has made current."""

    host: str
    ca_file: Path
    cert: tuple[Path, Path]
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _contexts: dict[tuple[Path, Path], ssl.SSLContext] = field(default_factory=dict)

    def use(self, cert: Path, key: Path) -> None:
        with self._lock:
            self.cert = (cert, key)

    def _context(self) -> ssl.SSLContext:
        """One context per client certificate, built once (building one costs more than a request)."""
        with self._lock:
            if self.cert not in self._contexts:
                self._contexts[self.cert] = client_context(self.ca_file, *self.cert)
            return self._contexts[self.cert]

    def _one(self, port: int) -> None:
        status = get(self.host, port, self._context())
        if status != 200:
            raise http.client.HTTPException(f"HTTP {status}")

    def _run(self, port: int) -> None:
        deadline = time.monotonic() + 60  # bounded, whatever happens
        while not self._stop.is_set() and time.monotonic() < deadline and self.requests < 20000:
            try:
                self._one(port)
            except Exception as exc:  # any failure of the current (trusted) client counts
                with self._lock:
                    self.failures.append(repr(exc))
            with self._lock:
                self.requests += 1

    def start(self, port: int, workers: int = 2) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self._run, args=(port,), daemon=True) for _ in range(workers)
        ]
        for thread in threads:
            thread.start()
        return threads

    def stop(self, threads: list[threading.Thread]) -> None:
        self._stop.set()
        for thread in threads:
            thread.join()


def run_under_load(
    lab: RunningLab,
    steps: list[tuple[Block, str]],
    cwd: Path,
    load: Load,
    after_step: Callable[[Block], None] = lambda block: None,
    pause: float = 0.2,
) -> list[Ran]:
    """Run ``steps`` ((block, source) pairs) in order while ``load`` sends requests; a step
    that fails stops the run. ``after_step`` lets the caller move the load to new clients."""
    env = environment(lab, cwd)
    threads = load.start(int(lab.env["TERMINATE_PORT"]))
    results = []
    try:
        time.sleep(pause)
        for block, source in steps:
            ran = run_block(block, cwd, env, source)
            results.append(ran)
            if ran.returncode != 0:
                break
            after_step(block)
            time.sleep(pause)
    finally:
        load.stop(threads)
    return results


def copy_tool(cwd: Path, tool: Path) -> None:
    shutil.copy(tool, cwd / tool.name)

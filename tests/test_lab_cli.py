"""`python scripts/lab.py up`: ready with lab.env, two at once, and SIGTERM stops everything."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from mtls_guide.paths import ROOT


def start(workdir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "lab.py"), "up", "--workdir", str(workdir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for_env(workdir: Path, process: subprocess.Popen) -> dict[str, str]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        env_file = workdir / "lab.env"
        if env_file.exists() and "PKI_DIR" in env_file.read_text():
            return dict(line.split("=", 1) for line in env_file.read_text().splitlines())
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.05)
    raise AssertionError("lab.env never appeared")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_two_labs_then_sigterm(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    labs = [(first, start(first)), (second, start(second))]
    envs = [wait_for_env(d, p) for d, p in labs]
    ports = [int(e[k]) for e in envs for k in ("TERMINATE_PORT", "PASSTHROUGH_PORT")]
    assert len(set(ports)) == 4 and all(port_open(p) for p in ports)
    assert set(envs[0]) == {
        "GATEWAY_IP",
        "TERMINATE_HOST",
        "TERMINATE_PORT",
        "PASSTHROUGH_HOST",
        "PASSTHROUGH_PORT",
        "PKI_DIR",
    }
    assert {p.name for p in Path(envs[0]["PKI_DIR"]).iterdir()} >= {
        "ca.crt",
        "ca.key",
        "client.crt",
        "client.key",
    }
    for _, process in labs:
        process.send_signal(signal.SIGTERM)
    for _, process in labs:
        out, err = process.communicate(timeout=20)
        assert process.returncode == 0, err
        assert "curl --resolve" in out and "lab stopped" in out
    assert not any(port_open(p) for p in ports)

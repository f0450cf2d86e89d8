"""The walkthrough runner on small pages: order, shared shell state, checks, modes, the CLI."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mtls_guide import walkthrough

FENCE = "```"


def page(tmp_path: Path, *blocks: tuple[str, str, str]) -> Path:
    """A page of (directive, language, body) blocks."""
    text = "\n".join(
        f"<!-- check: {d} -->\n{FENCE}{lang}\n{body}\n{FENCE}\n" for d, lang, body in blocks
    )
    path = tmp_path / "page.md"
    path.write_text(f"# A walkthrough\n\n{text}")
    return path


def run(path: Path, mode: str = "offline", **kwargs) -> list[walkthrough.StepResult]:
    return walkthrough.run(path, path.parent / "work", mode, timeout=30, **kwargs)


def problems(results: list[walkthrough.StepResult]) -> list[str]:
    return [p for r in results for p in r.problems()]


def test_variables_and_folder_carry_over(tmp_path: Path) -> None:
    path = page(
        tmp_path,
        ("step; both", "bash", "NAME=client-a\nmkdir -p pki\ncd pki"),
        ("step; both", "bash", 'echo "$NAME in $(basename "$PWD")"'),
        ("output; what it prints", "text", "client-a in pki"),
    )
    results = run(path)
    assert [r.ran for r in results] == [True, True] and problems(results) == []


def test_a_wrong_output_fails_with_both_texts(tmp_path: Path) -> None:
    path = page(
        tmp_path,
        ("step; both", "bash", "echo 'valid: 2026-11-28 10:29 port 127.0.0.1:40123'"),
        ("output; what it prints", "text", "valid: 2031-01-01 00:00 port 127.0.0.1:443 (extra)"),
    )
    (problem,) = problems(run(path))
    assert "the page shows" in problem and "(extra)" in problem


def test_normalised_parts_may_differ(tmp_path: Path) -> None:
    path = page(
        tmp_path,
        ("step; both", "bash", "echo 'valid: 2026-11-28 10:29 port 127.0.0.1:40123'"),
        ("output; what it prints", "text", "valid: 2031-01-01 00:00 port 127.0.0.1:443"),
    )
    assert problems(run(path)) == []


def test_missing_text_and_failing_step_stop_the_run(tmp_path: Path) -> None:
    path = page(
        tmp_path,
        ('step; both; prints "condition met"', "bash", "echo waiting"),
        ("step; both", "bash", "echo never"),
    )
    results = run(path)
    assert len(results) == 1 and "did not print 'condition met'" in problems(results)[0]
    failing = page(tmp_path, ("step; both", "bash", "false\necho after"))
    (problem,) = problems(run(failing))
    assert "exited 1" in problem and "after" not in problem


def test_cluster_steps_are_skipped_offline_and_run_on_a_cluster(tmp_path: Path) -> None:
    path = page(tmp_path, ("step; cluster", "bash", "echo on-a-cluster"))
    (offline,) = run(path, "offline")
    assert not offline.ran and offline.problems() == []
    (cluster,) = run(path, "cluster")
    assert cluster.ran and cluster.stdout == "on-a-cluster\n"


class FakeCluster:
    """A stand-in whose kubectl only echoes its arguments, at a documentation address."""

    def __init__(self, tmp_path: Path) -> None:
        self.bin = tmp_path / "fake-bin"
        self.started = 0

    def shell_env(self, workdir: Path) -> dict[str, str]:
        self.bin.mkdir(exist_ok=True)
        (self.bin / "kubectl").write_text('#!/bin/sh\necho "stand-in: $*"\n')
        (self.bin / "kubectl").chmod(0o755)
        return {**os.environ, "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}"}

    def address(self) -> dict[str, str]:
        return {"GATEWAY_IP": "192.0.2.7", "TERMINATE_PORT": "8443"}


def test_lab_steps_reach_the_stand_in_and_cluster_steps_do_not_run(tmp_path: Path) -> None:
    cluster = FakeCluster(tmp_path)

    @contextmanager
    def start(workdir: Path) -> Iterator[FakeCluster]:
        cluster.started += 1
        yield cluster

    path = page(
        tmp_path,
        ("step; both", "bash", "echo \"before: $(env | grep -c '^GATEWAY' || true)\""),
        ("output; x", "text", "before: 0"),
        ("step; lab", "bash", "kubectl apply -f gateway.yaml"),
        ("output; x", "text", "stand-in: apply -f gateway.yaml"),
        ("step; cluster", "bash", "GATEWAY_IP=$(kubectl get gateway g -o jsonpath=...)"),
        ("step; both", "bash", 'echo "${GATEWAY_IP}:${TERMINATE_PORT}"'),
        ("output; x", "text", "192.0.2.7:8443"),
    )
    results = run(path, stand_in=start)
    assert problems(results) == [] and cluster.started == 1
    assert [r.ran for r in results] == [True, True, False, True]


def test_titled_manifests_are_saved_as_the_reader_saves_them(tmp_path: Path) -> None:
    manifest = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: gateway"
    path = tmp_path / "page.md"
    path.write_text(f'{FENCE}yaml title="ns.yaml"\n{manifest}\n{FENCE}\n')
    work = tmp_path / "work"
    walkthrough.prepare(path, work)
    assert (work / "ns.yaml").read_text() == f"{manifest}\n"
    assert (work / "mtls_certs.py").exists()


def test_a_malformed_step_is_refused(tmp_path: Path) -> None:
    path = page(tmp_path, ("step; somewhere", "bash", "true"))
    with pytest.raises(walkthrough.WalkthroughError, match="cluster\\|lab\\|both"):
        walkthrough.steps(path)


def test_cli_reports_and_exits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = page(tmp_path, ("step; both", "bash", "echo hi"), ("step; cluster", "bash", "true"))
    assert (
        walkthrough.main([str(good), "--mode", "offline", "--workdir", str(tmp_path / "w1")]) == 0
    )
    out = capsys.readouterr().out
    assert "1 of 2 steps run in offline mode: ok" in out and "not run" in out
    bad = page(tmp_path, ("step; both", "bash", "exit 3"))
    assert walkthrough.main([str(bad), "--mode", "offline", "--workdir", str(tmp_path / "w2")]) == 1
    assert "FAILED" in capsys.readouterr().out
    missing = str(tmp_path / "nope.md")
    assert walkthrough.main([missing, "--mode", "cluster", "--workdir", str(tmp_path / "w3")]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_a_step_that_hangs_fails_and_leaves_nothing_running(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    path = page(tmp_path, ("step; both", "bash", f"sleep 60 &\necho $! > {pid_file}\nsleep 60"))
    (result,) = walkthrough.run(path, tmp_path / "work", "offline", timeout=0.5)
    assert result.returncode == 124 and "timed out after 0.5 s" in result.problems()[0]
    assert not alive(int(pid_file.read_text()))


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs, allowing init a moment to reap the killed orphan."""
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        if Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z"):
            return False  # killed, waiting to be reaped
        time.sleep(0.05)
    return True

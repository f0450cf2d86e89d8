"""`python scripts/lab.py up`: ready with lab.env, started twice, killed, and never
writing through a link planted in its workdir."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mtls_guide import paths
from mtls_guide.lab import cli, envoy_config, runner
from mtls_guide.lab.entry import catch_stop_signals
from mtls_guide.lab.pages import LAB_ENV
from mtls_guide.lab.runner import Lab, LabError
from mtls_guide.paths import ROOT

ENV_KEYS = set(LAB_ENV)  # what a page sources from lab.env


Start = Callable[[Path], "subprocess.Popen[str]"]
STOP_SIGNALS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT]
STOP_IDS = ["TERM", "INT", "HUP", "QUIT"]


def default_signals() -> None:
    """The lab starts as from a terminal: a background job's ignored SIGQUIT is not kept."""
    for signum in (signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, signal.SIG_DFL)


@pytest.fixture
def start() -> Iterator[Start]:
    """`lab.py up --workdir DIR`; whatever a failing test leaves running is killed after it
    (and its Envoy with it, by the parent-death signal)."""
    started: list[subprocess.Popen[str]] = []

    def run(workdir: Path) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "lab.py"), "up", "--workdir", str(workdir)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=default_signals,
        )  # fmt: skip
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)


def wait_for_env(workdir: Path, process: subprocess.Popen[str], stale: str = "") -> dict[str, str]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        env_file = workdir / "lab.env"
        text = env_file.read_text() if env_file.exists() else ""
        if "PKI_DIR" in text and text != stale:
            return read_env(env_file)
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.05)
    raise AssertionError("lab.env never appeared")


def read_env(env_file: Path) -> dict[str, str]:
    """lab.env as the shell reads it (values are shell-quoted)."""
    done = subprocess.run(
        ["bash", "-c", f'set -a; . "$1"; set +a; for k in {" ".join(sorted(ENV_KEYS))}; do printf "%s=%s\\n" "$k" "${{!k}}"; done', "-", str(env_file)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(line.split("=", 1) for line in done.stdout.splitlines())


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stop(process: subprocess.Popen[str], signum: int = signal.SIGTERM) -> tuple[str, str]:
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    return out, err


def test_two_labs_then_sigterm(tmp_path: Path, start: Start) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    labs = [(first, start(first)), (second, start(second))]
    envs = [wait_for_env(d, p) for d, p in labs]
    ports = [int(e[k]) for e in envs for k in ("TERMINATE_PORT", "PASSTHROUGH_PORT")]
    assert len(set(ports)) == 4 and all(port_open(p) for p in ports)
    assert set(envs[0]) == ENV_KEYS
    assert Path(envs[0]["PKI_DIR"]).is_absolute()
    assert {p.name for p in Path(envs[0]["PKI_DIR"]).iterdir()} >= {
        "ca.crt",
        "ca.key",
        "client.crt",
        "client.key",
    }
    for _, process in labs:
        out, _ = stop(process)
        assert "curl --resolve" in out and "lab stopped" in out
    assert not any(port_open(p) for p in ports)
    assert not (first / "lab.env").exists()  # lab.env exists exactly while the lab is ready


def test_second_start_reuses_the_pki_and_a_concurrent_one_is_refused(
    tmp_path: Path, start: Start
) -> None:
    workdir = tmp_path / "lab"
    lab = start(workdir)
    wait_for_env(workdir, lab)
    ca_key = (workdir / "pki" / "ca.key").read_bytes()
    again = start(workdir)
    _, err = again.communicate(timeout=30)
    assert again.returncode == 1 and err.count("\n") == 1 and "already running" in err, err
    stop(lab, signal.SIGINT)
    lab = start(workdir)
    wait_for_env(workdir, lab)
    stop(lab)
    assert (workdir / "pki" / "ca.key").read_bytes() == ca_key


def test_envoy_dies_with_a_killed_lab_and_the_workdir_starts_again(
    tmp_path: Path, start: Start
) -> None:
    workdir = tmp_path / "lab"
    lab = start(workdir)
    env = wait_for_env(workdir, lab)
    assert lab_cli(workdir, "status").returncode == 0
    ports = [int(env["TERMINATE_PORT"]), int(env["PASSTHROUGH_PORT"])]
    ca_key = (workdir / "pki" / "ca.key").read_bytes()
    stale = (workdir / "lab.env").read_text()
    lab.kill()
    lab.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while (processes_in(workdir) or any(map(port_open, ports))) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_in(workdir) == [], "Envoy outlived the lab"
    assert not any(map(port_open, ports))
    # What the killed lab left behind does not read as a running lab.
    assert (workdir / "lab.env").exists() and (workdir / "control.json").exists()
    status = lab_cli(workdir, "status")
    assert status.returncode == 1 and status.stdout.startswith("no lab is running in"), status
    assert "lab.env and control.json left by a lab that was killed" in status.stdout
    get = lab_cli(workdir, "get", "gateway", "mtls-terminate", "-n", "gateway")
    assert get.returncode == 1 and get.stderr.count("\n") == 1, get.stderr
    lab = start(workdir)
    env = wait_for_env(workdir, lab, stale)  # the killed lab's lab.env is replaced
    assert port_open(int(env["TERMINATE_PORT"]))
    assert lab_cli(workdir, "status").returncode == 0
    assert (workdir / "pki" / "ca.key").read_bytes() == ca_key  # the PKI is reused
    stop(lab)
    status = lab_cli(workdir, "status")
    assert status.returncode == 1 and status.stdout.strip() == f"no lab is running in {workdir}"


def lab_cli(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lab.py"), *args, "--workdir", str(workdir)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def processes_in(workdir: Path) -> list[str]:
    """Command lines of running processes that name ``workdir`` (Envoy's is its config)."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if entry.name.isdigit() and str(workdir) in cmdline:
                found.append(cmdline)
    return found


@pytest.mark.parametrize("delay", [0.05, 0.1, 0.2, 0.5])
@pytest.mark.parametrize("signum", STOP_SIGNALS, ids=STOP_IDS)
def test_every_stop_signal_exits_0(
    tmp_path: Path, start: Start, signum: signal.Signals, delay: float
) -> None:
    """However early the signal comes: exit 0, nothing left running, no lab.env."""
    workdir = tmp_path / "lab"
    lab = start(workdir)
    time.sleep(delay)
    stop(lab, signum)
    assert processes_in(workdir) == [] and not (workdir / "lab.env").exists()


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGQUIT], ids=["HUP", "QUIT"])
def test_a_stop_signal_started_ignored_stays_ignored(signum: signal.Signals) -> None:
    """`nohup lab.py up` keeps running when its terminal closes."""
    saved = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    try:
        signal.signal(signum, signal.SIG_IGN)
        catch_stop_signals()
        assert signal.getsignal(signum) is signal.SIG_IGN
    finally:
        for caught, handler in saved.items():
            signal.signal(caught, handler)


@pytest.mark.parametrize("signum", STOP_SIGNALS, ids=STOP_IDS)
def test_console_script_catches_an_early_stop_signal(
    tmp_path: Path, signum: signal.Signals
) -> None:
    """`mtls-lab up` (pyproject's [project.scripts]) starts where scripts/lab.py does."""
    script = Path(sys.executable).with_name("mtls-lab")
    if not script.exists():
        pytest.skip("mtls-lab is not installed next to this Python")
    workdir = tmp_path / "lab"
    lab = subprocess.Popen(
        [str(script), "up", "--workdir", str(workdir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=default_signals,
    )  # fmt: skip
    try:
        time.sleep(0.05)
        stop(lab, signum)
    finally:
        if lab.poll() is None:
            lab.kill()
            lab.communicate()
    assert processes_in(workdir) == [] and not (workdir / "lab.env").exists()


def test_printed_env_line_works_with_spaces(tmp_path: Path, start: Start) -> None:
    workdir = tmp_path / "a lab with spaces"
    lab = start(workdir)
    wait_for_env(workdir, lab)
    out, _ = stop(lab)
    line = next(line for line in out.splitlines() if line.strip().startswith("set -a"))
    # The lab has stopped and removed lab.env, so source a copy of what it had written.
    (workdir / "lab.env").write_text("PKI_DIR=" + str(workdir / "pki").replace(" ", "\\ ") + "\n")
    done = subprocess.run(
        ["bash", "-c", f'{line.strip()}; printf %s "$PKI_DIR"'],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout == str(workdir / "pki"), (line, done.stderr)


@pytest.mark.parametrize("name", ["envoy.json", "lab.env", "envoy.log", "pki"])
def test_planted_links_are_not_followed(tmp_path: Path, name: str) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    workdir = tmp_path / "lab"
    workdir.mkdir()
    (workdir / name).symlink_to(victim)
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lab.py"), "up", "--workdir", str(workdir)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (
        done.returncode == 1 and "symbolic link" in done.stderr and done.stderr.count("\n") == 1
    ), done.stderr
    assert victim.read_text() == "precious\n"
    assert (workdir / name).is_symlink()


def test_failed_start_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Envoy rejects the listeners: nothing the lab started is left running."""
    real = envoy_config.listeners

    def broken(plan, sds_dir):  # type: ignore[no-untyped-def]
        out = real(plan, sds_dir)
        out[0]["filter_chains"][0]["filters"][0]["typed_config"]["@type"] += "Nope"
        return out

    monkeypatch.setattr(envoy_config, "listeners", broken)
    lab = Lab(tmp_path)
    with pytest.raises(LabError, match="rejected"):
        lab.start()
    assert lab.envoy is not None and lab.envoy.poll() is not None
    assert lab.backends == [] and lab.control is None
    assert not (tmp_path / "lab.env").exists() and not (tmp_path / "control.json").exists()
    assert os.listdir(tmp_path)  # the PKI stays for the next start


def test_installed_without_the_pages_up_asks_for_f(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """From a wheel there is no snippets/ folder: one line that says to pass -f, no traceback."""
    monkeypatch.setattr(paths, "in_checkout", lambda: False)
    monkeypatch.setattr(runner, "ROOT", tmp_path)  # and no pages' manifests where they would be
    assert cli.main(["up", "--workdir", str(tmp_path / "lab")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "-f FILE" in err, err
    assert not (tmp_path / "lab").exists()  # refused before anything was made


def test_lab_page_commands_run_as_printed(tmp_path: Path, start: Start) -> None:
    """docs/lab.md's second and third blocks, in a folder laid out like a fresh clone, with
    the lab running in its .lab: use.sh in one shell, apply.sh at the root in another.
    `uv run` is this test's Python (uv itself would build a .venv in the repository)."""
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("scripts", "snippets"):
        (clone / name).symlink_to(ROOT / name)
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "uv").write_text(f'#!/bin/sh\n[ "$1" = run ] && shift\nexec {sys.executable} "$@"\n')
    (shims / "uv").chmod(0o755)
    lab = start(clone / ".lab")
    wait_for_env(clone / ".lab", lab)
    env = {**os.environ, "PATH": f"{shims}:{os.environ['PATH']}"}
    use = (ROOT / "snippets" / "lab" / "use.sh").read_text()
    curl = 'curl -sS -o /dev/null -w "%{http_code}" --resolve "$TERMINATE_HOST:$TERMINATE_PORT:$GATEWAY_IP" --cacert ca.crt --cert client.crt --key client.key "https://$TERMINATE_HOST:$TERMINATE_PORT/"'
    done = subprocess.run(
        ["bash", "-e", "-c", f"{use}\n{curl}"], cwd=clone, env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout == "200", done.stderr
    done = subprocess.run(
        ["bash", "-e", str(ROOT / "snippets" / "lab" / "apply.sh")], cwd=clone, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "securitypolicy.gateway.envoyproxy.io/only-client-a created" in done.stdout
    assert 'securitypolicy.gateway.envoyproxy.io "only-client-a" deleted' in done.stdout
    assert "reason: Accepted" in done.stdout and done.stdout.rstrip().endswith(
        f"its variables are in {clone / '.lab' / 'lab.env'}"
    )
    out, _ = stop(lab)
    assert f"cd {ROOT} && uv run scripts/lab.py get gateway" in out  # what `up` prints agrees

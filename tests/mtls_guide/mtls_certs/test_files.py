"""How the certificate tool writes files: one link per key, whole files, no leftovers after kill -9."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mtls_guide import mtls_certs as mc
from mtls_guide.paths import CERT_TOOL
from tests.mtls_guide.mtls_certs.support import HOST

DRIVER = Path(__file__).with_name("crash_driver.py")
INIT_FILES = {f"{n}.{e}" for n in ("ca", "server", "client") for e in ("crt", "key")}


def kill_everywhere(workdir: Path, mode: str, *command: str) -> list[dict]:
    """The runs of crash_driver.py: what each kill -9 left in the folder."""
    result = subprocess.run(
        [sys.executable, str(DRIVER), str(workdir), mode, *command],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)["runs"]


def damaged(run: dict, when: str = "files") -> list[str]:
    """Names left (as the kill left them, or "cleaned") that are not whole single-link files."""
    return [
        name
        for name, (links, whole) in run[when].items()
        if name not in INIT_FILES or links != 1 or not whole
    ]


@pytest.mark.skipif(not mc.UNNAMED_TEMPS, reason="needs O_TMPFILE and /proc (Linux)")
def test_kill_9_at_any_point_of_init_leaves_one_link_and_no_temporary(tmp_path: Path) -> None:
    runs = kill_everywhere(tmp_path, "unnamed", "init", "{dir}", "--dns", HOST)
    assert len(runs) > 50  # before every file-system call of all six files
    assert any("ca.key" in r["files"] for r in runs) and any(not r["files"] for r in runs)
    assert [(r["step"], damaged(r)) for r in runs if damaged(r)] == []


def test_named_temporaries_leave_a_second_link_until_the_next_run(tmp_path: Path) -> None:
    """Without O_TMPFILE a kill between link and unlink leaves a second name for the key (the
    flaw this guards against); the next run removes it."""
    runs = kill_everywhere(tmp_path, "named", "init", "{dir}", "--dns", HOST)
    assert any(r["files"].get("ca.key", [1])[0] == 2 for r in runs)
    assert [(r["step"], damaged(r, "cleaned")) for r in runs if damaged(r, "cleaned")] == []


@pytest.mark.parametrize("mode", ["unnamed", "named"])
def test_kill_9_while_replacing_a_leaf_keeps_one_whole_key(tmp_path: Path, mode: str) -> None:
    assert mc.main(["init", str(tmp_path / "template"), "--dns", HOST]) == 0
    command = ["client", "{dir}", "--dns", "a.example.com", "--name", "client", "--force"]
    runs = kill_everywhere(tmp_path, mode, *command)
    assert len(runs) > 5
    assert all("client.key" in r["files"] for r in runs)  # the old key or the new, never none
    assert [(r["step"], damaged(r, "cleaned")) for r in runs if damaged(r, "cleaned")] == []


def test_only_temporaries_of_dead_runs_are_cleaned(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)  # fmt: skip
    names = {
        "dead": f".ca.key.mtls-tmp.{dead.stdout.strip()}.0a1b2c3d",
        "alive": f".ca.key.mtls-tmp.{os.getpid()}.0a1b2c3d",
        "mine": ".ca.key.backup",  # not the tool's pattern: never touched
    }
    for name in names.values():
        (tmp_path / name).write_text("x")
    mc.clean_stale_temps(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([names["alive"], names["mine"]])


def test_keys_are_private_under_any_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        assert mc.main(["init", str(tmp_path / "pki"), "--dns", HOST]) == 0
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "pki").iterdir()}
    assert {n: m for n, m in modes.items() if n.endswith(".key")} == dict.fromkeys(
        ["ca.key", "server.key", "client.key"], 0o600
    )


def test_a_planted_symlink_is_never_followed(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "server.key").symlink_to(tmp_path / "elsewhere.key")
    assert mc.main(["init", str(tmp_path / "pki"), "--dns", HOST]) == 1
    assert not (tmp_path / "elsewhere.key").exists()


def test_racing_inits_leave_one_consistent_ca(tmp_path: Path) -> None:
    target = tmp_path / "pki"
    racers = [
        subprocess.Popen(
            [sys.executable, str(CERT_TOOL), "init", str(target), "--dns", HOST],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outcomes = sorted((racer.wait(timeout=120), racer.communicate()[1]) for racer in racers)
    assert [code for code, _ in outcomes] == [0, 1, 1, 1], outcomes
    assert all(err.count("\n") == 1 and "refus" in err for _, err in outcomes[1:]), outcomes
    assert {p.name: p.stat().st_nlink for p in target.iterdir()} == dict.fromkeys(INIT_FILES, 1)
    ca = mc.load_ca(target)
    for role in ("server", "client"):
        mc.verify_chain(mc.read_cert(target / f"{role}.crt"), [ca.cert], role, host=HOST)


@pytest.mark.skipif(not mc.UNNAMED_TEMPS, reason="needs O_TMPFILE and /proc (Linux)")
@pytest.mark.parametrize("replace", [False, True])
def test_a_system_that_will_not_link_from_proc_gets_named_temporaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replace: bool
) -> None:
    """Some sandboxes refuse linkat() through /proc/self/fd: the write still happens, whole."""
    real_link = os.link

    def no_proc_links(source: str, target: str, **kwargs: object) -> None:
        if str(source).startswith("/proc/"):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_link(source, target, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "link", no_proc_links)
    (tmp_path / "a.crt").write_text("old")
    mc.write_cert(tmp_path / ("a.crt" if replace else "b.crt"), b"new\n", replace=replace)
    names = {p.name: (p.read_text(), p.stat().st_nlink) for p in tmp_path.iterdir()}
    expected = {"a.crt": ("new\n", 1)} if replace else {"a.crt": ("old", 1), "b.crt": ("new\n", 1)}
    assert names == expected

"""Every command the package installs, and every script a clone offers, answers ``--help``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from mtls_guide.paths import ROOT

CONSOLE_SCRIPTS = sorted(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"])
SCRIPTS = sorted((ROOT / "scripts").glob("*.py"))


def help_problem(command: list[str]) -> str | None:
    """Why ``command --help`` is not a clean answer (exit 0, no traceback), or None."""
    done = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0 or "Traceback" in done.stderr or not done.stdout.strip():
        return f"{' '.join(command)} --help exited {done.returncode}: {done.stderr.strip()}"
    return None


@pytest.mark.parametrize("name", CONSOLE_SCRIPTS)
def test_console_script_answers_help(name: str) -> None:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is not installed next to {sys.executable}"
    assert help_problem([found]) is None


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_script_answers_help(script: Path) -> None:
    assert help_problem([sys.executable, str(script)]) is None


def test_help_check_fails_on_a_crashing_script(tmp_path: Path) -> None:
    script = tmp_path / "broken.py"
    script.write_text("import no_such_module_here\n")
    problem = help_problem([sys.executable, str(script)])
    assert problem is not None and "exited 1" in problem and "no_such_module_here" in problem

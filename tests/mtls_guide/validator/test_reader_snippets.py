"""The snippets readers paste (pre-commit config, GitHub Actions step) agree with what the
repository offers; each checker is shown failing on a wrong snippet."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mtls_guide.blocks import Block, blocks_in
from mtls_guide.paths import ROOT
from mtls_guide.validator.reader_snippets import (
    github_step,
    offered_hooks,
    pre_commit_config,
    release_tag,
)

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def block(tmp_path: Path, directive: str, body: str) -> Block:
    page = tmp_path / "page.md"
    page.write_text(f"<!-- check: {directive}; test -->\n```yaml\n{body}```\n")
    (found,) = blocks_in(page)
    return found


def test_the_offered_hook_runs_the_console_script_on_yaml() -> None:
    hook = offered_hooks()["mtls-validate"]
    assert hook["entry"] in PROJECT["scripts"]
    assert (hook["language"], hook["types"]) == ("python", ["yaml"])


def test_release_tag_is_the_package_version() -> None:
    assert release_tag() == f"v{PROJECT['version']}"


CONFIG = """\
repos:
  - repo: https://github.com/OWNER/mtls-guide
    rev: REV
    hooks:
      - id: ID
        args: ARGS
"""


def config(rev: str = "", hook: str = "mtls-validate", args: str = "[--quiet]") -> str:
    text = CONFIG.replace("REV", rev or release_tag()).replace("ID", hook)
    return text.replace("ARGS", args)


def test_a_correct_pre_commit_config_passes(tmp_path: Path) -> None:
    assert pre_commit_config(block(tmp_path, "pre-commit-config", config())) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (config(hook="mtls-lint"), "no hook 'mtls-lint' in .pre-commit-hooks.yaml"),
        (config(rev="v0.0.1"), "is not this release"),
        (config(args="[--output, xml]"), "invalid choice: 'xml'"),
        ("repos: []\n", "no repos"),
    ],
)
def test_a_wrong_pre_commit_config_fails(tmp_path: Path, text: str, problem: str) -> None:
    problems = pre_commit_config(block(tmp_path, "pre-commit-config", text))
    assert any(problem in p for p in problems), problems


STEP = """\
- name: Validate
  run: |
    pipx install "git+https://github.com/OWNER/mtls-guide@TAG"
    COMMAND
"""


def step(command: str, tag: str = "") -> str:
    return STEP.replace("TAG", tag or release_tag()).replace("COMMAND", command)


def test_a_correct_step_passes(tmp_path: Path) -> None:
    text = step("mtls-validate --fetch --output github k8s/")
    assert github_step(block(tmp_path, "github-step", text)) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (step("mtls-validate --format github k8s/"), "unrecognized arguments: --format"),
        (step("mtls-fetch-pins schemas"), "mtls-fetch-pins takes one of"),
        (step("mtls-validate k8s/", tag="v0.0.1"), "not this release"),
        ("name: not a list\n", "expected a list of workflow steps"),
    ],
)
def test_a_wrong_step_fails(tmp_path: Path, text: str, problem: str) -> None:
    problems = github_step(block(tmp_path, "github-step", text))
    assert any(problem in p for p in problems), problems

"""Checkers for the validator page's snippets that readers paste into their own repositories:
a ``.pre-commit-config.yaml`` and a GitHub Actions step. Each must agree with what this
repository really offers (``.pre-commit-hooks.yaml``, the CLI's options, the package version).
"""

from __future__ import annotations

import contextlib
import io
import shlex
from importlib import metadata
from typing import Any

import yaml

from mtls_guide.blocks import Block
from mtls_guide.fetch import ACTIONS
from mtls_guide.paths import ROOT
from mtls_guide.validator.cli import parse_args

HOOKS_FILE = ROOT / ".pre-commit-hooks.yaml"


def release_tag() -> str:
    """The tag readers pin: ``v`` and the package version."""
    return f"v{metadata.version('mtls-guide')}"


def offered_hooks() -> dict[str, dict[str, Any]]:
    """The hooks of ``.pre-commit-hooks.yaml`` by id."""
    return {hook["id"]: hook for hook in yaml.safe_load(HOOKS_FILE.read_text())}


def cli_problem(args: list[str]) -> str | None:
    """argparse's complaint about ``mtls-validate`` arguments, or None when they parse."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            parse_args(args)
    except SystemExit:
        return err.getvalue().strip().splitlines()[-1]
    return None


def _load(block: Block) -> tuple[Any, list[str]]:
    try:
        return yaml.safe_load(block.source), []
    except yaml.YAMLError as exc:
        return None, [f"{block.id}: not valid YAML: {exc}"]


def pre_commit_config(block: Block) -> list[str]:
    """A reader's pre-commit config: known hook ids, this release, arguments the CLI takes."""
    config, problems = _load(block)
    if problems:
        return problems
    hooks, tag = offered_hooks(), release_tag()
    repos = (config or {}).get("repos") or []
    if not repos:
        return [f"{block.id}: no repos"]
    for repo in repos:
        if repo.get("rev") != tag:
            problems.append(f"{block.id}: rev {repo.get('rev')!r} is not this release ({tag})")
        for hook in repo.get("hooks") or []:
            if hook.get("id") not in hooks:
                problems.append(f"{block.id}: no hook {hook.get('id')!r} in .pre-commit-hooks.yaml")
                continue
            args = hook.get("args", hooks[hook["id"]].get("args", []))
            if problem := cli_problem([*args, "manifest.yaml"]):
                problems.append(f"{block.id}: hook args {args}: {problem}")
    return problems


def _run_line_problem(line: str, tag: str) -> str | None:
    words = shlex.split(line)
    if words[:1] == ["mtls-validate"]:
        return cli_problem(words[1:])
    if words[:1] == ["mtls-fetch-pins"] and words[1:] not in ([a] for a in ACTIONS):
        return f"mtls-fetch-pins takes one of {', '.join(ACTIONS)}"
    if words[:2] in (["pipx", "install"], ["pip", "install"]) and not words[-1].endswith(tag):
        return f"installs {words[-1]!r}, not this release ({tag})"
    return None


def github_step(block: Block) -> list[str]:
    """GitHub Actions steps: every mtls-* command takes its arguments, installs pin this release."""
    steps, problems = _load(block)
    if problems:
        return problems
    if not isinstance(steps, list) or not steps:
        return [f"{block.id}: expected a list of workflow steps"]
    tag, commands = release_tag(), 0
    for step in steps:
        for line in str(step.get("run", "")).splitlines():
            if not line.strip():
                continue
            commands += line.split()[0].startswith(("mtls-", "pip"))
            if problem := _run_line_problem(line, tag):
                problems.append(f"{block.id}: {line.strip()!r}: {problem}")
    if not commands:
        problems.append(f"{block.id}: no mtls-validate command")
    return problems

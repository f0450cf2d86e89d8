"""Expected output on the pages, checked against the real run.

A block marked ``<!-- check: output; what it shows -->`` shows what the block
right before it prints. The runner of that page (the walkthrough runner, the
lab-block runner, the certificates page test) runs the command for real and
compares: both texts go through :func:`normalise`, which replaces only what
differs from run to run, so the page shows the text of one real run and still
fails when anything else changes.

What :func:`normalise` replaces, and why:

- dates and times (``2026-11-28 10:29``): certificates are issued at test time;
- hex strings of 16+ digits (serial numbers, SHA-256 hashes, XFCC ``Hash=``):
  every key and certificate is new;
- 44-character base64 SHA-256 digests (SPKI hashes): same reason;
- a port after ``host:`` (``127.0.0.1:40123``): the lab binds free ports;
- temporary folders (``/tmp/...``): the suite runs in a fresh folder.

Trailing spaces and blank lines at either end are ignored too.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from mtls_guide.blocks import Block
from mtls_guide.paths import ROOT

NORMALISERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?"), "<time>"),
    (re.compile(r"\b[0-9a-fA-F]{16,}\b"), "<hex>"),
    (re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}="), "<base64>"),
    (re.compile(r"(?<=[\w.\]]:)\d{2,5}\b"), "<port>"),
    (re.compile(r"/tmp/[^\s'\"]*"), "<tmp>"),
)


def normalise(text: str) -> str:
    """``text`` with the run-specific parts replaced (see the module docstring)."""
    for pattern, replacement in NORMALISERS:
        text = pattern.sub(replacement, text)
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n")).strip("\n")


@dataclass(frozen=True)
class Expected:
    """A command block and the output block that shows what it prints."""

    command: Block
    output: Block

    def mismatch(self, printed: str) -> str | None:
        """None when ``printed`` is what the page shows, else an explanation with both texts."""
        shown, actual = normalise(self.output.source), normalise(printed)
        if shown == actual:
            return None
        return (
            f"{self.output.id}: the page shows (normalised)\n{shown}\n"
            f"but {self.command.id} printed (normalised)\n{actual}"
        )


def is_output(block: Block) -> bool:
    return block.directive is not None and block.directive.name == "output"


def expected_outputs(blocks: list[Block] | tuple[Block, ...]) -> list[Expected]:
    """Each output block paired with the block right before it on the same page."""
    pairs = []
    for previous, block in itertools.pairwise(blocks):
        if is_output(block):
            if previous.page != block.page or is_output(previous):
                raise ValueError(f"{block.id}: an output block must follow the command it shows")
            pairs.append(Expected(previous, block))
    return pairs


def rewrite(root: Path, found: list[tuple[Expected, str]]) -> None:
    """Put what each command really printed into its output block on the page (bottom-up, so
    earlier blocks keep their line numbers). For writers: ``UPDATE_OUTPUTS=1`` in the tests."""
    for expected, printed in sorted(found, key=lambda f: f[0].output.line, reverse=True):
        page = root / expected.output.page
        lines = page.read_text(encoding="utf-8").split("\n")
        fence = lines[expected.output.line - 1]
        indent = fence[: len(fence) - len(fence.lstrip())]
        body = len(expected.output.raw.split("\n")) if expected.output.raw else 0
        new = [f"{indent}{line}" if line else "" for line in printed.strip("\n").split("\n")]
        lines[expected.output.line : expected.output.line + body] = new
        page.write_text("\n".join(lines), encoding="utf-8")


def output_problems(found: list[tuple[Expected, str]]) -> list[str]:
    """Compare each output block with what its command printed.

    For writers: with ``UPDATE_OUTPUTS=1`` in the environment the pages are rewritten with the
    real output instead, only where it no longer matches (the rest keep their hashes and
    ports); rerun without it and review the diff.
    """
    if os.environ.get("UPDATE_OUTPUTS") == "1":
        rewrite(ROOT, [(e, printed) for e, printed in found if e.mismatch(printed)])
        return []
    return [m for expected, printed in found if (m := expected.mismatch(printed))]

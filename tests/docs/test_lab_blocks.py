"""Blocks marked `<!-- check: lab; exit N|M; prints "text" -->` run against the local lab.

They run in page order, in the lab's PKI folder (where ca.crt, client.crt and
client.key live), with the variables lab.env documents. The exit code must be
one the page names, and the output must contain the text it names.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from mtls_guide.blocks import Block, collect
from mtls_guide.lab.runner import Lab
from mtls_guide.routing import route
from mtls_guide.shellrun import Ran, run_blocks

_EXPECT = re.compile(r'^exit (?P<codes>\d+(?:\|\d+)*)(?:; prints "(?P<text>[^"]+)")?$')


def lab_blocks() -> dict[str, list[Block]]:
    pages: dict[str, list[Block]] = defaultdict(list)
    for block in collect():
        if route(block) == "lab":
            pages[block.page].append(block)
    return pages


PAGES = lab_blocks()
BLOCKS = [b for blocks in PAGES.values() for b in blocks]


def expectation(block: Block) -> tuple[set[int], str | None]:
    match = _EXPECT.match(block.directive.reason)
    assert match, f'{block.id}: write the outcome as: <!-- check: lab; exit 0|56; prints "text" -->'
    return {int(c) for c in match["codes"].split("|")}, match["text"]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ran]:
    with Lab(tmp_path_factory.mktemp("lab")) as lab:
        env = lab.environment()
        pki = Path(env["PKI_DIR"])
        ran = [
            r
            for blocks in PAGES.values()
            for r in run_blocks(blocks, pki, env, timeout=30, errexit=False)
        ]
    return {r.block.id: r for r in ran}


def test_pages_have_lab_blocks() -> None:
    assert {"docs/verification.md", "docs/passthrough.md", "docs/terminate.md"} <= set(PAGES)


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_block_has_its_documented_outcome(block: Block, results: dict[str, Ran]) -> None:
    codes, text = expectation(block)
    ran = results[block.id]
    assert ran.returncode in codes, ran.explain()
    if text:
        assert text in ran.stdout + ran.stderr, ran.explain()

"""One test per fenced code block on the site, run by the checker the registry gives it.

A block with no checker fails; so does a checker that no block uses.
"""

from __future__ import annotations

import pytest

from mtls_guide.blocks import Block, collect
from mtls_guide.checkers import CHECKERS, parse

BLOCKS = collect()


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_block(block: Block, request: pytest.FixtureRequest) -> None:
    check = parse(block)  # raises Unaccounted for a block nobody checks
    problems = check.run({name: request.getfixturevalue(name) for name in check.checker.needs})
    assert not problems, "\n".join(problems)


def test_site_has_blocks() -> None:
    # Guards the parametrization above: an empty collection would pass vacuously.
    assert len(BLOCKS) >= 10


def test_every_checker_has_a_block() -> None:
    used = {parse(block).checker.name for block in BLOCKS}
    unused = {c.name for c in CHECKERS} - used
    assert not unused, f"checkers no block uses (remove them, or use them): {sorted(unused)}"

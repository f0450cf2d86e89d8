"""The collector sees exactly the code blocks the site renders, with the same text.

This is what makes "every block is checked" true: a fence the collector misses
(an indented code block, a fence it misparses) or a block whose rendered text
differs from what was checked fails here.
"""

from __future__ import annotations

import pytest

from mtls_guide.blocks import DOCS, blocks_in, display_path, pages
from tests.support import rendered_code

PAGES = pages(DOCS)


@pytest.mark.parametrize("page", PAGES, ids=[display_path(p) for p in PAGES])
def test_collector_matches_rendered_blocks(page) -> None:
    collected = [b.source.rstrip("\n") for b in blocks_in(page)]
    assert collected == rendered_code(page.read_text(encoding="utf-8"))

"""The collector sees exactly the code blocks the site renders, with the same text.

This is what makes "every block is checked" true: a fence the collector misses
(an indented code block, a fence it misparses) or a block whose rendered text
differs from what was checked fails here.
"""

from __future__ import annotations

import functools
import html
import re

import markdown
import pytest
from mkdocs.config import load_config

from mtls_guide.blocks import DOCS, ROOT, blocks_in, display_path, pages

_PRE = re.compile(r"<pre\b[^>]*>(.*?)</pre>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


@functools.cache
def _site_markdown() -> markdown.Markdown:
    config = load_config(str(ROOT / "mkdocs.yml"))
    return markdown.Markdown(
        extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"]
    )


def rendered_code(page_text: str) -> list[str]:
    """The text of every <pre> block Python-Markdown renders for a page, as a reader copies it."""
    md = _site_markdown()
    md.reset()
    out = md.convert(page_text)
    texts = []
    for body in _PRE.findall(out):
        text = html.unescape(_TAG.sub("", body))
        texts.append(text.rstrip("\n"))
    return texts


PAGES = pages(DOCS)


@pytest.mark.parametrize("page", PAGES, ids=[display_path(p) for p in PAGES])
def test_collector_matches_rendered_blocks(page) -> None:
    collected = [b.source.rstrip("\n") for b in blocks_in(page)]
    assert collected == rendered_code(page.read_text(encoding="utf-8"))

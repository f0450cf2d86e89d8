"""Helpers shared by test modules (tests never import each other)."""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

import markdown
from mkdocs.config import load_config

from mtls_guide.blocks import Block, blocks_in
from mtls_guide.paths import ROOT

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
    return [html.unescape(_TAG.sub("", body)).rstrip("\n") for body in _PRE.findall(out)]


def last_block(folder: Path, text: str) -> Block:
    """The last block of a page made of ``text`` (written to ``folder``)."""
    page = folder / "page.md"
    page.write_text(text, encoding="utf-8")
    *_, block = blocks_in(page)
    return block


def markdown_table(page: Path, heading: str) -> list[list[str]]:
    """The body rows of the first table in the ``## heading`` section of ``page``, as cells."""
    section = page.read_text(encoding="utf-8").split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows[2:]]

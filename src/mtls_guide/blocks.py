"""The block collector: every fenced code block a reader can copy, as the build renders it.

A block is found in the raw page (so its id names the line a writer edits,
``docs/terminate.md:42``), and its body is expanded with the same
``pymdownx.snippets`` settings the site uses, so a checker sees exactly the text
the reader copies. ``tests/docs/test_rendering.py`` proves the two views agree by
rendering every page with the site's Markdown configuration.

A block may be preceded by a directive comment, which never renders::

    <!-- check: shell; needs a live cluster, so it is linted and not run -->
    <!-- check: output; what the command above prints -->

The name picks a checker other than the one the language implies; what the text
after ``;`` must say is up to that checker (see ``checkers.py``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mtls_guide.paths import ROOT

if TYPE_CHECKING:
    from pymdownx.snippets import SnippetPreprocessor

DOCS = ROOT / "docs"
SNIPPETS = ROOT / "snippets"

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_DIRECTIVE = re.compile(
    r"^\s*<!--\s*check:\s*(?P<name>[a-z][a-z0-9-]*)\s*(?:;\s*(?P<reason>.*?))?\s*-->\s*$"
)
_INCLUDE = re.compile(r"""^\s*-{1,}8<-{1,}\s+(?P<q>["'])(?P<target>[^"']+)(?P=q)\s*$""")
_DANGLING_DIRECTIVE = re.compile(r"<!--\s*check:")


class CollectError(Exception):
    """A page cannot be read as the build would read it; the message names page and line."""


@dataclass(frozen=True)
class Directive:
    name: str
    reason: str


@dataclass(frozen=True)
class Block:
    page: str  # path relative to the repository, POSIX style
    line: int  # 1-based line of the opening fence in the raw page
    lang: str
    source: str  # body after include expansion: what the reader copies
    includes: tuple[str, ...] = ()
    directive: Directive | None = None
    raw: str = ""  # body as written on the page, before include expansion
    title: str = field(default="")

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    def origin(self) -> tuple[str, int]:
        """Where the block's first line lives: the snippet file when the block is one include,
        else the page; the int is the offset to add to a line of the block."""
        lines = [line for line in self.raw.split("\n") if line.strip()]
        if len(self.includes) == 1 and len(lines) == 1 and ":" not in self.includes[0]:
            return self.includes[0], 0
        return self.page, self.line


def _lang_and_title(info: str) -> tuple[str, str]:
    info = info.strip()
    if info.startswith("{"):
        # attribute form: ``{ .yaml title="x" }``
        match = re.search(r"\.([\w+-]+)", info)
        lang = match.group(1) if match else ""
    else:
        lang = info.split(maxsplit=1)[0] if info else ""
    title = re.search(r'title="([^"]*)"', info)
    return lang.lower(), title.group(1) if title else ""


@functools.cache
def _snippet_preprocessor() -> SnippetPreprocessor:
    """The pymdownx.snippets preprocessor configured exactly as in mkdocs.yml."""
    import markdown
    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    options = config["mdx_configs"]["pymdownx.snippets"]
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": options}
    )
    preprocessor: SnippetPreprocessor = md.preprocessors["snippet"]
    return preprocessor


def expand(lines: list[str], where: str) -> list[str]:
    """Expand ``--8<--`` includes in ``lines`` as the site build does."""
    from pymdownx.snippets import SnippetMissingError

    try:
        expanded: list[str] = _snippet_preprocessor().run(list(lines))
        return expanded
    except SnippetMissingError as exc:
        raise CollectError(f"{where}: {exc}") from None


def _directive(previous: str | None, where: str) -> Directive | None:
    if previous is None:
        return None
    match = _DIRECTIVE.match(previous)
    if match is None:
        if _DANGLING_DIRECTIVE.search(previous):
            raise CollectError(f"{where}: malformed directive {previous.strip()!r}")
        return None
    return Directive(match.group("name"), (match.group("reason") or "").strip())


def display_path(path: Path) -> str:
    """A path as a writer knows it: relative to the repository when it is inside."""
    resolved = path.resolve()
    return resolved.relative_to(ROOT).as_posix() if resolved.is_relative_to(ROOT) else str(path)


def blocks_in(page: Path) -> Iterator[Block]:
    """Yield the fenced blocks of one page, in page order."""
    rel = display_path(page)
    lines = page.read_text(encoding="utf-8").split("\n")
    previous: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = _FENCE_OPEN.match(line)
        if opening is None:
            if _INCLUDE.match(line):
                raise CollectError(
                    f"{rel}:{index + 1}: include outside a code fence; put snippets inside a fence"
                )
            if line.strip():
                if previous is not None and _DANGLING_DIRECTIVE.search(previous):
                    _directive(previous, f"{rel}:{index}")  # raises on a malformed one
                    raise CollectError(f"{rel}:{index}: directive not followed by a code fence")
                previous = line
            index += 1
            continue
        start = index
        indent, fence = opening.group("indent"), opening.group("fence")
        body: list[str] = []
        index += 1
        while index < len(lines):
            stripped = lines[index].strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                break
            body.append(
                lines[index][len(indent) :] if lines[index].startswith(indent) else lines[index]
            )
            index += 1
        else:
            raise CollectError(f"{rel}:{start + 1}: code fence {fence!r} is never closed")
        where = f"{rel}:{start + 1}"
        lang, title = _lang_and_title(opening.group("info"))
        includes = tuple(m.group("target") for m in map(_INCLUDE.match, body) if m)
        expanded = expand(body, where) if includes else body
        yield Block(
            page=rel,
            line=start + 1,
            lang=lang,
            # Trailing blank lines (an included file's final newline) do not render.
            source="\n".join(expanded).rstrip("\n") + "\n",
            includes=includes,
            directive=_directive(previous, where),
            raw="\n".join(body),
            title=title,
        )
        previous = None
        index += 1


def pages(docs: Path = DOCS) -> list[Path]:
    return sorted(docs.rglob("*.md"))


@functools.cache
def collect(docs: Path = DOCS) -> tuple[Block, ...]:
    """Every block of every page under ``docs`` (read once per run; many test modules ask)."""
    return tuple(block for page in pages(docs) for block in blocks_in(page))

"""YAML to Kubernetes objects, the way `kubectl` reads them, keeping line numbers.

Differences from a plain ``yaml.safe_load_all`` that change verdicts
(validation-semantics §1.2):

- timestamps stay strings (Kubernetes converts YAML to JSON; ``2024-01-01`` is a string there);
- a duplicate mapping key is reported (strict field validation rejects it; PyYAML keeps the last);
- every node's line is kept, so a problem is reported at the line of the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

Path = tuple[str | int, ...]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader without the timestamp resolver."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


_STR = "tag:yaml.org,2002:str"


@dataclass
class Document:
    """One YAML document of a file."""

    index: int  # 0-based position in the file
    line: int  # 1-based line where the document starts
    value: object = None
    lines: dict[Path, int] = field(default_factory=dict)  # path -> 1-based line
    duplicates: list[Path] = field(default_factory=list)
    error: str | None = None  # YAML syntax error, with its line

    def line_of(self, path: Path) -> int:
        """The line of ``path``, or of its closest ancestor that exists in the source."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return self.line


def _construct(loader: _Loader, node: yaml.Node, path: Path, doc: Document) -> object:
    doc.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        result: dict[str, object] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            key = key if isinstance(key, str) else str(key)
            if key in result:
                doc.duplicates.append((*path, key))
            result[key] = _construct(loader, value_node, (*path, key), doc)
            doc.lines[(*path, key)] = (
                key_node.start_mark.line + 1
            )  # report at the key, not its value
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, item, (*path, i), doc) for i, item in enumerate(node.value)]
    if node.tag == _STR:
        return node.value  # most scalars: skip the constructor's dispatch
    return loader.construct_object(node)


_SEPARATOR = re.compile(r"^---(\s|$)")


def _chunks(text: str) -> list[tuple[int, str]]:
    """Split a stream at ``---`` lines so one broken document cannot hide the others.

    Each chunk keeps its separator line, so PyYAML's line numbers plus the chunk's
    offset are lines of the whole file.
    """
    chunks: list[tuple[int, list[str]]] = [(0, [])]
    for number, line in enumerate(text.splitlines(keepends=True)):
        if _SEPARATOR.match(line) and chunks[-1][1]:
            chunks.append((number, []))
        chunks[-1][1].append(line)
    return [(offset, "".join(lines)) for offset, lines in chunks]


def _parse_chunk(text: str, offset: int, documents: list[Document]) -> None:
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            doc = Document(
                index=len(documents), line=offset + (node.start_mark.line + 1 if node else 1)
            )
            documents.append(doc)
            if node is not None:
                doc.value = _construct(loader, node, (), doc)
                doc.lines = {path: offset + line for path, line in doc.lines.items()}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = offset + (mark.line + 1 if mark else 1)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        documents.append(
            Document(index=len(documents), line=line, error=f"not valid YAML: {problem}")
        )
    finally:
        loader.dispose()


def load_documents(text: str) -> list[Document]:
    """Parse every document of ``text``; a syntax error makes an error document and parsing goes on."""
    documents: list[Document] = []
    for offset, chunk in _chunks(text):
        _parse_chunk(chunk, offset, documents)
    return documents

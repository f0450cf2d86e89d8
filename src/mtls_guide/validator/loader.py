"""YAML to Kubernetes objects, the way `kubectl` reads them, keeping line numbers.

Differences from a plain ``yaml.safe_load_all`` that change verdicts
(validation-semantics §1.2):

- timestamps stay strings (Kubernetes converts YAML to JSON; ``2024-01-01`` is a string there);
- a duplicate mapping key is reported (strict field validation rejects it; PyYAML keeps the last);
- every node's line is kept, so a problem is reported at the line of the field.

Values are built from libyaml's event stream without recursion, so hostile input
is refused as it is read, with bounded memory:

- an alias bomb is refused by the rule of the API server's YAML decoder (go-yaml,
  used through sigs.k8s.io/yaml): once more than 100 nodes come from alias
  expansion and more than 1,000 nodes were decoded, the share coming from aliases
  may be at most 99 %, falling linearly to 10 % between 400,000 and 4,000,000
  decoded nodes ("yaml: document contains excessive aliasing"). Alias values are
  shared, never copied, so counting them costs nothing;
- nesting deeper than :data:`MAX_DEPTH` levels is refused. go-yaml allows 10,000
  levels, far above what the later Python stages can walk (their recursion limit is
  1,000 frames); no Kubernetes object comes near 100 levels;
- a run may hold at most :data:`MAX_DOCUMENTS` documents and :data:`MAX_NODES` nodes
  (aliases counted expanded, since the later stages walk them expanded); beyond that
  :class:`LimitExceeded` stops the run.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field
from typing import Any, cast

import yaml

Path = tuple[str | int, ...]

MAX_DEPTH = 100
MAX_DOCUMENTS = 20_000
MAX_NODES = 500_000  # about 150 MB once validated; 5,000 Gateways are 150,000 nodes

# go-yaml's alias budget (yaml.v2 decode.go and yaml.v3 decode.go, the same constants).
_ALIAS_RATIO_LOW = 400_000
_ALIAS_RATIO_HIGH = 4_000_000
EXCESSIVE_ALIASING = "yaml: document contains excessive aliasing"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader without the timestamp resolver."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
# Tags whose scalars stay text: JSON has no timestamps (an explicit !!timestamp is a string).
_AS_TEXT = frozenset({_STR, _MERGE, "tag:yaml.org,2002:timestamp"})
_RESOLVER = _Loader("")


@functools.lru_cache(maxsize=4096)
def _plain_tag(value: str) -> str:
    """The tag YAML 1.1 gives an untagged plain scalar (most are keys seen over and over)."""
    return str(_RESOLVER.resolve(yaml.ScalarNode, value, (True, False)))


class LimitExceeded(Exception):
    """The input is larger than one run may hold; the message is one line."""


@dataclass
class Budget:
    """What one run has read so far, across every input."""

    documents: int = 0
    nodes: int = 0


def allowed_alias_ratio(decoded: int) -> float:
    """go-yaml's ``allowedAliasRatio``: the share of decoded nodes that may come from aliases."""
    if decoded <= _ALIAS_RATIO_LOW:
        return 0.99
    if decoded >= _ALIAS_RATIO_HIGH:
        return 0.10
    span = _ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW
    return 0.99 - 0.89 * (decoded - _ALIAS_RATIO_LOW) / span


def excessive_aliasing(aliased: int, decoded: int) -> bool:
    return aliased > 100 and decoded > 1000 and aliased / decoded > allowed_alias_ratio(decoded)


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


def _key_text(key: object) -> str:
    """A non-string mapping key as sigs.k8s.io/yaml writes it into JSON (``true``, not ``True``)."""
    if isinstance(key, bool) or key is None:
        return "null" if key is None else str(key).lower()
    return str(key)


class _Refused(Exception):
    """This document is refused (aliasing, depth); parsing goes on with the next one."""


_NO_KEY = object()


@dataclass
class _Frame:
    """An open mapping or sequence."""

    value: dict[str, object] | list[object]
    path: Path | None  # None inside a complex mapping key: no lines are kept there
    anchor: str | None
    nodes: int = 1  # nodes below and including this one, aliases expanded
    key: object = _NO_KEY  # a mapping's pending key
    key_line: int = 0
    merging: bool = False  # the pending key is "<<"
    merges: list[object] = field(default_factory=list)


class _Builder:
    """Turns the events of one chunk into documents."""

    def __init__(self, offset: int, documents: list[Document], budget: Budget) -> None:
        self.offset, self.documents, self.budget = offset, documents, budget
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[object, int]] = {}
        self.doc: Document | None = None
        self.open = False  # a document has started and not ended
        self.decoded = self.aliased = 0

    # -- where a node goes ---------------------------------------------------------------------

    def _child_path(self) -> Path | None:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if top.path is None:
            return None
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        return (*top.path, top.key) if isinstance(top.key, str) else None

    def line_at(self, mark: Any) -> int:
        # Any: the C parser's marks (yaml._yaml.Mark) are not the typed yaml.Mark, same fields.
        return self.offset + int(mark.line) + 1

    def _record(self, path: Path | None, line: int) -> None:
        assert self.doc is not None
        if path is None:
            return
        top = self.stack[-1] if self.stack else None
        in_mapping = top is not None and isinstance(top.value, dict)
        self.doc.lines[path] = top.key_line if in_mapping and top else line  # at the key

    def _count(self, nodes: int, aliased: bool) -> None:
        self.decoded += nodes
        self.budget.nodes += nodes
        if aliased:  # checked only when aliases add nodes: the share can only grow then
            self.aliased += nodes
            if excessive_aliasing(self.aliased, self.decoded):
                raise _Refused(
                    f"{EXCESSIVE_ALIASING} ({self.aliased:,} of {self.decoded:,} nodes come "
                    "from aliases); the API server refuses it"
                )
        if self.budget.nodes > MAX_NODES:
            raise LimitExceeded(
                f"more than {MAX_NODES:,} YAML nodes in one run (aliases counted expanded); "
                "validate the files in smaller groups"
            )

    def _attach(self, value: object, nodes: int, line: int, tag: str | None = None) -> None:
        """Put a finished node into its parent (or make it the document's root)."""
        assert self.doc is not None
        if not self.stack:
            self.doc.value = value
            return
        top = self.stack[-1]
        top.nodes += nodes
        if isinstance(top.value, list):
            top.value.append(value)
        elif top.key is _NO_KEY:
            top.key = value if isinstance(value, str) else _key_text(value)
            top.key_line, top.merging = line, tag == _MERGE
        else:
            self._set(top, value)

    def _set(self, top: _Frame, value: object) -> None:
        assert self.doc is not None and isinstance(top.value, dict)
        key, top.key = top.key, _NO_KEY
        if top.merging:
            top.merges += value if isinstance(value, list) else [value]
            return
        assert isinstance(key, str)
        if key in top.value and top.path is not None:
            self.doc.duplicates.append((*top.path, key))
        top.value[key] = value

    # -- events -----------------------------------------------------------------------------------

    def scalar(self, event: yaml.ScalarEvent, loader: _Loader) -> None:
        """One scalar: most events of every file, so the common cases are written out here."""
        tag, value = event.tag, event.value
        start: Any = event.start_mark  # a C-parser mark (see line_at)
        if tag is None or tag == "!":
            tag = _plain_tag(value) if event.implicit[0] else _STR
        if tag not in _AS_TEXT:
            node = yaml.ScalarNode(tag, value, start, cast(Any, event.end_mark))
            # Called directly: construct_object would remember every node for the whole chunk.
            constructor = loader.yaml_constructors.get(tag) or loader.yaml_constructors[None]
            value = constructor(loader, node)
            if isinstance(value, bytes):  # !!binary: JSON has no bytes; go-yaml gives a string
                value = value.decode("utf-8", "replace")
        line = self.offset + start.line + 1
        self._count(1, aliased=False)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        if not self.stack:
            self._record((), line)
            self._attach(value, 1, line, tag)
            return
        top = self.stack[-1]
        if top.path is not None and (type(top.value) is list or isinstance(top.key, str)):
            self._record(self._child_path(), line)
        self._attach(value, 1, line, tag)

    def start(
        self, event: yaml.CollectionStartEvent, value: dict[str, object] | list[object]
    ) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise _Refused(
                f"nested deeper than {MAX_DEPTH} levels; no Kubernetes object nests that deep"
            )
        path, line = self._child_path(), self.line_at(event.start_mark)
        self._record(path, line)
        self._count(1, aliased=False)
        self.stack.append(_Frame(value, path, event.anchor))

    def end(self) -> None:
        frame = self.stack.pop()
        if frame.merges:
            self._merge(frame)
        if frame.anchor:
            self.anchors[frame.anchor] = (frame.value, frame.nodes)
        self._attach(frame.value, frame.nodes, 0)

    def _merge(self, frame: _Frame) -> None:
        """YAML merge keys (``<<``): keys of the merged mappings the mapping does not set itself."""
        assert isinstance(frame.value, dict)
        merged: dict[str, object] = {}
        for source in frame.merges:
            if not isinstance(source, dict):
                raise _Refused("a merge key (<<) needs a mapping or a list of mappings")
            for key, value in source.items():
                merged.setdefault(key, value)
        frame.value.update({k: v for k, v in merged.items() if k not in frame.value})

    def alias(self, event: yaml.AliasEvent) -> None:
        if any(frame.anchor == event.anchor for frame in self.stack):
            raise _Refused(f"anchor '{event.anchor}' value contains itself")
        if event.anchor not in self.anchors:
            raise _Refused(f"unknown anchor '{event.anchor}' referenced")
        value, nodes = self.anchors[event.anchor]
        line = self.line_at(event.start_mark)
        self._record(self._child_path(), line)
        self._count(nodes, aliased=True)
        self._attach(value, nodes, line)  # shared: nothing downstream changes decoded values

    def document_start(self, line: int) -> None:
        self.budget.documents += 1
        if self.budget.documents > MAX_DOCUMENTS:
            raise LimitExceeded(
                f"more than {MAX_DOCUMENTS:,} YAML documents in one run; "
                "validate the files in smaller groups"
            )
        self.doc, self.open = Document(index=len(self.documents), line=line), True
        self.documents.append(self.doc)
        self.stack, self.anchors, self.decoded, self.aliased = [], {}, 0, 0


def _parse_chunk(text: str, offset: int, documents: list[Document], budget: Budget) -> None:
    loader = _Loader(text)
    builder = _Builder(offset, documents, budget)
    try:
        _feed(loader, builder)
    except (yaml.YAMLError, _Refused) as exc:
        if isinstance(exc, _Refused):
            line = builder.doc.line if builder.doc else offset + 1
            message = str(exc)
        else:
            mark = getattr(exc, "problem_mark", None)
            line = offset + (mark.line + 1 if mark else 1)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            message = f"not valid YAML: {problem}"
        if builder.open:
            documents.pop()  # the half-built document becomes the error document
        documents.append(Document(index=len(documents), line=line, error=message))
    finally:
        loader.dispose()


_NODE_EVENTS = (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.AliasEvent)


def _feed(loader: _Loader, builder: _Builder) -> None:
    """Hand each event to the builder (``type() is``: the hot loop of every run)."""
    pending_start: int | None = None
    while (event := loader.get_event()) is not None:
        kind = type(event)
        if pending_start is not None and kind in _NODE_EVENTS:
            builder.document_start(builder.line_at(event.start_mark))
            pending_start = None
        if kind is yaml.ScalarEvent:
            builder.scalar(event, loader)
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            builder.end()
        elif kind is yaml.MappingStartEvent:
            builder.start(event, {})
        elif kind is yaml.SequenceStartEvent:
            builder.start(event, [])
        elif kind is yaml.AliasEvent:
            builder.alias(event)
        elif kind is yaml.DocumentStartEvent:
            pending_start = builder.line_at(event.start_mark)
        elif kind is yaml.DocumentEndEvent:
            builder.open = False
        elif kind is yaml.StreamEndEvent:
            break


# A byte-order mark may start any line: libyaml and go-yaml skip it there ("Allow the BOM"),
# which is how a file that begins with one still reads after `cat a.yaml b.yaml`.
_BOM_AT_LINE_START = re.compile("^\ufeff+", re.MULTILINE)
_SEPARATOR = re.compile(r"^---(?=\s|$)", re.MULTILINE)


def _chunks(text: str) -> list[tuple[int, str]]:
    """Split a stream at ``---`` lines so one broken document cannot hide the others.

    Each chunk keeps its separator line, so a line in a chunk plus the chunk's offset
    is a line of the whole file. Slicing (not splitting into lines) keeps memory to
    one copy of the text.
    """
    starts = [m.start() for m in _SEPARATOR.finditer(text) if m.start() > 0]
    bounds = [0, *starts, len(text)]
    chunks, line = [], 0
    for begin, end in itertools.pairwise(bounds):
        chunks.append((line, text[begin:end]))
        line += text.count("\n", begin, end)
    return chunks


def load_documents(text: str, budget: Budget | None = None) -> list[Document]:
    """Parse every document of ``text``; a syntax error makes an error document and parsing goes on.

    Raises :class:`LimitExceeded` when the run's ``budget`` of documents or nodes is spent.
    """
    budget = Budget() if budget is None else budget
    documents: list[Document] = []
    if "\ufeff" in text:
        text = _BOM_AT_LINE_START.sub("", text)
    for offset, chunk in _chunks(text):
        _parse_chunk(chunk, offset, documents, budget)
    return documents

"""The pinned CRDs of one channel, indexed by group, version and kind.

Parsing every CRD takes a few seconds; the parsed index is cached on disk, keyed
by the lock's sha256 values, so the CLI answers fast from a warm cache and a new
lock can never be served a stale index.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from dataclasses import dataclass
from typing import Any

import yaml

from mtls_guide.files import write_atomically
from mtls_guide.paths import cache_dir
from mtls_guide.pinned import CrdPin, crd_pins, read_crd

CHANNELS = ("standard", "experimental")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class CrdVersion:
    group: str
    kind: str
    version: str
    served: bool
    namespaced: bool
    status_subresource: bool
    schema: dict[str, Any]
    source: str  # lock path of the CRD file


@dataclass
class SchemaIndex:
    channel: str
    versions: dict[tuple[str, str, str], CrdVersion]  # (group, version, kind)

    def lookup(self, group: str, version: str, kind: str) -> CrdVersion | None:
        return self.versions.get((group, version, kind))

    def knows_kind(self, group: str, kind: str) -> list[CrdVersion]:
        return [v for (g, _, k), v in self.versions.items() if (g, k) == (group, kind)]


def _pins_for(channel: str) -> list[CrdPin]:
    return [p for p in crd_pins() if p.channel in (channel, "all")]


def _parse(channel: str) -> SchemaIndex:
    versions: dict[tuple[str, str, str], CrdVersion] = {}
    for pin in _pins_for(channel):
        for doc in yaml.load_all(read_crd(pin), Loader=_LOADER):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for ver in spec["versions"]:
                versions[(spec["group"], ver["name"], spec["names"]["kind"])] = CrdVersion(
                    group=spec["group"],
                    kind=spec["names"]["kind"],
                    version=ver["name"],
                    served=bool(ver.get("served")),
                    namespaced=spec.get("scope") == "Namespaced",
                    status_subresource="status" in (ver.get("subresources") or {}),
                    schema=ver.get("schema", {}).get("openAPIV3Schema", {}),
                    source=pin.path,
                )
    return SchemaIndex(channel, versions)


def load_index(channel: str) -> SchemaIndex:
    """The index for ``channel``, from the disk cache when the lock is unchanged."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    key = hashlib.sha256("".join(p.sha256 for p in _pins_for(channel)).encode()).hexdigest()[:16]
    path = cache_dir() / "validator" / f"{channel}-{key}.pickle"
    try:
        with path.open("rb") as handle:
            index: SchemaIndex = pickle.load(handle)
            return index
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        pass
    index = _parse(channel)
    with contextlib.suppress(OSError):  # a read-only cache only costs speed
        write_atomically(path, pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
    return index

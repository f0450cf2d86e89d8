"""The pinned CRDs of one channel, indexed by group, version and kind.

Parsing every CRD takes most of a second; the parsed index is cached on disk as
JSON (data that cannot run code), and a cached index is used only when

- every pinned CRD file (mirror or download cache) still matches the lock's
  sha256 -- checked on every load, so a missing or tampered mirror is an error even
  with a cache present;
- the cache names the same CRD hashes and the same code (a hash of this module and
  the PyYAML version), so a new lock or a changed parser never meets a stale index;
- its content hashes to the digest stored beside it, so an edited cache file is
  rebuilt instead of trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from mtls_guide.paths import cache_dir
from mtls_guide.pinned import CrdPin, crd_pins, read_crd

CHANNELS = ("standard", "experimental")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CACHE_FORMAT = 2


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

    def __post_init__(self) -> None:
        self.by_kind: dict[tuple[str, str], list[CrdVersion]] = {}
        for (group, _, kind), version in self.versions.items():
            self.by_kind.setdefault((group, kind), []).append(version)

    def lookup(self, group: str, version: str, kind: str) -> CrdVersion | None:
        return self.versions.get((group, version, kind))

    def knows_kind(self, group: str, kind: str) -> list[CrdVersion]:
        return self.by_kind.get((group, kind), [])


def _pins_for(channel: str) -> list[CrdPin]:
    return [p for p in crd_pins() if p.channel in (channel, "all")]


def _parse(channel: str, files: dict[str, bytes]) -> SchemaIndex:
    versions: dict[tuple[str, str, str], CrdVersion] = {}
    for path, data in files.items():
        for doc in yaml.load_all(data, Loader=_LOADER):
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
                    source=path,
                )
    return SchemaIndex(channel, versions)


def code_version() -> str:
    """A hash of the code that builds the index: this module and the YAML parser's version."""
    source = Path(__file__).read_bytes()
    return hashlib.sha256(source + yaml.__version__.encode()).hexdigest()


def cache_path(channel: str) -> Path:
    return cache_dir() / "validator" / f"{channel}.json"


def _read_cache(path: Path, pins: list[str], code: str) -> SchemaIndex | None:
    """The cached index if it is intact and made from these pins by this code, else None.

    The file is a JSON header line, then the index as JSON; the header holds the
    index's sha256, checked before the index is parsed.
    """
    try:
        header_line, _, payload = path.read_bytes().partition(b"\n")
        header = json.loads(header_line)
        expected = {"format": CACHE_FORMAT, "pins": pins, "code": code}
        if any(header.get(k) != v for k, v in expected.items()):
            return None
        if hashlib.sha256(payload).hexdigest() != header.get("digest"):
            return None
        versions = json.loads(payload)
        index = {(v["group"], v["version"], v["kind"]): CrdVersion(**v) for v in versions}
        return SchemaIndex(header["channel"], index)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # unreadable, not JSON, or not our shape: rebuilt, never trusted


def _write_cache(path: Path, index: SchemaIndex, pins: list[str], code: str) -> None:
    payload = json.dumps([asdict(v) for v in index.versions.values()], separators=(",", ":"))
    header = {
        "format": CACHE_FORMAT,
        "channel": index.channel,
        "pins": pins,
        "code": code,
        "digest": hashlib.sha256(payload.encode()).hexdigest(),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as tmp:
            tmp.write(json.dumps(header) + "\n" + payload)
        os.replace(tmp.name, path)
    except OSError:
        pass  # a read-only cache only costs speed


def load_index(channel: str) -> SchemaIndex:
    """The index for ``channel``: every pinned file verified, then the cache if it is valid.

    Raises ``PinError`` when a pinned CRD file is missing or does not match the lock.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    pins = _pins_for(channel)
    files = {pin.path: read_crd(pin) for pin in pins}  # verifies every sha256, cache or not
    hashes, code = [pin.sha256 for pin in pins], code_version()
    path = cache_path(channel)
    index = _read_cache(path, hashes, code)
    if index is None:
        index = _parse(channel, files)
        _write_cache(path, index, hashes, code)
    return index

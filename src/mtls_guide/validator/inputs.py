"""Reading the validator's inputs: files, folders and standard input, with bounded reads.

Sizes are never taken from ``stat``: a FIFO, ``/dev/zero`` or a growing file has no
honest size, so every input is read with a cap and refused once it goes past it.
A folder is walked without following symbolic links out of it.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAX_BYTES = 16 * 1024 * 1024  # per input; the API server takes at most 3 MiB per object
MAX_TOTAL_BYTES = 64 * 1024 * 1024  # per run
SUFFIXES = (".yaml", ".yml")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Input:
    """One input that was read: its name as reported, and its text."""

    source: str
    text: str


@dataclass(frozen=True)
class ReadError:
    """An input that could not be read; ``fatal`` stops the run (the total cap was reached)."""

    message: str
    fatal: bool = False


def _read_capped(handle: BinaryIO, name: str) -> bytes | ReadError:
    data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return ReadError(f"{name}: larger than {MAX_BYTES // 1024 // 1024} MiB; not read")
    return data


def decode_text(data: bytes, name: str) -> str | ReadError:
    """UTF-8, or UTF-16 with a byte-order mark (kubectl reads both); the lab decodes with it too."""
    encoding = "utf-16" if data.startswith(_UTF16_BOMS) else "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-16":  # a byte-order mark promised UTF-16; the rest is not
            return ReadError(f"{name}: not UTF-16 text after its byte-order mark")
        return ReadError(f"{name}: not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x})")


def _regular_file_in(root: Path, path: Path) -> str | None:
    """Why ``path`` (met while walking ``root``) is skipped, or None to read it."""
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            target = path.resolve(strict=True)
            if not target.is_relative_to(root.resolve()):
                return "a symbolic link out of the folder"
            info = target.stat()
    except (OSError, RuntimeError):
        return "a broken symbolic link"
    return None if stat.S_ISREG(info.st_mode) else "not a regular file"


def folder_files(root: Path) -> tuple[list[Path], list[str], list[ReadError]]:
    """Every *.yaml and *.yml file under ``root`` in name order, a note per skipped one, and
    an error per folder that cannot be listed (its files would silently go unchecked).

    Symbolic links to folders are not followed (os.walk's default); links to files
    are read only when they point inside ``root``.
    """
    files, notes, errors = [], [], []

    def unlistable(exc: OSError) -> None:
        errors.append(ReadError(f"{exc.filename}: cannot list this folder: {exc.strerror}"))

    for folder, dirs, names in os.walk(root, onerror=unlistable):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if not name.endswith(SUFFIXES):
                continue
            reason = _regular_file_in(root, path)
            if reason is None:
                files.append(path)
            else:
                notes.append(f"{path}: skipped: {reason}")
    return files, notes, errors


def _read_path(path: Path) -> bytes | ReadError:
    try:
        with path.open("rb") as handle:
            return _read_capped(handle, str(path))
    except FileNotFoundError:
        return ReadError(f"{path}: no such file or folder")
    except IsADirectoryError:
        return ReadError(f"{path}: is a folder")
    except OSError as exc:
        return ReadError(f"{path}: cannot read: {exc.strerror}")


def _expand(raw: str) -> Iterator[tuple[str, Path | None] | ReadError | str]:
    """(name, path) per input to read (path None = stdin), a ReadError, or a note (str)."""
    if raw == "-":
        yield ("<stdin>", None)
        return
    path = Path(raw)
    if not path.is_dir():
        yield (str(path), path)
        return
    files, notes, errors = folder_files(path)
    yield from notes
    yield from errors
    if not files and not errors:
        yield ReadError(f"{raw}: no *.yaml or *.yml files in this folder")
    yield from ((str(file), file) for file in files)


def read_inputs(paths: list[str]) -> Iterator[Input | ReadError | str]:
    """Each input's text in order, a :class:`ReadError` per input that cannot be read, and
    notes (plain strings) about files a folder walk skipped."""
    total = 0
    for raw in paths:
        for item in _expand(raw):
            if isinstance(item, ReadError | str):
                yield item
                continue
            name, path = item
            data = _read_capped(sys.stdin.buffer, name) if path is None else _read_path(path)
            if isinstance(data, ReadError):
                yield data
                continue
            total += len(data)
            if total > MAX_TOTAL_BYTES:
                limit = MAX_TOTAL_BYTES // 1024 // 1024
                yield ReadError(
                    f"more than {limit} MiB of input in one run; stopped at {name}", True
                )
                return
            text = decode_text(data, name)
            yield text if isinstance(text, ReadError) else Input(name, text)

"""Reading inputs: folders are walked inside themselves, and nothing is skipped silently."""

from __future__ import annotations

import os
from pathlib import Path

from mtls_guide.validator.inputs import Input, ReadError, folder_files, read_inputs


def test_an_unlistable_folder_is_an_error_not_a_silent_skip(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "a.yaml").write_text("kind: A\n")
    (tmp_path / "locked").mkdir()
    real_walk = os.walk

    def walk(top: Path, onerror=None, **kwargs):  # as os.walk reports a folder it cannot list
        for entry in real_walk(top, onerror=onerror, **kwargs):
            if onerror is not None and entry[0] == str(tmp_path):
                onerror(PermissionError(13, "Permission denied", str(tmp_path / "locked")))
            yield entry

    monkeypatch.setattr(os, "walk", walk)
    files, notes, errors = folder_files(tmp_path)
    assert files == [tmp_path / "a.yaml"] and notes == []
    assert errors == [
        ReadError(f"{tmp_path / 'locked'}: cannot list this folder: Permission denied")
    ]


def test_utf16_with_a_bom_is_read_as_kubectl_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "windows.yaml"
    path.write_bytes("kind: ConfigMap\n".encode("utf-16"))  # Python writes the BOM first
    (item,) = read_inputs([str(path)])
    assert item == Input(str(path), "kind: ConfigMap\n")


def test_broken_utf16_after_a_bom_says_utf16(tmp_path: Path) -> None:
    path = tmp_path / "odd.yaml"
    path.write_bytes(b"\xff\xfe: x")  # a UTF-16 byte-order mark, then an odd number of bytes
    (item,) = read_inputs([str(path)])
    assert item == ReadError(f"{path}: not UTF-16 text after its byte-order mark")


def test_a_symbolic_link_loop_on_the_command_line_is_one_error(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    (item,) = read_inputs([str(loop)])
    assert isinstance(item, ReadError) and item.message.startswith(f"{loop}: cannot read: ")

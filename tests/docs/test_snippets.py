"""Snippets and pages point at each other: no orphan files, no include that points nowhere."""

from __future__ import annotations

from mtls_guide.blocks import ROOT, SNIPPETS, collect


def included_files() -> set[str]:
    # A target may name a section ("file.yaml:listener"); the file is what must exist.
    return {target.split(":", 1)[0] for block in collect() for target in block.includes}


def test_every_snippet_is_included_by_a_page() -> None:
    on_disk = {p.relative_to(ROOT).as_posix() for p in SNIPPETS.rglob("*") if p.is_file()}
    orphans = sorted(on_disk - included_files())
    assert not orphans, f"snippets no page includes (include them or delete them): {orphans}"


def test_every_include_points_to_a_snippet_file() -> None:
    missing = sorted(t for t in included_files() if not (ROOT / t).is_file())
    assert not missing, f"includes of missing files: {missing}"
    outside = sorted(t for t in included_files() if not t.startswith("snippets/"))
    assert not outside, f"pages include files outside snippets/: {outside}"

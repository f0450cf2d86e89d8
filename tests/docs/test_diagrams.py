"""Pre-rendered diagrams are current: each SVG records the sha256 of the source it came from."""

from __future__ import annotations

import re

from mtls_guide.blocks import ROOT, pages
from mtls_guide.diagrams import OUTPUT, SOURCES, digest, recorded_digest


def test_every_source_has_a_current_svg() -> None:
    sources = sorted(SOURCES.glob("*.mmd"))
    assert sources
    for source in sources:
        svg = OUTPUT / f"{source.stem}.svg"
        assert svg.exists(), f"{svg} is missing: run `nox -s diagrams`"
        assert recorded_digest(svg) == digest(source.read_text()), (
            f"{svg} is stale: run `nox -s diagrams`"
        )


def test_every_svg_has_a_source_and_a_page() -> None:
    shown = {
        name
        for page in pages()
        for name in re.findall(r"\(diagrams/([\w-]+)\.svg\)", page.read_text())
    }
    svgs = {svg.stem for svg in OUTPUT.glob("*.svg")}
    assert svgs == {s.stem for s in SOURCES.glob("*.mmd")}
    assert svgs == shown


def test_diagram_images_have_alt_text() -> None:
    for page in pages():
        for alt in re.findall(r"!\[([^\]]*)\]\(diagrams/", page.read_text()):
            assert len(alt) > 40, f"{page.relative_to(ROOT)}: describe the diagram in its alt text"

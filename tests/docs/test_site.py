"""The site builds strictly, offline, and its pages load nothing from outside."""

from __future__ import annotations

import os
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mtls_guide.paths import CERT_TOOL, ROOT
from mtls_guide.site import build, drop_source_maps, serve

# <link rel=...> values that make the browser fetch the href.
FETCHING_RELS = {"stylesheet", "preload", "modulepreload", "icon", "manifest", "prefetch"}


class ResourceFinder(HTMLParser):
    """Collects every URL a browser would load for a page (scripts, styles, images, frames)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in {"script", "img", "iframe", "audio", "video", "source"} and values.get("src"):
            self.urls.append(values["src"])
        rels = set((values.get("rel") or "").split())
        if tag == "link" and rels & FETCHING_RELS and values.get("href"):
            self.urls.append(values["href"])


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = build(out)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return out


def test_pages_load_nothing_from_outside(built_site: Path) -> None:
    external = []
    for page in sorted(built_site.rglob("*.html")):
        finder = ResourceFinder()
        finder.feed(page.read_text(encoding="utf-8"))
        external += [f"{page.relative_to(built_site)}: {u}" for u in finder.urls if "//" in u]
    assert not external, "\n".join(external)


def loaded_files(site: Path) -> set[Path]:
    """Every file of ``site`` that one of its pages makes the browser load."""
    loaded = set()
    for page in site.rglob("*.html"):
        finder = ResourceFinder()
        finder.feed(page.read_text(encoding="utf-8"))
        for url in finder.urls:
            if "//" not in url:
                loaded.add((page.parent / url.split("?")[0].split("#")[0]).resolve())
    return loaded


def heavy_unloaded(site: Path, limit: int = 1_000_000) -> list[str]:
    """Files over ``limit`` bytes that no page loads: dead weight a reader still downloads."""
    loaded = loaded_files(site)
    return sorted(
        f"{path.relative_to(site)} ({path.stat().st_size} bytes)"
        for path in site.rglob("*")
        if path.is_file() and path.stat().st_size > limit and path.resolve() not in loaded
    )


def test_no_heavy_file_that_no_page_loads(built_site: Path) -> None:
    assert heavy_unloaded(built_site) == []


def test_heavy_file_check_fails_on_dead_weight(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text('<script src="used.js"></script>')
    (tmp_path / "used.js").write_bytes(b"x" * 2_000_000)
    (tmp_path / "unused.js").write_bytes(b"x" * 2_000_000)
    assert heavy_unloaded(tmp_path) == ["unused.js (2000000 bytes)"]


def test_a_source_map_is_not_loaded_by_a_page(tmp_path: Path) -> None:
    # Only a browser's developer tools fetch a source map: it is dead weight for a reader.
    (tmp_path / "index.html").write_text('<script src="used.js"></script>')
    (tmp_path / "used.js").write_text("x()\n//# sourceMappingURL=used.js.map\n")
    (tmp_path / "used.js.map").write_bytes(b"x" * 2_000_000)
    assert heavy_unloaded(tmp_path) == ["used.js.map (2000000 bytes)"]


def test_site_ships_no_source_maps(built_site: Path) -> None:
    assert sorted(built_site.rglob("*.map")) == []
    assets = [*built_site.rglob("*.js"), *built_site.rglob("*.css")]
    assert [p.name for p in assets if b"sourceMappingURL" in p.read_bytes()] == []


def test_drop_source_maps_removes_maps_and_their_comments(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text("x()\n//# sourceMappingURL=a.js.map\n")
    (tmp_path / "a.css").write_text("b{c:d}\n/*# sourceMappingURL=a.css.map */")
    (tmp_path / "plain.js").write_text("y() // sourceMappingURL mentioned in code\n")
    for name in ("a.js.map", "a.css.map"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in drop_source_maps(tmp_path)] == ["a.css.map", "a.js.map"]
    assert (tmp_path / "a.js").read_text() == "x()\n"
    assert (tmp_path / "a.css").read_text() == "b{c:d}\n"
    assert (tmp_path / "plain.js").read_text() == "y() // sourceMappingURL mentioned in code\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.css", "a.js", "plain.js"]


def test_resource_finder_sees_external_urls() -> None:
    finder = ResourceFinder()
    finder.feed(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/x">'
        '<script src="https://unpkg.com/mermaid"></script><a href="https://ok">x</a>'
    )
    assert finder.urls == ["https://fonts.googleapis.com/x", "https://unpkg.com/mermaid"]


def test_downloads_are_served(built_site: Path) -> None:
    import zipfile

    assert (built_site / "downloads" / "mtls_certs.py").read_bytes() == (CERT_TOOL).read_bytes()
    with zipfile.ZipFile(built_site / "downloads" / "examples.zip") as archive:
        names = {n.removeprefix("mtls-guide-examples/") for n in archive.namelist()}
    snippets = {
        p.relative_to(ROOT / "snippets").as_posix()
        for p in (ROOT / "snippets").rglob("*")
        if p.is_file()
    }
    assert names == snippets


def test_download_command_fetches_the_script(built_site: Path, tmp_path: Path) -> None:
    command = (ROOT / "snippets" / "certificates" / "download-script.sh").read_text()
    with serve(built_site) as url:
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", command],
            cwd=tmp_path,
            env={**os.environ, "GUIDE_URL": url.rstrip("/")},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "mtls_certs.py").read_bytes() == CERT_TOOL.read_bytes()


class LinkFinder(HTMLParser):
    """Every <a href> of a page and every id it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])


def parse(page: Path) -> LinkFinder:
    finder = LinkFinder()
    finder.feed(page.read_text(encoding="utf-8"))
    return finder


def test_internal_links_and_anchors_resolve(built_site: Path) -> None:
    from urllib.parse import urldefrag, urlsplit

    pages = {page: parse(page) for page in built_site.rglob("*.html")}
    broken, external = [], set()
    for page, found in pages.items():
        for href in found.links:
            if urlsplit(href).scheme:
                external.add(href)
                continue
            path, anchor = urldefrag(href)
            if path.startswith("/"):  # 404.html links from the site root
                target = built_site / path.lstrip("/")
            else:
                target = (page.parent / path).resolve() if path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(built_site)}: {href}")
            elif (
                anchor
                and target.suffix == ".html"
                and anchor not in pages.get(target, parse(target)).ids
            ):
                broken.append(f"{page.relative_to(built_site)}: {href} (no such anchor)")
    assert not broken, "\n".join(broken)
    report = ROOT / ".artifacts" / "external-links.txt"
    report.parent.mkdir(exist_ok=True)
    report.write_text("".join(f"{url}\n" for url in sorted(external)))  # listed, never fetched

"""The built site: one strict build and one loopback server for the tests and the benchmarks."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mtls_guide.blocks import pages
from mtls_guide.paths import ROOT

DOCS_ENV = {"NO_MKDOCS_2_WARNING": "1"}  # silences Material's end-of-life banner, not warnings


def url_path(page: Path) -> str:
    """docs/index.md -> "", docs/terminate.md -> "terminate/" (MkDocs' directory URLs)."""
    stem = page.relative_to(ROOT / "docs").with_suffix("").as_posix()
    return "" if stem == "index" else f"{stem}/"


def page_urls() -> list[str]:
    """Every page's path below the site root, in navigation-file order."""
    return [url_path(p) for p in pages()]


# The comment a bundler appends as the last line of a .js (//# ...) or .css (/*# ... */) file.
_SOURCE_MAP_COMMENT = re.compile(
    rb"\n?(?://# sourceMappingURL=\S+|/\*# sourceMappingURL=\S+ \*/)\s*\Z"
)


def drop_source_maps(site: Path) -> list[Path]:
    """Delete every ``*.map`` under ``site``, and the comments that name them; returns the maps.

    Material for MkDocs ships a source map next to each minified bundle (the JavaScript
    one is over 1 MB). No page loads them, only a browser's developer tools would, to
    show Material's own sources; without the comments the tools do not ask for them.
    The build runs this as a hook (hooks/source_maps.py).
    """
    maps = sorted(site.rglob("*.map"))
    for path in maps:
        path.unlink()
    for path in [*site.rglob("*.js"), *site.rglob("*.css")]:
        data = path.read_bytes()
        stripped = _SOURCE_MAP_COMMENT.sub(b"\n", data)
        if stripped != data:
            path.write_bytes(stripped)
    return maps


def build(site_dir: Path) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` into ``site_dir``; the caller judges the result."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **DOCS_ENV},
        check=False,
    )


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on a free loopback port; yields the base URL ending in '/'."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

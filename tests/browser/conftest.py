"""The built site, served on loopback, in Debian's Chromium driven by Playwright."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from guidetools.blocks import ROOT, pages
from guidetools.browser import ChromiumMissing, launch

SCREENSHOTS = ROOT / ".artifacts" / "screenshots"
# Material renders each diagram into a closed shadow root; open them so tests can see the SVG.
OPEN_SHADOW_ROOTS = (
    "const attach = Element.prototype.attachShadow;"
    "Element.prototype.attachShadow = function (init) { return attach.call(this, {...init, mode: 'open'}); };"
)


def url_path(page: Path) -> str:
    """docs/index.md -> "", docs/terminate.md -> "terminate/" (MkDocs' directory URLs)."""
    stem = page.relative_to(ROOT / "docs").with_suffix("").as_posix()
    return "" if stem == "index" else f"{stem}/"


PAGES = [url_path(p) for p in pages()]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            launched = launch(playwright)
        except ChromiumMissing as exc:
            pytest.fail(str(exc))
        yield launched
        launched.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    ctx.add_init_script(OPEN_SHADOW_ROOTS)
    yield ctx
    ctx.close()

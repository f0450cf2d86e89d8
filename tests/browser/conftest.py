"""The built site, served on loopback, in Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mtls_guide.browser import ChromiumMissing, launch
from mtls_guide.site import build, serve

# Material renders each diagram into a closed shadow root; open them so tests can see the SVG.
OPEN_SHADOW_ROOTS = (
    "const attach = Element.prototype.attachShadow;"
    "Element.prototype.attachShadow = function (init) { return attach.call(this, {...init, mode: 'open'}); };"
)


@pytest.fixture(scope="session")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("site")
    built = build(out)
    assert built.returncode == 0, built.stderr
    with serve(out) as url:
        yield url


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

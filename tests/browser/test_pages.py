"""Every page in a real browser: clean console, nothing fetched from outside, diagrams drawn,
copy buttons copy the tested text, accessible, and both palettes render."""

from __future__ import annotations

import json

import pytest

from mtls_guide.blocks import blocks_in
from mtls_guide.paths import ROOT
from mtls_guide.pinned import read_asset
from mtls_guide.site import page_urls

PAGES = page_urls()
SCREENSHOTS = ROOT / ".artifacts" / "screenshots"


def open_page(context, url: str):
    page = context.new_page()
    page.problems, page.requests = [], []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(url, wait_until="networkidle")
    return page


def source_of(path: str):
    return ROOT / "docs" / (f"{path.rstrip('/')}.md" if path else "index.md")


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_cleanly_and_offline(context, site_url: str, path: str) -> None:
    page = open_page(context, site_url + path)
    diagrams = sum(1 for b in blocks_in(source_of(path)) if b.lang == "mermaid")
    if diagrams:
        page.wait_for_function(f"document.querySelectorAll('div.mermaid').length === {diagrams}")
        for host in page.locator("div.mermaid").all():
            host.locator("svg").first.wait_for(timeout=10_000)
    broken = page.evaluate(
        "[...document.images].filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.src)"
    )
    assert broken == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{path.strip('/') or 'index'}.png", full_page=True)
    assert page.problems == []
    outside = [
        u for u in page.requests if not u.startswith(("http://127.0.0.1:", "data:", "blob:"))
    ]
    assert outside == []


@pytest.mark.parametrize("path", PAGES)
def test_copy_buttons_copy_the_tested_text(context, site_url: str, path: str) -> None:
    expected = [b.source.rstrip("\n") for b in blocks_in(source_of(path)) if b.lang != "mermaid"]
    page = open_page(context, site_url + path)
    buttons = page.locator('button[data-md-type="copy"]')
    assert buttons.count() == len(expected)
    copied = []
    for index in range(buttons.count()):
        button = buttons.nth(index)
        # Content tabs hide all but one panel; open the panel that holds this block first.
        page.evaluate(
            "(b) => { const panel = b.closest('.tabbed-block');"
            " if (panel) { const set = panel.closest('.tabbed-set');"
            " const i = [...panel.parentElement.children].indexOf(panel);"
            " set.querySelectorAll(':scope > input')[i].click(); } }",
            button.element_handle(),
        )
        button.scroll_into_view_if_needed()
        button.click()
        copied.append(page.evaluate("navigator.clipboard.readText()").rstrip("\n"))
    assert copied == expected


@pytest.mark.parametrize("path", PAGES)
def test_accessibility(context, site_url: str, path: str) -> None:
    page = open_page(context, site_url + path)
    page.add_script_tag(path=str(read_asset("axe-core")))
    result = page.evaluate("async () => await axe.run(document)")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical") or v["id"] in ("image-alt", "heading-order")
    ]
    assert serious == [], json.dumps(serious, indent=2)


def test_linked_tabs_follow_across_pages(context, site_url: str) -> None:
    page = open_page(context, site_url + "implementations/")
    page.locator(".tabbed-labels label", has_text="AWS").first.click()
    page.goto(site_url + "terminate/", wait_until="networkidle")
    label = page.locator(".tabbed-labels label", has_text="AWS").first
    checked = page.evaluate(
        "(l) => document.getElementById(l.htmlFor).checked", label.element_handle()
    )
    assert checked, "the AWS tab chosen on Implementations is not selected on Terminate"


def test_search_finds_the_troubleshooting_entry(context, site_url: str) -> None:
    page = open_page(context, site_url)
    page.keyboard.press(
        "/"
    )  # Material's search shortcut; typing fires the search as a reader's would
    page.keyboard.type("certificate required", delay=20)
    # Results refresh as the query grows (the first ones are for "c", "ce", ...); wait for the
    # troubleshooting entry among the results shown, rather than read the first list that is up.
    found = page.wait_for_selector(
        '.md-search-result__item a[href*="troubleshooting/"]', timeout=10_000
    )
    assert found is not None


def test_light_and_dark_palettes_render(context, site_url: str) -> None:
    page = open_page(context, site_url)
    schemes = [page.evaluate("document.body.getAttribute('data-md-color-scheme')")]
    page.locator("form[data-md-component=palette] label:visible").first.click()
    page.wait_for_timeout(200)
    schemes.append(page.evaluate("document.body.getAttribute('data-md-color-scheme')"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "index-dark.png")
    assert schemes == ["default", "slate"]


def test_diagram_sources_render_with_the_pinned_mermaid(browser) -> None:
    from mtls_guide.diagrams import SOURCES, render_all

    rendered = render_all(sorted(SOURCES.glob("*.mmd")), browser)
    assert rendered and all(svg.startswith("<svg") for svg in rendered.values())

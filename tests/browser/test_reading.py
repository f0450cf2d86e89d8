"""Reading comfort in a real browser: no code block hides its end at 1366 px, linked tab sets
offer the same labels on every page, tables that scroll on a phone say so, and search puts the
page a reader needs near the top.

Each detector is first shown failing on a deliberately bad input, so a pass means something.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mtls_guide.site import page_urls

PAGES = page_urls()
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

# Content tabs hide all panels but one; show them all so every code block is measured.
SHOW_ALL_TABS = ".tabbed-set > .tabbed-content > .tabbed-block { display: block !important; }"
OVERFLOWING_CODE = """() => [...document.querySelectorAll('pre > code')]
  .filter((code) => code.scrollWidth > code.clientWidth + 1)
  .map((code) => code.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a)))"""
TAB_SETS = """() => [...document.querySelectorAll('.tabbed-set')].map((set) =>
  [...set.querySelectorAll(':scope > .tabbed-labels > label')].map((l) => l.textContent.trim()))"""
SCROLLING_TABLES = """() => [...document.querySelectorAll('.md-typeset__scrollwrap')].map((wrap) => ({
  scrolls: wrap.scrollWidth > wrap.clientWidth + 1,
  hinted: getComputedStyle(wrap, '::before').content.includes('Scroll sideways'),
  first: wrap.querySelector('th') ? wrap.querySelector('th').textContent.trim() : '',
}))"""


@pytest.fixture
def desktop(browser) -> Iterator:
    ctx = browser.new_context(viewport=DESKTOP)
    yield ctx
    ctx.close()


@pytest.fixture
def phone(browser) -> Iterator:
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    yield ctx
    ctx.close()


def overflowing(page) -> list[str]:
    page.add_style_tag(content=SHOW_ALL_TABS)
    return list(page.evaluate(OVERFLOWING_CODE))


# --- code blocks --------------------------------------------------------------


def test_overflow_detector_finds_a_hidden_end(desktop) -> None:
    page = desktop.new_page()
    page.set_content(
        "<div style='width: 300px'>"
        "<pre><code style='display: block; overflow: auto; white-space: pre'>"
        f"curl {'--option ' * 40}</code></pre>"
        "<pre><code style='display: block; overflow: auto'>short</code></pre></div>"
    )
    assert len(overflowing(page)) == 1


def test_overflow_detector_fails_on_the_site_without_its_wrapping(desktop, site_url) -> None:
    # The site's own CSS is what keeps long lines visible: without it the detector objects.
    page = desktop.new_page()
    page.goto(site_url + "validator/", wait_until="networkidle")
    page.add_style_tag(content=".md-typeset pre > code { white-space: pre !important; }")
    assert overflowing(page)


@pytest.mark.parametrize("path", PAGES)
def test_no_code_block_hides_its_end_at_1366px(desktop, site_url: str, path: str) -> None:
    page = desktop.new_page()
    page.goto(site_url + path, wait_until="networkidle")
    assert overflowing(page) == []


COPY_BUTTON_GAPS = """() => [...document.querySelectorAll('pre')].map((pre) => {
  const button = pre.querySelector('button[data-md-type="copy"]').getBoundingClientRect();
  const code = pre.querySelector('code');
  const textRight = code.getBoundingClientRect().right - parseFloat(getComputedStyle(code).paddingRight);
  return button.left - textRight;
})"""


def test_copy_button_covers_no_text(desktop, site_url: str) -> None:
    page = desktop.new_page()
    page.goto(site_url + "verification/", wait_until="networkidle")
    gaps = page.evaluate(COPY_BUTTON_GAPS)
    assert gaps and all(gap >= 0 for gap in gaps), gaps
    # Material's own padding leaves the button over the text: the check sees that.
    page.add_style_tag(content=".md-typeset pre > code { padding-right: 1.2em !important; }")
    assert any(gap < 0 for gap in page.evaluate(COPY_BUTTON_GAPS))


# --- linked content tabs ------------------------------------------------------


def mismatched_tab_sets(sets: dict[str, list[list[str]]]) -> list[str]:
    """Tab sets that share a label are linked (Material links tabs by label text); each linked
    set must offer every label the others offer, or choosing that label elsewhere is lost."""
    everything = [(page, labels) for page, page_sets in sets.items() for labels in page_sets]
    problems = []
    for page, labels in everything:
        linked = {label for _, other in everything if set(other) & set(labels) for label in other}
        missing = sorted(linked - set(labels))
        if missing:
            problems.append(f"{page}: the tab set {labels} lacks {missing}")
    return problems


def test_tab_detector_finds_a_missing_label(desktop) -> None:
    page = desktop.new_page()
    page.set_content(
        "<div class='tabbed-set'><div class='tabbed-labels'>"
        "<label>Envoy Gateway</label><label>AWS</label></div></div>"
    )
    crafted = {
        "implementations/": [["Envoy Gateway", "AWS", "AKS"]],
        "terminate/": page.evaluate(TAB_SETS),
        "elsewhere/": [["Linux", "macOS"]],  # shares no label: not linked, not compared
    }
    assert mismatched_tab_sets(crafted) == [
        "terminate/: the tab set ['Envoy Gateway', 'AWS'] lacks ['AKS']"
    ]


def test_linked_tab_sets_have_the_same_labels(desktop, site_url: str) -> None:
    page = desktop.new_page()
    sets = {}
    for path in PAGES:
        page.goto(site_url + path, wait_until="networkidle")
        sets[path] = page.evaluate(TAB_SETS)
    assert sum(len(s) for s in sets.values()) >= 2
    assert mismatched_tab_sets(sets) == []


@pytest.mark.parametrize("label", ["kgateway", "AKS", "Cilium and Traefik"])
def test_every_implementation_choice_follows_to_terminate(
    desktop, site_url: str, label: str
) -> None:
    page = desktop.new_page()
    page.goto(site_url + "implementations/", wait_until="networkidle")
    page.locator(".tabbed-labels label", has_text=label).first.click()
    page.goto(site_url + "terminate/", wait_until="networkidle")
    chosen = page.locator(".tabbed-labels label", has_text=label).first
    assert page.evaluate(
        "(l) => document.getElementById(l.htmlFor).checked", chosen.element_handle()
    )


# --- tables on a phone --------------------------------------------------------


def test_table_hint_detector_flags_a_silent_scroll(phone) -> None:
    page = phone.new_page()
    page.set_content(
        "<article class='md-typeset'><div class='md-typeset__scrollwrap' style='overflow: auto'>"
        f"<table><tr><th style='white-space: nowrap'>{'wide ' * 60}</th></tr></table>"
        "</div></article>"
    )
    (table,) = page.evaluate(SCROLLING_TABLES)
    assert table["scrolls"] and not table["hinted"]


@pytest.mark.parametrize("path", ["troubleshooting/", "implementations/"])
def test_tables_that_scroll_on_a_phone_say_so(phone, site_url: str, path: str) -> None:
    page = phone.new_page()
    page.goto(site_url + path, wait_until="networkidle")
    page.wait_for_function("document.querySelectorAll('.md-typeset__scrollwrap').length > 0")
    tables = page.evaluate(SCROLLING_TABLES)
    assert any(t["scrolls"] for t in tables), "no table scrolls at 390 px: pick another page"
    silent = [t["first"] for t in tables if t["scrolls"] and not t["hinted"]]
    assert silent == []
    assert not any(t["hinted"] for t in tables if not t["scrolls"])


# --- search -------------------------------------------------------------------


def ranked_pages(hrefs: list[str], base: str) -> list[str]:
    """Result pages in rank order: each page once, without query string or anchor."""
    pages: list[str] = []
    for href in hrefs:
        path = href.removeprefix(base).split("?", 1)[0].split("#", 1)[0]
        if path not in pages:
            pages.append(path)
    return pages


def test_rank_detector_fails_when_the_page_is_fourth() -> None:
    base = "http://127.0.0.1:1/"
    hrefs = [base + p for p in ("a/?h=x", "a/?h=x#s", "b/", "c/", "troubleshooting/?h=x")]
    assert "troubleshooting/" not in ranked_pages(hrefs, base)[:3]
    assert ranked_pages(hrefs, base)[3] == "troubleshooting/"


def search(context, base: str, query: str) -> list[str]:
    """The result links for ``query``, typed as a reader types, once they stop changing."""
    page = context.new_page()
    page.goto(base, wait_until="networkidle")
    page.keyboard.press("/")
    page.keyboard.type(query, delay=20)
    page.wait_for_selector(".md-search-result__item a", timeout=10_000)
    read = "(as) => as.map((a) => a.href)"
    previous: list[str] = []
    for _ in range(20):  # settle: the search worker answers each keystroke in turn
        current = page.locator(".md-search-result__item a").evaluate_all(read)
        if current == previous:
            break
        previous = current
        page.wait_for_timeout(250)
    return previous


def test_certificate_required_finds_troubleshooting_in_the_first_three(
    desktop, site_url: str
) -> None:
    pages = ranked_pages(search(desktop, site_url, "certificate required"), site_url)
    assert "troubleshooting/" in pages[:3], pages


def test_421_finds_the_coalescing_section(desktop, site_url: str) -> None:
    hrefs = search(desktop, site_url, "421")
    assert any("#why-per-port-connection-coalescing-and-421" in h for h in hrefs), hrefs

#!/usr/bin/env python3
"""Site budgets: strict build time, bytes each page transfers, DOMContentLoaded on loopback.

Targets: build <= 5 s; each content page <= 1 MB transferred (uncompressed, assets
included); DOMContentLoaded <= 500 ms in headless Chromium (median of 5 cold loads). Prints
the worst page for each. Needs Debian's Chromium. Run with `nox -s bench`.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from mtls_guide.browser import launch
from mtls_guide.site import build as build_site
from mtls_guide.site import page_urls, serve

PAGES = page_urls()

LOADS = 5  # per page; the median DOMContentLoaded evens out this machine's noise


def build(site: Path) -> float:
    start = time.perf_counter()
    done = build_site(site)
    if done.returncode != 0:
        raise SystemExit(f"mkdocs build failed:\n{done.stderr}")
    return time.perf_counter() - start


def measure(site: Path) -> dict[str, tuple[int, float]]:
    """page -> (bytes of its first cold load, median DOMContentLoaded in ms over LOADS cold loads)."""
    from playwright.sync_api import sync_playwright

    results = {}
    with serve(site) as base, sync_playwright() as playwright:
        browser = launch(playwright)
        for path in PAGES:
            loads = [cold_load(browser, base + path) for _ in range(LOADS)]
            results[path or "index"] = (loads[0][0], statistics.median(dcl for _, dcl in loads))
        browser.close()
    return results


def cold_load(browser, url: str) -> tuple[int, float]:
    """Bytes transferred and DOMContentLoaded (ms) for one load with an empty cache."""
    context = browser.new_context()
    page = context.new_page()
    responses: list = []
    page.on("response", lambda r: responses.append(r))
    page.goto(url, wait_until="networkidle")
    dcl = page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
    size = sum(len(r.body()) for r in responses if r.ok)
    context.close()
    return size, dcl


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        site = Path(work) / "site"
        times = [build(site) for _ in range(3)]
        print(
            f"strict build: median {statistics.median(times):.2f} s over 3 builds (target <= 5 s)"
        )
        results = measure(site)
    heaviest = max(results, key=lambda p: results[p][0])
    slowest = max(results, key=lambda p: results[p][1])
    for path, (size, dcl) in sorted(results.items()):
        print(f"  {path:20} {size / 1e6:6.2f} MB  DOMContentLoaded {dcl:6.0f} ms")
    print(f"heaviest page: {heaviest} {results[heaviest][0] / 1e6:.2f} MB (target <= 1 MB)")
    print(
        f"slowest page: {slowest} DOMContentLoaded {results[slowest][1]:.0f} ms (target <= 500 ms)"
    )


if __name__ == "__main__":
    main()

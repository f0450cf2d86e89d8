"""Debian's Chromium under Playwright, as the browser tests, the diagram renderer and the
site benchmark launch it (no browser download: Playwright drives the system binary)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

# Flags from the tooling notes: without the background-networking ones Chromium tries
# to reach Google's hosts on a machine that has no route to them.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip


class ChromiumMissing(Exception):
    """No Chromium binary; the message says how to get one."""


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        raise ChromiumMissing(
            "Chromium is missing: install Debian's package (`apt-get install chromium`) or set CHROMIUM"
        )
    return found


def launch(playwright: Playwright) -> Browser:
    """A headless Chromium browser from a started ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)

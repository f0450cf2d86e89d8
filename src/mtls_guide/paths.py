"""Where things are: the package's own data, the source checkout (when there is one), the cache."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
LOCKS = PACKAGE / "locks"
# The certificate tool is one file that needs only `cryptography`: the site offers it as a download.
CERT_TOOL = (
    PACKAGE / "mtls_certs.py"
)  # the pins ship with the package, so an installed validator has them
# The repository the package was installed from (editable installs, the tests, the site).
ROOT = PACKAGE.parents[1]


def in_checkout() -> bool:
    """True when running from the guide's repository rather than an installed wheel."""
    return (ROOT / "mkdocs.yml").is_file() and (ROOT / "pyproject.toml").is_file()


def cache_dir() -> Path:
    """$GUIDE_CACHE, else the checkout's .cache/, else the user's cache folder."""
    if value := os.environ.get("GUIDE_CACHE"):
        return Path(value)
    if in_checkout():
        return ROOT / ".cache"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mtls-guide"

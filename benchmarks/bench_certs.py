#!/usr/bin/env python3
"""Certificate tool figures: `mtls_certs.py init` against the site's openssl recipe, and
how fast and small the refusal of hostile input stays.

init and the recipe both make a CA, a server and a client certificate (ECDSA P-256) in an
empty folder; wall time including interpreter start, median of 5 runs each. Target: init
<= 0.5 s. The hostile inputs are a 1 GiB sparse file and 256 MiB of PEM-looking text
given to `inspect`, and a revocation record nested 1,000,000 deep given to `crl`: each
must be refused with exit 2, in about the time of a start-up, and with a peak memory
(max RSS of the tool's process) below 100 MiB. Run with `nox -s bench`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mtls_guide.paths import ROOT

RECIPE = ["openssl-ca.sh", "openssl-server.sh", "openssl-client.sh"]
TOOL = [sys.executable, str(ROOT / "scripts" / "mtls_certs.py")]
# Runs one command and prints its exit status and the peak RSS of its process tree (KiB).
PEAK = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def timed(command: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def median_of(make_command: Callable[[str], list[str]], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as work:
            times.append(timed(make_command(work), work))
    return statistics.median(times)


def refusal(command: list[str], cwd: str) -> tuple[int, float, float]:
    """Exit status, wall seconds and peak MiB of one tool run."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *command], cwd=cwd, capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - start
    code, peak_kib = done.stdout.split()
    return int(code), seconds, int(peak_kib) / 1024


def hostile_inputs(work: Path) -> dict[str, list[str]]:
    with (work / "sparse.crt").open("wb") as handle:
        handle.truncate(2**30)
    line = b"-----BEGIN CERTIFICATE-----\n" + b"A" * 63 + b"\n"
    with (work / "pem-like.crt").open("wb") as handle:
        for _ in range(2**28 // (len(line) * 1024)):
            handle.write(line * 1024)
    subprocess.run(
        [*TOOL, "init", "pki", "--dns", "a.example.com"], cwd=work, check=True, capture_output=True
    )
    (work / "pki" / "ca.revoked.json").write_text("[" * 1_000_000)
    return {
        "inspect, 1 GiB sparse file": [*TOOL, "inspect", "sparse.crt"],
        "inspect, 256 MiB of PEM-like text": [*TOOL, "inspect", "pem-like.crt"],
        "crl, record nested 1,000,000 deep": [*TOOL, "crl", "pki"],
    }


def main() -> None:
    script = [*TOOL, "init", "pki", "--dns", "secure.example.com"]
    recipe = "\n".join((ROOT / "snippets" / "certificates" / name).read_text() for name in RECIPE)
    init = median_of(lambda work: script)
    openssl = median_of(lambda work: ["bash", "-e", "-c", recipe])
    print(f"mtls_certs.py init: {init:.3f} s wall, median of 5 (target <= 0.5 s)")
    print(
        f"site openssl recipe, same set: {openssl:.3f} s wall; ratio init/openssl = {init / openssl:.2f}"
    )
    with tempfile.TemporaryDirectory() as work:
        for name, command in hostile_inputs(Path(work)).items():
            code, seconds, peak = refusal(command, work)
            verdict = "ok" if code == 2 and peak < 100 else "OVER TARGET"
            print(
                f"refused {name}: exit {code}, {seconds:.3f} s wall, {peak:.1f} MiB peak ({verdict})"
            )


if __name__ == "__main__":
    main()

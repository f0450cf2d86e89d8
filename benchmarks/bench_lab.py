#!/usr/bin/env python3
"""Lab speed: time until ready (every listener bound and loaded, lab.env written), the
lab test folder, and CA rotation under load through applied ConfigMaps. Targets: ready
within 1 s; the folder within 120 s; 0 failed requests. Run with `nox -s bench`."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mtls_guide import mtls_certs as mc
from mtls_guide.lab.client import rotate_under_load
from mtls_guide.lab.runner import Lab
from mtls_guide.paths import ROOT


def ready_times(runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as work:
            start = time.perf_counter()
            lab = Lab(Path(work))
            lab.start()
            times.append(time.perf_counter() - start)
            lab.stop()
    return times


def module_time() -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/mtls_guide/lab"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def rotation() -> tuple[int, int]:
    with tempfile.TemporaryDirectory() as work, Lab(Path(work)) as lab:
        env = lab.environment()
        names = mc.Names(dns=["client-b.example.com"])
        result = rotate_under_load(lab, int(env["TERMINATE_PORT"]), env["TERMINATE_HOST"], names)
    return result.requests, len(result.failures)


def main() -> None:
    times = ready_times()
    print(
        f"lab ready: median {statistics.median(times):.3f} s, worst {max(times):.3f} s over {len(times)} starts (target < 1 s)"
    )
    print(f"lab tests (tests/mtls_guide/lab): {module_time():.1f} s (target <= 120 s)")
    requests, failures = rotation()
    print(
        f"CA rotation under load: {requests} requests on new connections, {failures} failed (target 0)"
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Validator speed: corpus throughput and CLI wall time. Run with `nox -s bench`.

- throughput: every document of the upstream corpora (UPSTREAM_EXAMPLES) or,
  without them, of tests/fixtures/manifests, validated in one process after one
  warm-up pass, five timed passes (YAML parsing included); objects per second on
  one core (the validator is single-threaded). Target: >= 1,000 objects/s.
- CLI: `validate_manifests.py` on one small file from a warm cache, median of 5
  runs, wall time including interpreter start. Target: <= 1 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from mtls_guide.paths import ROOT
from mtls_guide.validator.engine import Validator


def corpus() -> list[tuple[str, str, str]]:
    """(channel, name, text) for every file to validate."""
    upstream = os.environ.get("UPSTREAM_EXAMPLES")
    if upstream:
        base = Path(upstream)
        files = [("experimental", p) for p in sorted((base / "envoy-gateway").rglob("*.yaml"))]
        files += [
            ("standard", p)
            for p in sorted((base / "gateway-api").rglob("examples/standard/**/*.yaml"))
        ]
        files += [
            ("experimental", p) for p in sorted((base / "gateway-api").rglob("examples/**/*.yaml"))
        ]
    else:
        files = [
            ("standard", p) for p in sorted((ROOT / "tests/fixtures/manifests").rglob("*.yaml"))
        ]
    return [(channel, str(p), p.read_text()) for channel, p in files]


def throughput(passes: int = 5) -> tuple[int, list[float]]:
    """Objects per pass and the seconds of each timed pass (after one warm-up pass)."""
    files = corpus()
    validators = {c: Validator(c) for c in ("standard", "experimental")}
    for channel, name, text in files:  # warm-up: compiles every rule once
        validators[channel].check_text(text, name)
    times, count = [], 0
    for _ in range(passes):
        start = time.perf_counter()
        count = sum(len(validators[c].check_text(text, name)) for c, name, text in files)
        times.append(time.perf_counter() - start)
    return count, times


def cli_wall() -> float:
    target = ROOT / "snippets" / "terminate" / "gateway.yaml"
    command = [sys.executable, str(ROOT / "scripts" / "validate_manifests.py"), "-q", str(target)]
    subprocess.run(command, capture_output=True, check=False)  # warms the on-disk index cache
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def calibration() -> float:
    """Seconds for a fixed pure-Python loop: this machine's speed varies by ~1.7x between runs,
    so the figures above are comparable only next to this one."""
    start, total = time.perf_counter(), 0
    for i in range(5_000_000):
        total += i
    return time.perf_counter() - start


def main() -> None:
    print(f"calibration: 5M-iteration Python loop took {calibration():.3f} s")
    count, times = throughput()
    best, median = min(times), statistics.median(times)
    print(
        f"validator throughput: {count} objects per pass; best {count / best:,.0f} objects/s, "
        f"median {count / median:,.0f} objects/s over {len(times)} passes (target >= 1,000)"
    )
    print(f"validator CLI, one small file, warm cache: {cli_wall():.3f} s wall (target <= 1 s)")


if __name__ == "__main__":
    main()

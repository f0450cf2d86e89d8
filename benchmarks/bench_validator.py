#!/usr/bin/env python3
"""Validator speed: corpus throughput and CLI wall time. Run with `nox -s bench`.

- throughput: every document of the upstream corpora (UPSTREAM_EXAMPLES) or,
  without them, of tests/fixtures/manifests, validated in one process after one
  warm-up pass, five timed passes (YAML parsing included); objects per second on
  one core (the validator is single-threaded). Target: >= 1,000 objects/s.
- CLI: `validate_manifests.py` on one small file from a warm cache, median of 5
  runs, wall time including interpreter start. Target: <= 1 s.
- scaling: the CLI on N copies of the Terminate page's Gateway with distinct names
  (snippets/terminate/gateway.yaml), N = 500 and 5,000, best of 3 wall times, and
  the ratio. Target: 5,000 in < 3 s (must: < 10 s), ratio <= 15 (linear is 10;
  interpreter start makes it smaller).
- hostile input: wall time and peak memory of the CLI on an alias bomb (nine levels
  of ten aliases), 990 nesting levels, /dev/zero and 500,000 YAML nodes. Target:
  each < 10 s and < 200 MB, exit status non-zero.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
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


CLI = [sys.executable, str(ROOT / "scripts" / "validate_manifests.py"), "-q"]


def gateways(count: int) -> str:
    """``count`` copies of the Terminate page's Gateway, each with its own name."""
    text = (ROOT / "snippets" / "terminate" / "gateway.yaml").read_text()
    name = re.compile(r"^(  name: )(\S+)", re.MULTILINE)
    return "---\n".join(name.sub(rf"\g<1>\g<2>-{i}", text, count=1) for i in range(count))


def timed(args: list[str]) -> tuple[float, int, float]:
    """Wall seconds, exit status and peak memory (MB) of one CLI run."""
    start = time.perf_counter()
    child = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return wall, child.returncode, usage.ru_maxrss / 1024


def scaling(folder: Path) -> dict[int, float]:
    """Best of three wall times of the CLI on N Gateways, N = 500 and 5,000."""
    times = {}
    for count in (500, 5_000):
        path = folder / f"gateways-{count}.yaml"
        path.write_text(gateways(count))
        times[count] = min(timed([str(path)])[0] for _ in range(3))
    return times


def hostile(folder: Path) -> dict[str, tuple[float, int, float]]:
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    inputs = {
        "alias bomb": "\n".join(levels) + "\n",
        "990 nesting levels": "a: " + "[" * 990 + "]" * 990 + "\n",
        "500,000 YAML nodes": "a: [" + "1," * 500_000 + "1]\n",
    }
    results = {}
    for name, text in inputs.items():
        path = folder / (re.sub(r"\W+", "-", name) + ".yaml")
        path.write_text(text)
        results[name] = timed([str(path)])
    results["/dev/zero"] = timed(["/dev/zero"])
    return results


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
    with tempfile.TemporaryDirectory() as tmp:
        times = scaling(Path(tmp))
        ratio = times[5_000] / times[500]
        print(
            f"validator scaling: 500 Gateways {times[500]:.2f} s, 5,000 Gateways "
            f"{times[5_000]:.2f} s, ratio {ratio:.1f} (target 5,000 < 3 s, ratio <= 15)"
        )
        for name, (wall, status, peak) in hostile(Path(tmp)).items():
            print(
                f"validator hostile input, {name}: {wall:.2f} s, exit {status}, "
                f"peak {peak:.0f} MB (target < 10 s, < 200 MB, exit non-zero)"
            )


if __name__ == "__main__":
    main()

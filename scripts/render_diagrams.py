#!/usr/bin/env python3
"""Render diagrams/*.mmd to docs/diagrams/*.svg; the code is `mtls_guide.diagrams`."""

import sys

from mtls_guide.diagrams import main

if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Fetch and verify the pinned files; the code is `mtls_guide.fetch` (`mtls-fetch-pins`)."""

import sys

from mtls_guide.fetch import main

if __name__ == "__main__":
    sys.exit(main())

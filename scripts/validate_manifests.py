#!/usr/bin/env python3
"""The path the pages use for the validator; the code is `mtls_guide.validator.cli` (`mtls-validate`)."""

import sys

from mtls_guide.validator.cli import main

if __name__ == "__main__":
    sys.exit(main())

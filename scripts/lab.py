#!/usr/bin/env python3
"""The path the pages use for the lab; the code is `mtls_guide.lab` (`mtls-lab`)."""

import sys

from mtls_guide.lab.entry import main  # catches stop signals before the heavy imports

if __name__ == "__main__":
    sys.exit(main())

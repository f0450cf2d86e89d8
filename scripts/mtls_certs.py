#!/usr/bin/env python3
"""The path the pages use for the certificate tool.

The tool itself is one file, src/mtls_guide/mtls_certs.py, that needs only
`cryptography` (the site offers it as a download); this runs it as a script,
installed or not.
"""

import runpy
from pathlib import Path

if __name__ == "__main__":
    tool = Path(__file__).resolve().parents[1] / "src" / "mtls_guide" / "mtls_certs.py"
    runpy.run_path(str(tool), run_name="__main__")

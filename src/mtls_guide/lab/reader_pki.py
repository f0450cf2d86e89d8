"""A lab that serves the certificates a page made, instead of making its own.

The Quick start makes its CA, server and client certificates with the guide's
script; run offline, the lab must present that server certificate and trust
that CA, or the page's curl commands would test the lab's certificates, not
the reader's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from mtls_guide import mtls_certs as mc
from mtls_guide.lab.runner import Lab, Pki


class ReaderPkiLab(Lab):
    """``Lab`` whose PKI is copied from ``source`` (ca, server and client .crt/.key)."""

    def __init__(self, workdir: Path, manifests: list[str], source: Path) -> None:
        super().__init__(workdir, manifests)
        self.source = source

    def _make_pki(self) -> Pki:
        directory = self.workdir / "pki"
        directory.mkdir(parents=True, exist_ok=True)
        for name in ("ca", "server", "client"):
            for ext in ("crt", "key"):
                shutil.copy(self.source / f"{name}.{ext}", directory / f"{name}.{ext}")
        ca = mc.load_ca(directory, "ca")
        crl = mc.make_crl(ca, [])  # the lab's validation context always names a CRL file
        (directory / "ca.crl").write_bytes(crl.public_bytes(Encoding.PEM))
        return Pki(directory, ca, mc.load_ca(directory, "client"))

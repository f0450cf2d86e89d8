"""Fixtures of the certificate tool's tests."""

from __future__ import annotations

import pytest

from mtls_guide import mtls_certs as mc
from tests.mtls_guide.mtls_certs.support import HOST


@pytest.fixture(scope="module")
def ca() -> mc.Issued:
    return mc.make_ca("test CA")


@pytest.fixture(scope="module")
def other_ca() -> mc.Issued:
    return mc.make_ca("another CA")


@pytest.fixture(scope="module")
def server(ca: mc.Issued) -> mc.Issued:
    return mc.issue_leaf(ca, "server", mc.Names(dns=[HOST], ips=["127.0.0.1"]))

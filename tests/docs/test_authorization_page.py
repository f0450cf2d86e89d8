"""docs/authorization.md on a real Envoy: the page's SecurityPolicy lets client-a through on the
route and answers 403 to another client of the same CA, whose handshake still succeeds.

The lab serves the Terminate page's Gateway and route with the page's policy. The other
client has a valid certificate from the lab's CA with another SPIFFE ID of the same
trust domain, so only the authorization rule can refuse it.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mtls_guide import mtls_certs as mc
from mtls_guide.lab.runner import Lab, LabError

MANIFESTS = (
    "snippets/terminate/gateway.yaml",
    "snippets/terminate/httproute.yaml",
    "snippets/terminate/envoy-gateway-xfcc.yaml",
    "snippets/authorization/security-policy.yaml",
)
OTHER = "spiffe://example.org/billing"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    try:
        lab = Lab(tmp_path_factory.mktemp("authorization"), MANIFESTS)
    except LabError as exc:  # a lab that cannot map the policy yet
        if "SecurityPolicy" not in str(exc):
            raise
        pytest.skip(f"pending: the lab does not map SecurityPolicy yet ({exc})")
    with lab:
        yield lab


def status(lab: Lab, client: mc.Issued) -> int:
    """The HTTP status of GET / on the terminating listener, presenting ``client``."""
    env = lab.environment()
    host, port = env["TERMINATE_HOST"], int(env["TERMINATE_PORT"])
    with tempfile.TemporaryDirectory() as folder:
        cert, key = Path(folder, "c.crt"), Path(folder, "c.key")
        mc.write_cert(cert, client.cert_pem())
        mc.write_key(key, client)
        context = ssl.create_default_context(cadata=lab.pki.ca_pem().decode())
        context.load_cert_chain(cert, key)
    connection = http.client.HTTPSConnection(host, port, context=context, timeout=10)
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        connection.sock = context.wrap_socket(raw, server_hostname=host)
        connection.request("GET", "/", headers={"Host": host})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_only_client_a_passes_the_route(lab: Lab) -> None:
    other = mc.issue_leaf(lab.pki.ca, "client", mc.Names(uris=[OTHER]), common_name="billing")
    # Without a URI SAN the CEL attribute is empty: no rule matches, the default denies.
    no_uri = mc.issue_leaf(lab.pki.ca, "client", mc.Names(dns=["client-a.example.com"]))
    statuses = {
        name: status(lab, c)
        for name, c in (("client-a", lab.pki.client), ("billing", other), ("no URI", no_uri))
    }
    assert statuses == {"client-a": 200, "billing": 403, "no URI": 403}

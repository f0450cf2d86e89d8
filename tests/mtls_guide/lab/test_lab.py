"""The lab on a real Envoy: good clients pass with their identity, bad ones are refused
for the right reason (Envoy's own counters), and CA rotation drops no request."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import ssl
from pathlib import Path

import pytest
import yaml
from cryptography.x509.oid import ExtendedKeyUsageOID

from mtls_guide import mtls_certs as mc
from mtls_guide.lab import client as lab_client
from mtls_guide.lab import objects
from mtls_guide.lab.runner import DEFAULT_MANIFESTS, ROOT, Lab

HOST = "secure.example.com"
STRICT = (
    "snippets/terminate/gateway.yaml",
    "snippets/terminate/httproute.yaml",
    "snippets/terminate/envoy-gateway-client-validation.yaml",
)
FALLBACK = ("snippets/terminate/gateway-per-port.yaml",)


@pytest.fixture
def lab(shared_lab: Lab) -> Lab:
    return shared_lab


@pytest.fixture(scope="module")
def strict_lab(tmp_path_factory: pytest.TempPathFactory):
    with Lab(tmp_path_factory.mktemp("strict"), STRICT) as running:
        yield running


def request(lab: Lab, port: int, client: mc.Issued | None, host: str = HOST) -> dict:
    return lab_client.request(lab, port, client, host)


def refused(lab: Lab, port: int, client: mc.Issued | None, host: str = HOST) -> bool:
    try:
        request(lab, port, client, host)
    except (ssl.SSLError, OSError, http.client.HTTPException):
        return True
    return False


def counter(lab: Lab, suffix: str) -> int:
    return sum(v for k, v in lab.stats(suffix.replace(".", r"\.")).items() if k.endswith(suffix))


def terminate_port(lab: Lab, listener: str = "https") -> int:
    return next(port for key, port in lab.ports.items() if key.endswith(f"_{listener}"))


def client(ca: mc.Issued, **kwargs) -> mc.Issued:
    uri = kwargs.pop("uri", "spiffe://example.org/client-b")
    return mc.issue_leaf(ca, "client", mc.Names(dns=["client-b.example.com"], uris=[uri]), **kwargs)


def test_good_client_reaches_the_app_with_its_identity(lab: Lab) -> None:
    echo = request(lab, terminate_port(lab), lab.pki.client)
    (identity,) = echo["client-identity"]
    assert (
        identity["Subject"] == "CN=client-a" and identity["URI"] == "spiffe://example.org/client-a"
    )


NOW = mc.now_utc()
MATRIX = {
    "no-certificate": (lambda ca: None, "ssl.fail_verify_no_cert"),
    "unknown-ca": (lambda ca: client(mc.make_ca("stranger")), "ssl.fail_verify_error"),
    "expired": (
        lambda ca: client(
            ca, not_before=NOW - dt.timedelta(days=10), not_after=NOW - dt.timedelta(days=1)
        ),
        "ssl.fail_verify_error",
    ),
    "not-yet-valid": (
        lambda ca: client(
            ca, not_before=NOW + dt.timedelta(days=1), not_after=NOW + dt.timedelta(days=10)
        ),
        "ssl.fail_verify_error",
    ),
    "server-auth-only": (
        lambda ca: client(ca, usages=[ExtendedKeyUsageOID.SERVER_AUTH]),
        "ssl.fail_verify_error",
    ),
}


@pytest.mark.parametrize("case", MATRIX)
def test_bad_clients_are_refused_for_the_right_reason(lab: Lab, case: str) -> None:
    make, stat = MATRIX[case]
    before = counter(lab, stat)
    assert refused(lab, terminate_port(lab), make(lab.pki.ca))
    assert counter(lab, stat) == before + 1


def test_revoked_client_is_refused_by_the_crl(strict_lab: Lab) -> None:
    victim = client(strict_lab.pki.ca)
    assert not refused(strict_lab, terminate_port(strict_lab), victim)
    crl = mc.make_crl(strict_lab.pki.ca, [(victim.cert.serial_number, mc.now_utc())])
    strict_lab.set_client_ca(
        strict_lab.pki.ca_pem(), crl.public_bytes(mc.serialization.Encoding.PEM)
    )
    before = counter(strict_lab, "ssl.fail_verify_error")
    assert refused(strict_lab, terminate_port(strict_lab), victim)
    assert counter(strict_lab, "ssl.fail_verify_error") == before + 1
    assert not refused(strict_lab, terminate_port(strict_lab), strict_lab.pki.client)


def test_san_outside_the_allowed_prefix_is_refused(strict_lab: Lab) -> None:
    before = counter(strict_lab, "ssl.fail_verify_san")
    assert refused(
        strict_lab,
        terminate_port(strict_lab),
        client(strict_lab.pki.ca, uri="spiffe://other.org/x"),
    )
    assert counter(strict_lab, "ssl.fail_verify_san") == before + 1


def test_wrong_sni_on_passthrough_matches_no_route(lab: Lab) -> None:
    port = int(lab.environment()["PASSTHROUGH_PORT"])
    before = counter(lab, "no_filter_chain_match")
    assert refused(lab, port, lab.pki.client, host="other.example.com")
    assert counter(lab, "no_filter_chain_match") == before + 1
    echo = request(lab, port, lab.pki.client)
    assert (
        echo["backend"] == "passthrough-backend" and echo["peer_subject"] == "commonName=client-a"
    )


PER_PORT_ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: both-ports, namespace: gateway}
spec:
  parentRefs: [{name: mtls-per-port}]
  rules: [{backendRefs: [{name: secure-app, port: 8080}]}]
"""


def test_insecure_fallback_admits_clients_without_identity(tmp_path: Path) -> None:
    route = tmp_path / "route.yaml"
    route.write_text(PER_PORT_ROUTE)
    with Lab(tmp_path / "lab", (*FALLBACK, str(route))) as fallback:
        partners = terminate_port(fallback, "https-partners")
        for who in (None, fallback.pki.client):
            echo = request(fallback, partners, who, host="partners.example.com")
            assert echo["x-forwarded-client-cert"] is None
        assert refused(fallback, terminate_port(fallback, "https"), None)


def test_ca_rotation_drops_no_request(tmp_path: Path) -> None:
    """Old CA -> old+new bundle -> new CA, under continuous requests from trusted clients."""
    with Lab(tmp_path) as rotating:
        port = terminate_port(rotating)
        names = mc.Names(dns=["client-b.example.com"], uris=["spiffe://example.org/client-b"])
        result = lab_client.rotate_under_load(rotating, port, HOST, names)
        assert result.failures == [] and result.requests >= 100, (
            result.requests,
            result.failures[:3],
        )
        assert refused(rotating, port, rotating.pki.client)  # the old client is out now


BACKEND_POLICY = "snippets/backend-tls/backend-tls-policy.yaml"


def _status(lab: Lab, path: str) -> int:
    return lab_client.fetch(lab, terminate_port(lab), lab.pki.client, HOST, path)[0]


def test_backend_tls_policy_reaches_an_mtls_backend_only_with_the_right_ca(tmp_path: Path) -> None:
    """A BackendTLSPolicy on the route's Service: Envoy speaks TLS to the lab's mTLS backend,
    trusting the policy's CA and presenting the Gateway's backend client certificate."""
    with Lab(tmp_path, (*DEFAULT_MANIFESTS, BACKEND_POLICY)) as lab:
        # The page's Gateway has no spec.tls.backend: the backend refuses Envoy's handshake.
        assert _status(lab, "/") == 503
        gateway = yaml.safe_load((ROOT / "snippets/terminate/gateway.yaml").read_text())
        gateway["spec"]["tls"]["backend"] = {"clientCertificateRef": {"name": "gateway-client"}}
        secret = objects.secret_tls(
            "gateway", "gateway-client", lab.pki.client.cert_pem(), lab.pki.client.key_pem()
        )
        lab.apply_text(yaml.safe_dump_all([secret, gateway]), "test")
        echo = request(lab, terminate_port(lab), lab.pki.client)
        assert echo["backend"] == "passthrough-backend"
        assert "commonName=client-a" in echo["peer_subject"]
        policy = lab.get("BackendTLSPolicy", "gateway", "secure-app-tls")
        [ancestor] = policy["status"]["ancestors"]
        assert ancestor["ancestorRef"] == {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "namespace": "gateway",
            "name": "mtls-terminate",
            "sectionName": "https",
        }
        assert [(c["type"], c["status"]) for c in ancestor["conditions"]] == [("Accepted", "True")]
        # Another CA in the ConfigMap: Envoy cannot verify the backend (upstream TLS failure).
        other = mc.make_ca("another CA").cert_pem().decode()
        key = ("ConfigMap", "gateway", "backend-ca")
        lab.apply_text(json.dumps(objects.holding(key, "ca.crt", other)), "test")
        assert _status(lab, "/") == 503
        assert counter(lab, "ssl.fail_verify_error") + counter(lab, "ssl.fail_verify_san") > 0
        # No ca.crt: the policy is not accepted and the route fails closed (500).
        lab.apply_text(json.dumps(objects.holding(key, "ca.pem", other)), "test")
        assert _status(lab, "/") == 500
        policy = lab.get("BackendTLSPolicy", "gateway", "secure-app-tls")
        conditions = {
            c["type"]: (c["status"], c["reason"])
            for c in policy["status"]["ancestors"][0]["conditions"]
        }
        assert conditions == {
            "Accepted": ("False", "NoValidCACertificate"),
            "ResolvedRefs": ("False", "InvalidCACertificateRef"),
        }


def test_removing_a_backend_tls_policy_makes_before_it_breaks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The policy's cluster outlives the listeners that route to it: Envoy gets the new
    listeners first and only then loses the cluster, so no request meets a missing cluster."""
    from mtls_guide.lab import envoy_config

    with Lab(tmp_path, (*DEFAULT_MANIFESTS, BACKEND_POLICY)) as lab:
        written: list[tuple[str, set[str]]] = []
        publish = envoy_config.publish

        def recording(path: Path, resources: list[dict[str, object]]) -> None:
            if path.name in ("cds.json", "lds.json"):
                written.append((path.name, {str(r.get("name")) for r in resources}))
            publish(path, resources)

        monkeypatch.setattr(envoy_config, "publish", recording)
        lab.delete_text((ROOT / BACKEND_POLICY).read_text(), BACKEND_POLICY)
        names = [name for name, _ in written]
        assert names == ["lds.json", "cds.json"], names  # the policy's cluster goes last
        assert request(lab, terminate_port(lab), lab.pki.client)["backend"] != "passthrough-backend"

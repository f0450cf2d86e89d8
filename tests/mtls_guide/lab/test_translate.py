"""Manifests the lab cannot reproduce stop it with a message that names what it cannot do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mtls_guide.lab import translate
from mtls_guide.lab.runner import Lab
from mtls_guide.lab.translate import LabError

GATEWAY = "snippets/terminate/gateway.yaml"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "extra.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: gateway}\nspec: {ports: [{port: 80}]}\n",
            "kind Service: the lab maps BackendTLSPolicy, ClientTrafficPolicy, ConfigMap, Gateway",
        ),
        (
            """apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: {name: p, namespace: gateway}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: mtls-terminate}]
  timeout: {http: {requestReceivedTimeout: 5s}}
""",
            "ClientTrafficPolicy gateway/p: spec.timeout: the lab does not map it",
        ),
        (
            """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: tcp, namespace: gateway}
spec:
  gatewayClassName: example
  listeners: [{name: raw, protocol: TCP, port: 5432}]
""",
            "listener raw: the lab maps HTTP, HTTPS (Terminate) and TLS (Passthrough) listeners only",
        ),
        (
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: bad}\nspec: {}\n",
            "extra.yaml:4: Gateway/bad: spec.gatewayClassName: Required value",
        ),
    ],
    ids=["built-in-kind", "policy-field", "tcp-listener", "invalid-manifest"],
)
def test_unmappable_manifests_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(LabError, match=re.escape(message)):
        Lab(tmp_path, (GATEWAY, write(tmp_path, text)))


@pytest.mark.parametrize(
    ("listener", "route", "served"),
    [
        ("*.example.com", ["*.com"], ["*.example.com"]),  # the listener is the narrower one
        ("*.com", ["*.example.com"], ["*.example.com"]),  # the route is the narrower one
        ("*.example.com", ["abc.example.com"], ["abc.example.com"]),
        ("*.example.com", ["example.com", "abc.example.net"], []),
        ("abc.example.com", ["*.example.com"], ["abc.example.com"]),
        (None, ["a.example.com"], ["a.example.com"]),
    ],
)
def test_route_hostnames_meet_the_listener_as_gateway_api_intersects_them(
    listener: str | None, route: list[str], served: list[str]
) -> None:
    assert translate._hostnames_meet(listener, route) == served


def test_backend_tls_policy_fields_the_lab_cannot_map_are_named(tmp_path: Path) -> None:
    policy = """apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: system-trust, namespace: gateway}
spec:
  targetRefs: [{group: "", kind: Service, name: secure-app}]
  validation: {wellKnownCACertificates: System, hostname: secure-app.example}
"""
    route = "snippets/terminate/httproute.yaml"
    with pytest.raises(LabError, match=re.escape("spec.validation.wellKnownCACertificates")):
        Lab(tmp_path, (GATEWAY, route, write(tmp_path, policy)))

"""The lab's object store: what the reader applied, keyed like the API server keys it.

Objects come in as YAML or JSON text (one or many documents, or a v1 List), are
validated by the project's validator (schemas and CEL rules of the pinned CRDs),
and are kept with their defaults applied. References between them (Secrets,
ConfigMaps, ReferenceGrants) are resolved here, the way Envoy Gateway v1.9.0
resolves them, with its error texts where its golden data shows them.
"""

from __future__ import annotations

import base64
import binascii
import threading
from dataclasses import dataclass
from typing import Any, NamedTuple

from mtls_guide.validator.engine import CheckedObject, Validator

Obj = dict[str, Any]
Key = tuple[str, str, str]  # (kind, namespace, name)


class KubectlKind(NamedTuple):
    """How kubectl names a kind the lab keeps."""

    group: str  # "" for the core group; kubectl prints `kind.group/name` (`kind/name` for core)
    names: tuple[str, ...]  # plural, singular and short names it understands


GATEWAY_API, ENVOY_GATEWAY = "gateway.networking.k8s.io", "gateway.envoyproxy.io"
KINDS = {
    "Secret": KubectlKind("", ("secrets", "secret")),
    "ConfigMap": KubectlKind("", ("configmaps", "configmap", "cm")),
    "Gateway": KubectlKind(GATEWAY_API, ("gateways", "gateway", "gtw")),
    "HTTPRoute": KubectlKind(GATEWAY_API, ("httproutes", "httproute")),
    "TLSRoute": KubectlKind(GATEWAY_API, ("tlsroutes", "tlsroute")),
    "ReferenceGrant": KubectlKind(GATEWAY_API, ("referencegrants", "referencegrant", "refgrant")),
    "ClientTrafficPolicy": KubectlKind(
        ENVOY_GATEWAY, ("clienttrafficpolicies", "clienttrafficpolicy", "ctp")
    ),
    "SecurityPolicy": KubectlKind(ENVOY_GATEWAY, ("securitypolicies", "securitypolicy", "sp")),
    "BackendTLSPolicy": KubectlKind(
        GATEWAY_API, ("backendtlspolicies", "backendtlspolicy", "btlspolicy")
    ),
}
CA_KEYS = ("ca.crt",)


class LabError(Exception):
    """Objects the lab refuses or cannot reproduce, one line per reason."""


ObjectError = LabError


def kind_of(name: str) -> str:
    """The kind kubectl would understand by ``name`` (``gtw``, ``configmaps``, ``Gateway``...)."""
    lowered = name.lower().split(".", 1)[0]
    for kind, known in KINDS.items():
        if lowered == kind.lower() or lowered in known.names:
            return kind
    raise ObjectError(f'the lab does not keep "{name}"; it keeps {", ".join(sorted(KINDS))}')


def kubectl_kind(kind: str) -> str:
    """How kubectl names ``kind`` in the lines it prints: ``gateway.gateway.networking.k8s.io``."""
    group = KINDS[kind].group if kind in KINDS else ""
    return f"{kind.lower()}.{group}" if group else kind.lower()


def key_of(obj: Obj) -> Key:
    meta = obj.get("metadata") or {}
    return (str(obj.get("kind")), str(meta.get("namespace") or "default"), str(meta.get("name")))


def checked(text: str, source: str, validator: Validator) -> list[Obj]:
    """The objects of ``text``, validated; any problem refuses the whole text."""
    results: list[CheckedObject] = validator.check_text(text, source)
    problems = [str(p) for o in results for p in o.problems]  # each names its source and line
    if problems:
        raise ObjectError("\n".join(problems))
    objects = []
    for result in results:
        if result.value is None:
            continue
        if result.kind not in KINDS:
            raise ObjectError(
                f"{source}: kind {result.kind}: the lab maps {', '.join(sorted(KINDS))}"
            )
        obj = dict(result.value)
        obj["metadata"] = {**obj["metadata"], "namespace": key_of(obj)[1]}
        objects.append(obj)
    return objects


@dataclass
class Resolved:
    """The bytes a reference points at, or why there are none (Envoy Gateway's wording)."""

    data: bytes | None = None
    error: str = ""
    reason: str = ""


class Store:
    """Every object the lab holds, safe to read while a writer replaces the whole set."""

    def __init__(self) -> None:
        self.objects: dict[Key, Obj] = {}
        self.lock = threading.RLock()

    def with_applied(self, objects: list[Obj]) -> dict[Key, Obj]:
        merged = dict(self.objects)
        for obj in objects:
            merged[key_of(obj)] = obj
        return merged

    def with_deleted(self, keys: list[Key]) -> dict[Key, Obj]:
        return {k: v for k, v in self.objects.items() if k not in set(keys)}


class View:
    """Lookups over one consistent set of objects."""

    def __init__(self, objects: dict[Key, Obj]) -> None:
        self.objects = objects

    def of_kind(self, kind: str) -> list[Obj]:
        return [o for (k, _, _), o in sorted(self.objects.items()) if k == kind]

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        return self.objects.get((kind, namespace, name))

    def granted(self, from_kind: str, from_ns: str, to_kind: str, to_ns: str, name: str) -> bool:
        """A ReferenceGrant in ``to_ns`` lets ``from_kind`` objects of ``from_ns`` read the target."""
        if from_ns == to_ns:
            return True
        for grant in self.of_kind("ReferenceGrant"):
            if key_of(grant)[1] != to_ns:
                continue
            spec = grant["spec"]
            sources = any(
                f["kind"] == from_kind and f["namespace"] == from_ns for f in spec["from"]
            )
            targets = any(t["kind"] == to_kind and t.get("name", name) == name for t in spec["to"])
            if sources and targets:
                return True
        return False

    def tls_pair(self, namespace: str, name: str) -> tuple[bytes, bytes] | str:
        """A kubernetes.io/tls Secret's certificate and key, or why it cannot be used."""
        secret = self.get("Secret", namespace, name)
        if secret is None:
            return f"Secret {namespace}/{name} does not exist."
        data = _secret_data(secret)
        if (
            secret.get("type") != "kubernetes.io/tls"
            or "tls.crt" not in data
            or "tls.key" not in data
        ):
            return f"Secret {namespace}/{name} must be of type kubernetes.io/tls with tls.crt and tls.key."
        return data["tls.crt"], data["tls.key"]

    def ca_bundle(self, ref: Obj, namespace: str, from_kind: str) -> Resolved:
        """The PEM a ``caCertificateRefs`` entry names: key ``ca.crt``, as Envoy Gateway reads it."""
        kind, name = ref.get("kind", "Secret"), ref["name"]
        target_ns = ref.get("namespace") or namespace
        if kind not in ("ConfigMap", "Secret"):
            return Resolved(
                error="Unsupported reference kind, supported kinds are ConfigMap, Secret, and ClusterTrustBundle in caCertificateRefs",
                reason="InvalidCACertificateKind",
            )
        if not self.granted(from_kind, namespace, kind, target_ns, name):
            return Resolved(
                error=f"cross-namespace reference is not permitted by any ReferenceGrant for caCertificateRef {ref.get('group', '')}/{name} (kind: {kind}, namespace: {target_ns})",
                reason="RefNotPermitted",
            )
        return self._pem_from(kind, target_ns, name, CA_KEYS, "ca.crt")

    def crl(self, ref: Obj, namespace: str) -> Resolved:
        kind, name = ref.get("kind", "Secret"), ref["name"]
        return self._pem_from(kind, ref.get("namespace") or namespace, name, ("ca.crl",), "ca.crl")

    def _pem_from(
        self, kind: str, namespace: str, name: str, keys: tuple[str, ...], want: str
    ) -> Resolved:
        obj = self.get(kind, namespace, name)
        if obj is None:
            return Resolved(
                error=f"{kind.lower()} {name} not found in namespace {namespace}",
                reason="InvalidCACertificateRef",
            )
        data = (
            _secret_data(obj)
            if kind == "Secret"
            else {k: str(v).encode() for k, v in (obj.get("data") or {}).items()}
        )
        for key in keys:
            pem = unwrap_pem(data.get(key, b""))
            if pem:
                return Resolved(data=pem)
        return Resolved(
            error=f"no {want} with a PEM block in {kind.lower()} {namespace}/{name}",
            reason="InvalidCACertificateRef",
        )


def unwrap_pem(value: bytes) -> bytes:
    """PEM text, or PEM that was base64-encoded once more (Envoy Gateway v1.9.0 accepts both:
    gateway-tls-frontend-backend.in.yaml's ConfigMaps hold the latter)."""
    if b"-----BEGIN" in value:
        return value
    try:
        decoded = base64.b64decode(b"".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return b""
    return decoded if b"-----BEGIN" in decoded else b""


def _secret_data(secret: Obj) -> dict[str, bytes]:
    data: dict[str, bytes] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            data[key] = base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            data[key] = b""
    for key, value in (secret.get("stringData") or {}).items():
        data[key] = str(value).encode()
    return data


def secret_tls(namespace: str, name: str, cert_pem: bytes, key_pem: bytes) -> Obj:
    """The object `kubectl create secret tls` makes."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"name": name, "namespace": namespace},
        "data": {
            "tls.crt": base64.b64encode(cert_pem).decode(),
            "tls.key": base64.b64encode(key_pem).decode(),
        },
    }


def config_map(namespace: str, name: str, data: dict[str, str]) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


def holding(key: Key, data_key: str, text: str) -> Obj:
    """A ConfigMap, or an Opaque Secret, with ``text`` under ``data_key``."""
    kind, namespace, name = key
    if kind == "ConfigMap":
        return config_map(namespace, name, {data_key: text})
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "namespace": namespace},
        "data": {data_key: base64.b64encode(text.encode()).decode()},
    }

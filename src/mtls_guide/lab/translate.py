"""From the objects the reader applied to a lab plan and to their status, as Envoy Gateway
v1.9.0 would make them: what each Envoy listener does, and every object's conditions.

A field the lab cannot reproduce is refused (LabError naming the object and the field),
never silently translated into a different gateway. A reference that cannot be resolved
is not refused: like Envoy Gateway, the lab reports it in the status and leaves the
listener out of the data plane (fail closed).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mtls_guide.lab import status as st
from mtls_guide.lab.authz import route_rbac
from mtls_guide.lab.objects import Key, LabError, Obj, Resolved, View, key_of

XFCC_MODES = {
    "Sanitize": "SANITIZE",
    "ForwardOnly": "FORWARD_ONLY",
    "AppendForward": "APPEND_FORWARD",
    "SanitizeSet": "SANITIZE_SET",
    "AlwaysForwardOnly": "ALWAYS_FORWARD_ONLY",
}
# Envoy Gateway ClientTrafficPolicy clientValidation modes (v1.9.0 tls_types.go).
CTP_MODES = {
    "RequireAndVerify": (True, True),  # (certificate required, chain verified)
    "VerifyIfGiven": (False, True),
    "RequireAny": (True, False),
    "Request": (False, False),
}
SAN_TYPES = {
    "dnsNames": "DNS",
    "uris": "URI",
    "emailAddresses": "EMAIL",
    "ipAddresses": "IP_ADDRESS",
}
SUPPORTED_VALIDATION = {
    "mode", "optional", "caCertificateRefs", "subjectAltNames", "spkiHashes",
    "certificateHashes", "crl", "allowExpiredCertificate",
}  # fmt: skip
GATEWAY_GROUP = "gateway.networking.k8s.io"


@dataclass
class ClientCheck:
    """How a terminating listener treats client certificates."""

    required: bool = False
    verified: bool = False
    requested: bool = False
    ca_pem: bytes = b""
    san_matchers: list[tuple[str, str, str]] = field(default_factory=list)  # (type, match, value)
    spki_hashes: list[str] = field(default_factory=list)
    cert_hashes: list[str] = field(default_factory=list)
    crl_pem: bytes | None = None
    allow_expired: bool = False
    forward_identity: bool = True  # False under AllowInsecureFallback: no identity reaches the app


@dataclass
class UpstreamTls:
    """A BackendTLSPolicy as one Envoy cluster: TLS to the lab's mTLS backend."""

    name: str  # the Envoy cluster
    ca_pem: bytes
    sni: str
    sans: list[tuple[str, str]]  # (DNS | URI, exact value)
    client_cert: tuple[bytes, bytes] | None  # the Gateway's spec.tls.backend.clientCertificateRef


@dataclass
class HttpRoute:
    """One Envoy route: an HTTPRoute rule's match, to the echo backend (or, under a
    BackendTLSPolicy, over TLS to the mTLS backend)."""

    name: str
    path: tuple[str, str]  # (PathPrefix | Exact, value)
    has_backend: bool = True
    rbac: dict[str, Any] | None = None
    upstream: UpstreamTls | None = None


@dataclass
class Terminate:
    namespace: str
    gateway: str
    name: str
    hostname: str
    port: int  # the port in the manifest; Envoy binds a free one
    cert: tuple[bytes, bytes] | None  # None: a plain HTTP listener
    client: ClientCheck
    xfcc_mode: str = "SANITIZE"
    xfcc_details: list[str] = field(default_factory=list)
    routes: list[HttpRoute] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.namespace}_{self.gateway}_{self.name}"


@dataclass
class Passthrough:
    namespace: str
    gateway: str
    name: str
    port: int
    hostnames: list[str]

    @property
    def key(self) -> str:
        return f"{self.namespace}_{self.gateway}_{self.name}"


@dataclass
class Plan:
    terminate: list[Terminate] = field(default_factory=list)
    passthrough: list[Passthrough] = field(default_factory=list)
    # Every (namespace, gateway, port): its Envoy listener stays, so its port stays, even
    # when no listener on it is valid.
    ports: set[tuple[str, str, int]] = field(default_factory=set)
    listeners: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # key -> port id


@dataclass
class Translation:
    plan: Plan
    statuses: dict[Key, dict[str, Any]]
    policy_errors: dict[Key, str] = field(default_factory=dict)


def _refuse(obj: Obj, path: str, what: str) -> LabError:
    kind, namespace, name = key_of(obj)
    return LabError(f"{kind} {namespace}/{name}: {path}: {what}")


def translate(view: View) -> Translation:
    result = Translation(Plan(), {})
    policies = _policies(view, result)
    security = _security_policies(view, result)
    for backend_policy in view.of_kind("BackendTLSPolicy"):
        _check_backend_tls_fields(backend_policy)
    for gateway in view.of_kind("Gateway"):
        _gateway(view, gateway, policies, security, result)
    for kind in ("HTTPRoute", "TLSRoute"):
        for route in view.of_kind(kind):
            result.statuses.setdefault(key_of(route), {"parents": []})
            _unmatched_parents(view, route, result)
    finish_statuses(view, result)
    return result


# -- Gateways ---------------------------------------------------------------------------------


def _gateway(
    view: View,
    gateway: Obj,
    policies: dict[tuple[str, str, str | None], Obj],
    security: dict[Key, Obj],
    result: Translation,
) -> None:
    _, namespace, name = key_of(gateway)
    gateway_conditions: list[st.Condition] = []
    listener_statuses = []
    frontend_errors: list[str] = []
    for index, listener in enumerate(gateway["spec"]["listeners"]):
        conditions, attached = _listener(
            view, gateway, index, listener, policies, security, result, frontend_errors
        )
        listener_statuses.append(
            {
                "name": listener["name"],
                "attachedRoutes": attached,
                "supportedKinds": _supported_kinds(listener),
                "conditions": conditions,
            }
        )
        result.plan.ports.add((namespace, name, listener["port"]))
    gateway_conditions = st.gateway_conditions(True)
    frontend = (gateway["spec"].get("tls") or {}).get("frontend")
    if gateway["spec"].get("tls"):
        frontend = frontend or {}
        if _insecure(frontend):
            gateway_conditions.append(
                st.condition(
                    "InsecureFrontendValidationMode", True, "ConfigurationChanged",
                    "Gateway is using AllowInsecureFallback frontend validation mode.",
                )
            )  # fmt: skip
        backend_error = _backend_client_certificate(view, gateway)
        if backend_error:
            gateway_conditions.append(
                st.condition("ResolvedRefs", False, "InvalidClientCertificateRef", backend_error)
            )
        elif frontend_errors:
            gateway_conditions.append(
                st.condition("ResolvedRefs", False, "InvalidParameters", frontend_errors[0])
            )
        else:
            gateway_conditions.append(
                st.condition(
                    "ResolvedRefs", True, "ResolvedRefs",
                    "Successfully resolved all TLS references for the gateway",
                )
            )  # fmt: skip
    result.statuses[key_of(gateway)] = {
        "addresses": [{"type": "IPAddress", "value": "127.0.0.1"}],
        "conditions": gateway_conditions,
        "listeners": listener_statuses,
    }


def _backend_client_pair(view: View, gateway: Obj) -> tuple[bytes, bytes] | None:
    """The certificate Envoy presents to a backend under a BackendTLSPolicy, if any."""
    if _backend_client_certificate(view, gateway):
        return None
    ref = ((gateway["spec"].get("tls") or {}).get("backend") or {}).get("clientCertificateRef")
    if ref is None:
        return None
    pair = view.tls_pair(ref.get("namespace") or key_of(gateway)[1], ref["name"])
    return None if isinstance(pair, str) else pair


def _backend_client_certificate(view: View, gateway: Obj) -> str:
    """Why ``spec.tls.backend.clientCertificateRef`` cannot be used, or "" (the certificate
    is presented only to backends under a BackendTLSPolicy)."""
    ref = ((gateway["spec"].get("tls") or {}).get("backend") or {}).get("clientCertificateRef")
    if ref is None:
        return ""
    if ref.get("kind", "Secret") != "Secret":
        return f"Invalid backend client certificate reference for gateway: invalid client certificate reference kind: {ref['kind']}"
    _, namespace, _ = key_of(gateway)
    target = ref.get("namespace") or namespace
    if not view.granted("Gateway", namespace, "Secret", target, ref["name"]) or isinstance(
        view.tls_pair(target, ref["name"]), str
    ):
        return "failed to get backend client certs for gateway"
    return ""


def _insecure(frontend: Obj) -> bool:
    validations = [(frontend.get("default") or {}).get("validation") or {}]
    validations += [(p["tls"].get("validation") or {}) for p in frontend.get("perPort", [])]
    return any(v.get("mode") == "AllowInsecureFallback" for v in validations)


def _supported_kinds(listener: Obj) -> list[dict[str, str]]:
    if listener["protocol"] == "TLS":
        return [{"group": GATEWAY_GROUP, "kind": "TLSRoute"}]
    return [
        {"group": GATEWAY_GROUP, "kind": "HTTPRoute"},
        {"group": GATEWAY_GROUP, "kind": "GRPCRoute"},
    ]


def _listener(
    view: View,
    gateway: Obj,
    index: int,
    listener: Obj,
    policies: dict[tuple[str, str, str | None], Obj],
    security: dict[Key, Obj],
    result: Translation,
    frontend_errors: list[str],
) -> tuple[list[st.Condition], int]:
    _, namespace, name = key_of(gateway)
    # Every listener keeps its port, valid or not (its Envoy listener stays, failing closed).
    result.plan.listeners[f"{namespace}_{name}_{listener['name']}"] = (
        namespace,
        name,
        listener["port"],
    )
    mode = (listener.get("tls") or {}).get("mode", "Terminate")
    if listener["protocol"] == "TLS" and mode == "Passthrough":
        return _passthrough(view, gateway, listener, result)
    if listener["protocol"] == "HTTP":
        return _plain_http(view, gateway, index, listener, policies, security, result)
    if listener["protocol"] != "HTTPS":
        raise _refuse(
            gateway,
            f"spec.listeners[{index}].protocol",
            f"listener {listener['name']}: the lab maps HTTP, HTTPS (Terminate) and TLS (Passthrough) listeners only",
        )
    refs = listener["tls"].get("certificateRefs", [])
    if len(refs) != 1:
        raise _refuse(
            gateway,
            f"spec.listeners[{index}].tls.certificateRefs",
            "the lab serves exactly one certificate per listener",
        )
    ref = refs[0]
    cert_ns = ref.get("namespace") or namespace
    if not view.granted("Gateway", namespace, "Secret", cert_ns, ref["name"]):
        return st.listener_bad_certificate(
            f"Certificate ref to secret {cert_ns}/{ref['name']} not permitted by any ReferenceGrant."
        ), 0
    pair = view.tls_pair(cert_ns, ref["name"])
    if isinstance(pair, str):
        return st.listener_bad_certificate(pair), 0
    client, problem = _frontend_client(view, gateway, listener, frontend_errors)
    if problem is not None:
        return problem, 0
    entry = Terminate(
        namespace,
        name,
        listener["name"],
        listener.get("hostname", "*"),
        listener["port"],
        pair,
        client,
    )
    valid = True
    for policy in _policies_for(policies, namespace, name, listener["name"]):
        valid = _apply_policy(view, entry, policy, result) and valid
    attached = _attach_http_routes(view, gateway, listener, entry, security, result)
    if not valid:
        # Envoy Gateway keeps the listener, requires a client certificate it cannot verify
        # and answers every route with 500 (clienttrafficpolicy-mtls-cert-bundle-both-invalid).
        entry.client = ClientCheck(required=True, verified=True)
        for route in entry.routes:
            route.has_backend = False
    result.plan.terminate.append(entry)
    return st.listener_ok(), attached


PEM_BLOCK = re.compile(rb"-----BEGIN ([^-\r\n]+)-----(.*?)-----END \1-----", re.DOTALL)


def pem_certificates(pem: bytes) -> list[x509.Certificate]:
    """Every PEM block of a CA bundle as a certificate; ValueError naming the first block that
    is not one (a private key, junk) or when there is no block at all. A bundle with anything
    but certificates in it is refused as a whole: trusting "the certificates we could read"
    would hide a broken ConfigMap, and an empty trust store must never mean "trust anyone"."""
    blocks = list(PEM_BLOCK.finditer(pem))
    if not blocks:
        raise ValueError("no PEM-encoded certificate found")
    certs = []
    for number, block in enumerate(blocks, 1):
        label = block[1].decode(errors="replace")
        if label != "CERTIFICATE":
            raise ValueError(f"PEM block {number} is a {label}, not a CERTIFICATE")
        try:
            certs.append(x509.load_pem_x509_certificate(block[0]))
        except ValueError:
            raise ValueError(f"PEM block {number} is not a valid X.509 certificate") from None
    return certs


def usable_cas(pem: bytes, name: str) -> tuple[bytes, str]:
    """The bundle's certificates that have not expired, each once (Envoy Gateway v1.9.0 drops
    expired CAs and duplicates); a problem when the bundle holds anything but certificates or
    none is left."""
    now = dt.datetime.now(dt.UTC)
    try:
        certs = pem_certificates(pem)
    except ValueError as exc:
        return b"", f"no valid certificates exist in {name}: {exc}"
    kept, seen, expired = [], set(), []
    for cert in certs:
        der = cert.public_bytes(Encoding.DER)
        if cert.not_valid_after_utc < now:
            expired.append(f"certificate has expired since {cert.not_valid_after_utc}")
        elif der not in seen:
            seen.add(der)
            kept.append(cert.public_bytes(Encoding.PEM))
    if not kept:
        return b"", f"no valid certificates exist in {name}: " + "\n".join(expired)
    return b"".join(kept), ""


def _plain_http(
    view: View,
    gateway: Obj,
    index: int,
    listener: Obj,
    policies: dict[tuple[str, str, str | None], Obj],
    security: dict[Key, Obj],
    result: Translation,
) -> tuple[list[st.Condition], int]:
    """A plain HTTP listener: routes, and a policy's headers; no TLS to configure."""
    _, namespace, name = key_of(gateway)
    if any(
        e.cert is None
        and e.port == listener["port"]
        and (e.namespace, e.gateway) == (namespace, name)
        for e in result.plan.terminate
    ):
        raise _refuse(
            gateway, f"spec.listeners[{index}].port", "the lab maps one HTTP listener per port"
        )
    entry = Terminate(
        namespace,
        name,
        listener["name"],
        listener.get("hostname", "*"),
        listener["port"],
        None,
        ClientCheck(),
    )
    for policy in _policies_for(policies, namespace, name, listener["name"]):
        xfcc = (policy["spec"].get("headers") or {}).get("xForwardedClientCert")
        if xfcc is not None:
            entry.xfcc_mode = XFCC_MODES[xfcc.get("mode", "Sanitize")]
    attached = _attach_http_routes(view, gateway, listener, entry, security, result)
    result.plan.terminate.append(entry)
    return st.listener_ok(), attached


def _frontend_client(
    view: View, gateway: Obj, listener: Obj, errors: list[str]
) -> tuple[ClientCheck, list[st.Condition] | None]:
    """Client validation from the Gateway's ``spec.tls.frontend`` (per port, else default)."""
    frontend = (gateway["spec"].get("tls") or {}).get("frontend") or {}
    validation, prefix = None, "Failed to get frontend CA certs for gateway: "
    for entry in frontend.get("perPort", []):
        if entry["port"] == listener["port"]:
            validation = entry["tls"].get("validation")
    if validation is None:
        validation = (frontend.get("default") or {}).get("validation")
        prefix = "Failed to get default frontend CA certs for gateway: "
    if validation is None:
        return ClientCheck(), None
    bundle = b""
    _, namespace, _ = key_of(gateway)
    for ref in validation["caCertificateRefs"]:
        resolved = view.ca_bundle(ref, namespace, "Gateway")
        if resolved.data is not None:
            # A bundle that is not all certificates, or only expired ones, cannot be used:
            # the listener is refused like one whose ConfigMap is missing (fail closed).
            kind = ref.get("kind", "Secret").lower()
            usable, problem = usable_cas(
                resolved.data, f"{kind} {ref.get('namespace') or namespace}/{ref['name']}"
            )
            if problem:
                resolved = Resolved(error=problem, reason="InvalidCACertificateRef")
            bundle += usable
        if resolved.data is None:
            errors.append(prefix + resolved.error)
            return ClientCheck(), st.listener_bad_ca(resolved.reason, resolved.error)
    insecure = validation.get("mode") == "AllowInsecureFallback"
    return ClientCheck(
        required=not insecure,
        verified=not insecure,
        requested=True,
        ca_pem=bundle,
        forward_identity=not insecure,
    ), None


# -- ClientTrafficPolicies --------------------------------------------------------------------


def _policies(view: View, result: Translation) -> dict[tuple[str, str, str | None], Obj]:
    """The ClientTrafficPolicy in force per (namespace, gateway, section or None); the oldest
    (then first by name) wins a target, as Envoy Gateway decides conflicts."""
    chosen: dict[tuple[str, str, str | None], Obj] = {}
    for policy in sorted(view.of_kind("ClientTrafficPolicy"), key=_age):
        _, namespace, _ = key_of(policy)
        _check_policy_fields(policy)
        ancestors = []
        for index, ref in enumerate(_target_refs(policy)):
            if ref["kind"] != "Gateway":
                raise _refuse(
                    policy,
                    f"spec.targetRefs[{index}].kind",
                    "the lab maps policies on Gateways only",
                )
            target = (namespace, ref["name"], ref.get("sectionName"))
            ancestor = {
                "group": GATEWAY_GROUP,
                "kind": "Gateway",
                "namespace": namespace,
                "name": ref["name"],
            }
            if ref.get("sectionName"):
                ancestor["sectionName"] = ref["sectionName"]
            if target in chosen:
                where = "section of Gateway" if ref.get("sectionName") else "Gateway"
                conditions = [
                    st.condition(
                        "Conflicted", True, "Conflicted",
                        f"Unable to target {where} {ref['name']}, another ClientTrafficPolicy has already attached to it",
                    ),
                    st.condition("Accepted", False, "Conflicted",
                                 f"Unable to target {where} {ref['name']}, another ClientTrafficPolicy has already attached to it"),
                ]  # fmt: skip
            else:
                chosen[target] = policy
                conditions = [st.policy_accepted()]
            ancestors.append(st.policy_ancestor(ancestor, conditions))
        result.statuses[key_of(policy)] = {"ancestors": ancestors}
    _mark_overridden(chosen, result)
    return chosen


def _mark_overridden(chosen: dict[tuple[str, str, str | None], Obj], result: Translation) -> None:
    """A Gateway-wide policy that section policies override says so on its ancestor."""
    for (namespace, gateway, section), policy in chosen.items():
        if section is not None:
            continue
        sections = sorted(
            f"{namespace}/{gateway}/{s}"
            for (n, g, s) in chosen
            if (n, g) == (namespace, gateway) and s
        )
        if not sections:
            continue
        message = f"This policy is being overridden by other clientTrafficPolicies for these listeners: [{', '.join(sections)}]"
        for ancestor in result.statuses[key_of(policy)]["ancestors"]:
            if (
                ancestor["ancestorRef"]["name"] == gateway
                and "sectionName" not in ancestor["ancestorRef"]
            ):
                ancestor["conditions"].append(
                    st.condition("Overridden", True, "Overridden", message)
                )


def _target_refs(policy: Obj) -> list[Obj]:
    """``targetRefs``, and the deprecated single ``targetRef`` Envoy Gateway still reads."""
    single = policy["spec"].get("targetRef")
    return [*policy["spec"].get("targetRefs", []), *([single] if single else [])]


def _age(obj: Obj) -> tuple[str, str]:
    meta = obj["metadata"]
    return (str(meta.get("creationTimestamp", "")), str(meta.get("name")))


def _policies_for(
    policies: dict[tuple[str, str, str | None], Obj], namespace: str, gateway: str, section: str
) -> list[Obj]:
    """The section's own policy, else the Gateway-wide one: as in Envoy Gateway, a policy on
    the section overrides the Gateway's entirely (it does not merge with it)."""
    found = policies.get((namespace, gateway, section)) or policies.get((namespace, gateway, None))
    return [found] if found is not None else []


def _san_type(kind: str, matcher: Obj) -> str:
    """Envoy's SAN type; an otherName carries its OID as ``OTHER_NAME:<oid>``."""
    return f"OTHER_NAME:{matcher['oid']}" if kind == "otherNames" else SAN_TYPES[kind]


def _check_policy_fields(policy: Obj) -> None:
    """Refuse a ClientTrafficPolicy field the lab does not reproduce, naming it."""
    spec = policy["spec"]
    unsupported = set(spec) - {"targetRefs", "targetRef", "tls", "headers"}
    unsupported |= {f"tls.{k}" for k in (spec.get("tls") or {}) if k != "clientValidation"}
    unsupported |= {
        f"headers.{k}" for k in (spec.get("headers") or {}) if k != "xForwardedClientCert"
    }
    validation = (spec.get("tls") or {}).get("clientValidation") or {}
    unsupported |= {f"tls.clientValidation.{k}" for k in set(validation) - SUPPORTED_VALIDATION}
    unsupported |= {
        f"tls.clientValidation.subjectAltNames.{k}"
        for k in set(validation.get("subjectAltNames") or {}) - {*SAN_TYPES, "otherNames"}
    }
    if unsupported:
        raise _refuse(policy, "spec." + sorted(unsupported)[0], "the lab does not map it")


def _apply_policy(view: View, entry: Terminate, policy: Obj, result: Translation) -> bool:
    """Apply ``policy`` to ``entry``; False when its references fail (the listener fails closed)."""
    spec = policy["spec"]
    validation = (spec.get("tls") or {}).get("clientValidation")
    if validation is not None:
        problem = _policy_validation(view, entry, policy, validation)
        if problem:
            result.policy_errors[key_of(policy)] = f"TLS: {problem}."
            return False
    xfcc = (spec.get("headers") or {}).get("xForwardedClientCert")
    if xfcc is not None:
        entry.xfcc_mode = XFCC_MODES[xfcc.get("mode", "Sanitize")]
        if entry.xfcc_mode in ("APPEND_FORWARD", "SANITIZE_SET"):  # ignored with the other modes
            entry.xfcc_details = list(xfcc.get("certDetailsToAdd", []))
    return True


def _policy_validation(view: View, entry: Terminate, policy: Obj, validation: Obj) -> str:
    _, namespace, _ = key_of(policy)
    mode = validation.get("mode") or (
        "VerifyIfGiven" if validation.get("optional") else "RequireAndVerify"
    )
    required, verified = CTP_MODES[mode]
    bundle = b""
    for ref in validation.get("caCertificateRefs", []):
        resolved = view.ca_bundle(ref, namespace, "ClientTrafficPolicy")
        if resolved.data is None:
            return resolved.error
        usable, problem = usable_cas(resolved.data, ref["name"])
        if problem:
            return problem
        bundle += usable
    crl = None
    for ref in (validation.get("crl") or {}).get("refs", []):
        resolved = view.crl(ref, namespace)
        if resolved.data is None:
            return resolved.error
        crl = (crl or b"") + resolved.data
    entry.client = ClientCheck(
        required=required,
        verified=verified,
        requested=True,
        ca_pem=bundle or entry.client.ca_pem,
        san_matchers=[
            (_san_type(kind, m), m.get("type", "Exact"), m["value"])
            for kind, matchers in (validation.get("subjectAltNames") or {}).items()
            for m in matchers
        ],
        spki_hashes=list(validation.get("spkiHashes", [])),
        cert_hashes=list(validation.get("certificateHashes", [])),
        crl_pem=crl,
        allow_expired=bool(validation.get("allowExpiredCertificate")),
    )
    return ""


# -- routes -------------------------------------------------------------------------------------


def _hostnames_meet(listener_host: str | None, route_hosts: list[str]) -> list[str]:
    """The route hostnames the listener serves (Gateway API hostname intersection)."""
    if not route_hosts:
        return [listener_host or "*"]
    if not listener_host:
        return route_hosts
    met = []
    for host in route_hosts:
        if host == listener_host or _wild_match(listener_host, host):
            met.append(host)
        elif _wild_match(host, listener_host):
            met.append(listener_host)
    return met


def _wild_match(pattern: str, host: str) -> bool:
    # A wildcard also covers a longer wildcard (`*.com` covers `*.example.com`): the two
    # intersect in the more specific one, as Envoy Gateway v1.9.0's golden case
    # tlsroute-hostname-intersection shows.
    return pattern.startswith("*.") and host.endswith(pattern[1:])


def _parent_matches(route: Obj, ref: Obj, gateway: Obj, listener: Obj) -> bool:
    _, namespace, name = key_of(gateway)
    _, route_ns, _ = key_of(route)
    return (
        ref.get("kind", "Gateway") == "Gateway"
        and ref["name"] == name
        and (ref.get("namespace") or route_ns) == namespace
        and ref.get("sectionName", listener["name"]) == listener["name"]
        and ref.get("port", listener["port"]) == listener["port"]
    )


def _allowed(gateway: Obj, listener: Obj, route: Obj) -> bool:
    namespaces = ((listener.get("allowedRoutes") or {}).get("namespaces") or {}).get("from", "Same")
    kinds = [k["kind"] for k in (listener.get("allowedRoutes") or {}).get("kinds", [])]
    if kinds and route["kind"] not in kinds:
        return False
    return namespaces == "All" or key_of(route)[1] == key_of(gateway)[1]


def _record_parent(result: Translation, route: Obj, ref: Obj, accepted: st.Condition) -> None:
    parents = result.statuses.setdefault(key_of(route), {"parents": []})["parents"]
    parent_ref = {
        "group": GATEWAY_GROUP,
        "kind": "Gateway",
        **{k: v for k, v in ref.items() if k not in ("group", "kind")},
    }
    for parent in parents:
        if parent["parentRef"] == parent_ref:
            if accepted["status"] == "True":
                parent["conditions"][0] = accepted
            return
    parents.append(st.route_parent(parent_ref, accepted))


ACCEPTED = ("Accepted", True, "Accepted", "Route is accepted")
NOT_ALLOWED = (
    "Accepted",
    False,
    "NotAllowedByListeners",
    "No listeners included by this parent ref allowed this attachment.",
)
NO_HOSTNAME = (
    "Accepted",
    False,
    "NoMatchingListenerHostname",
    "There were no hostname intersections between the HTTPRoute and this parent ref's Listener(s).",
)


def _unmatched_parents(view: View, route: Obj, result: Translation) -> None:
    """A parentRef to an existing Gateway that no listener took: no listener by that
    section/port (NoMatchingParent), or none of the route's kind (NotAllowedByListeners)."""
    _, route_ns, _ = key_of(route)
    recorded = {
        (p["parentRef"]["name"], p["parentRef"].get("sectionName"))
        for p in result.statuses[key_of(route)]["parents"]
    }
    for ref in route["spec"].get("parentRefs", []):
        gateway = view.get("Gateway", ref.get("namespace") or route_ns, ref["name"])
        if gateway is None or (ref["name"], ref.get("sectionName")) in recorded:
            continue
        named = [
            listener
            for listener in gateway["spec"]["listeners"]
            if ref.get("sectionName", listener["name"]) == listener["name"]
            and ref.get("port", listener["port"]) == listener["port"]
        ]
        verdict = (
            NOT_ALLOWED
            if named
            else ("Accepted", False, "NoMatchingParent", "No listeners match this parent ref")
        )
        _record_parent(result, route, ref, st.condition(*verdict))


def _attached(
    view: View, gateway: Obj, listener: Obj, kind: str, result: Translation
) -> list[tuple[Obj, list[str]]]:
    """The routes of ``kind`` attached to ``listener``, with the hostnames they serve there;
    every parentRef naming the listener gets its condition."""
    attached = []
    for route in view.of_kind(kind):
        for ref in route["spec"].get("parentRefs", []):
            if not _parent_matches(route, ref, gateway, listener):
                continue
            if not _allowed(gateway, listener, route):
                _record_parent(result, route, ref, st.condition(*NOT_ALLOWED))
                continue
            hosts = _hostnames_meet(listener.get("hostname"), route["spec"].get("hostnames", []))
            if not hosts:
                reason = NO_HOSTNAME[3].replace("HTTPRoute", kind)
                _record_parent(
                    result, route, ref, st.condition("Accepted", False, NO_HOSTNAME[2], reason)
                )
                continue
            _record_parent(result, route, ref, st.condition(*ACCEPTED))
            attached.append((route, hosts))
    return attached


def _attach_http_routes(
    view: View,
    gateway: Obj,
    listener: Obj,
    entry: Terminate,
    security: dict[Key, Obj],
    result: Translation,
) -> int:
    attached = _attached(view, gateway, listener, "HTTPRoute", result)
    for route, hosts in attached:
        rbac = _rbac_for(route, gateway, security)
        _, route_ns, route_name = key_of(route)
        for r, rule in enumerate(route["spec"].get("rules", [])):
            upstream, broken = _backend_tls(view, gateway, listener, route, rule, result)
            for field_name in ("filters", "sessionPersistence", "retry"):
                if rule.get(field_name):
                    raise _refuse(route, f"spec.rules[{r}].{field_name}", "the lab does not map it")
            for m, match in enumerate(rule.get("matches") or [{}]):
                extra = set(match) - {"path"}
                if extra:
                    raise _refuse(
                        route,
                        f"spec.rules[{r}].matches[{m}].{sorted(extra)[0]}",
                        "the lab does not map it",
                    )
                path = match.get("path") or {"type": "PathPrefix", "value": "/"}
                if path.get("type", "PathPrefix") not in ("PathPrefix", "Exact"):
                    raise _refuse(
                        route,
                        f"spec.rules[{r}].matches[{m}].path.type",
                        "the lab maps PathPrefix and Exact",
                    )
                entry.routes.append(
                    HttpRoute(
                        f"httproute/{route_ns}/{route_name}/rule/{r}/match/{m}/{hosts[0]}",
                        (path.get("type", "PathPrefix"), path.get("value", "/")),
                        bool(rule.get("backendRefs")) and not broken,
                        rbac,
                        upstream,
                    )
                )
    # Envoy tries routes in order: exact paths first, then longer prefixes (as Envoy Gateway sorts).
    entry.routes.sort(key=lambda r: (r.path[0] != "Exact", -len(r.path[1])))
    return len(attached)


def _backend_tls(
    view: View, gateway: Obj, listener: Obj, route: Obj, rule: Obj, result: Translation
) -> tuple[UpstreamTls | None, bool]:
    """The BackendTLSPolicy on the Service a rule sends to, as an Envoy cluster, and whether
    the policy is broken (Envoy Gateway v1.9.0 then answers the rule with 500:
    backendtlspolicy-ca-only-invalid)."""
    _, route_ns, _ = key_of(route)
    for ref in rule.get("backendRefs") or []:
        if ref.get("kind", "Service") != "Service" or ref.get("group", "") != "":
            continue
        service_ns = ref.get("namespace") or route_ns
        found = sorted(
            (
                p
                for p in view.of_kind("BackendTLSPolicy")
                if key_of(p)[1] == service_ns
                and any(
                    t.get("kind") == "Service"
                    and t.get("group", "") == ""
                    and t["name"] == ref["name"]
                    for t in p["spec"].get("targetRefs", [])
                )
            ),
            key=_age,
        )
        if not found:
            continue
        # The ancestor is the parentRef as the route wrote it (sectionName included).
        section = next(
            (
                p.get("sectionName")
                for p in route["spec"].get("parentRefs", [])
                if _parent_matches(route, p, gateway, listener)
            ),
            None,
        )
        return _upstream(view, gateway, section, found[0], result)
    return None, False


def _check_backend_tls_fields(policy: Obj) -> None:
    validation = policy["spec"]["validation"]
    extra = sorted(set(validation) - {"caCertificateRefs", "hostname", "subjectAltNames"})
    extra += sorted(set(policy["spec"]) - {"targetRefs", "validation"})
    if extra:
        where = "spec." + ("validation." if extra[0] in validation else "") + extra[0]
        raise _refuse(policy, where, "the lab does not map it")


def _upstream(
    view: View, gateway: Obj, section: str | None, policy: Obj, result: Translation
) -> tuple[UpstreamTls | None, bool]:
    _, namespace, name = key_of(policy)
    _, gateway_ns, gateway_name = key_of(gateway)
    validation = policy["spec"]["validation"]
    ancestor = {
        "group": GATEWAY_GROUP, "kind": "Gateway", "namespace": gateway_ns, "name": gateway_name,
    }  # fmt: skip
    if section:
        ancestor["sectionName"] = section
    bundle, error = b"", ""
    for ref in validation.get("caCertificateRefs", []):
        resolved = view.ca_bundle(ref, namespace, "BackendTLSPolicy")
        if resolved.error:
            error = resolved.error
            break
        bundle += resolved.data or b""
    if not error and not bundle:
        raise _refuse(policy, "spec.validation.caCertificateRefs", "the lab needs a CA to trust")
    if not error:
        bundle, error = usable_cas(bundle, f"BackendTLSPolicy {namespace}/{name}")
    ancestors = result.statuses.setdefault(key_of(policy), {"ancestors": []})["ancestors"]
    if error:
        conditions = [
            st.condition("Accepted", False, "NoValidCACertificate", error),
            st.condition("ResolvedRefs", False, "InvalidCACertificateRef", error),
        ]
    else:
        conditions = [st.policy_accepted()]
    if all(a["ancestorRef"] != ancestor for a in ancestors):
        ancestors.append(st.policy_ancestor(ancestor, conditions))
    if error:
        return None, True
    hostname = validation["hostname"]
    sans = [
        ("DNS", san["hostname"]) if san["type"] == "Hostname" else ("URI", san["uri"])
        for san in validation.get("subjectAltNames", [])
    ] or [("DNS", hostname)]
    return UpstreamTls(
        f"backendtls/{namespace}/{name}/{gateway_ns}/{gateway_name}",
        bundle,
        hostname,
        sans,
        _backend_client_pair(view, gateway),
    ), False


def _passthrough(
    view: View, gateway: Obj, listener: Obj, result: Translation
) -> tuple[list[st.Condition], int]:
    _, namespace, name = key_of(gateway)
    hostnames: list[str] = []
    attached = _attached(view, gateway, listener, "TLSRoute", result)
    for _route, hosts in attached:
        hostnames += [h for h in hosts if h not in hostnames]
    if hostnames:
        entry = Passthrough(namespace, name, listener["name"], listener["port"], hostnames)
        result.plan.passthrough.append(entry)
    return st.listener_ok(), len(attached)


# -- SecurityPolicies -------------------------------------------------------------------------


def _security_policies(view: View, result: Translation) -> dict[Key, Obj]:
    """The SecurityPolicy in force per target (HTTPRoute or Gateway key); oldest wins."""
    chosen: dict[Key, Obj] = {}
    for policy in sorted(view.of_kind("SecurityPolicy"), key=_age):
        _, namespace, _ = key_of(policy)
        unsupported = set(policy["spec"]) - {"targetRefs", "authorization"}
        if unsupported:
            raise _refuse(
                policy, "spec." + sorted(unsupported)[0], "the lab maps authorization only"
            )
        for index, ref in enumerate(policy["spec"].get("targetRefs", [])):
            if ref["kind"] not in ("HTTPRoute", "Gateway") or ref.get("sectionName"):
                raise _refuse(
                    policy,
                    f"spec.targetRefs[{index}]",
                    "the lab maps policies on whole HTTPRoutes and Gateways",
                )
            chosen.setdefault((ref["kind"], namespace, ref["name"]), policy)
        route_rbac(policy)  # refuses what the lab cannot map, before anything changes
        result.statuses[key_of(policy)] = {"ancestors": []}
    return chosen


def _rbac_for(route: Obj, gateway: Obj, security: dict[Key, Obj]) -> dict[str, Any] | None:
    """The route's own SecurityPolicy, else its Gateway's (a route policy overrides)."""
    policy = security.get(key_of(route)) or security.get(key_of(gateway))
    return route_rbac(policy) if policy is not None else None


def finish_statuses(view: View, result: Translation) -> None:
    """Policy ancestors that depend on routes and invalid references, once everything is translated."""
    for policy in view.of_kind("BackendTLSPolicy"):
        result.statuses.setdefault(key_of(policy), {"ancestors": []})
    for policy in view.of_kind("ClientTrafficPolicy"):
        message = result.policy_errors.get(key_of(policy))
        if message is None:
            continue
        for ancestor in result.statuses[key_of(policy)]["ancestors"]:
            ancestor["conditions"] = [st.policy_invalid(message)]
    for policy in view.of_kind("SecurityPolicy"):
        _, namespace, _ = key_of(policy)
        ancestors = []
        for ref in policy["spec"].get("targetRefs", []):
            if ref["kind"] == "Gateway":
                ancestors.append(
                    {
                        "group": GATEWAY_GROUP,
                        "kind": "Gateway",
                        "namespace": namespace,
                        "name": ref["name"],
                    }
                )
                continue
            route_status = result.statuses.get(
                ("HTTPRoute", namespace, ref["name"]), {"parents": []}
            )
            for parent in route_status["parents"]:
                ref_ = parent["parentRef"]
                ancestors.append(
                    {
                        "group": GATEWAY_GROUP,
                        "kind": "Gateway",
                        "namespace": ref_.get("namespace", namespace),
                        "name": ref_["name"],
                    }
                )
        result.statuses[key_of(policy)] = {
            "ancestors": [st.policy_ancestor(a, [st.policy_accepted()]) for a in ancestors]
        }

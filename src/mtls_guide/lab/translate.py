"""From the guide's manifests to a lab plan: what each listener does, in Envoy's terms.

Reads validated objects (the manifest validator runs first, with defaults
applied) and keeps only what an Envoy Gateway data plane would act on. Anything
the lab cannot reproduce is an error that names it, never a silently different
gateway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from mtls_guide.validator.engine import CheckedObject

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


class LabError(Exception):
    """The manifests ask for something the lab cannot reproduce."""


@dataclass
class ClientCheck:
    """How a terminating listener treats client certificates."""

    required: bool = False
    verified: bool = False
    requested: bool = False
    san_matchers: list[tuple[str, str, str]] = field(
        default_factory=list
    )  # (san type, match, value)
    spki_hashes: list[str] = field(default_factory=list)
    cert_hashes: list[str] = field(default_factory=list)
    crl: bool = False
    allow_expired: bool = False
    forward_identity: bool = True  # False under AllowInsecureFallback: no identity reaches the app


@dataclass
class Terminate:
    gateway: str
    name: str
    hostname: str
    port: int  # the port in the manifest; the lab binds a free one
    client: ClientCheck
    xfcc_mode: str = "SANITIZE"
    xfcc_details: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.gateway}_{self.name}"


@dataclass
class Passthrough:
    gateway: str
    name: str
    port: int
    hostnames: list[str]

    @property
    def key(self) -> str:
        return f"{self.gateway}_{self.name}"


@dataclass
class Plan:
    terminate: list[Terminate]
    passthrough: list[Passthrough]


def _by_kind(objects: list[CheckedObject], kind: str) -> list[dict[str, Any]]:
    return [o.value for o in objects if o.kind == kind and o.value is not None]


def plan(objects: list[CheckedObject]) -> Plan:
    problems = [str(p) for o in objects for p in o.problems]
    if problems:
        raise LabError("the manifests are not valid:\n" + "\n".join(problems))
    known = {"Gateway", "HTTPRoute", "TLSRoute", "ClientTrafficPolicy"}
    for obj in objects:
        if obj.kind not in known:
            raise LabError(
                f"{obj.source}: the lab cannot map kind {obj.kind} (it maps {', '.join(sorted(known))})"
            )
    policies = _by_kind(objects, "ClientTrafficPolicy")
    routes = _by_kind(objects, "TLSRoute")
    result = Plan([], [])
    for gateway in _by_kind(objects, "Gateway"):
        for listener in gateway["spec"]["listeners"]:
            mode = (listener.get("tls") or {}).get("mode")
            if listener["protocol"] == "HTTPS":
                result.terminate.append(_terminate(gateway, listener, policies))
            elif listener["protocol"] == "TLS" and mode == "Passthrough":
                result.passthrough.append(_passthrough(gateway, listener, routes))
            else:
                raise LabError(
                    f"Gateway {gateway['metadata']['name']} listener {listener['name']}: the lab maps HTTPS (Terminate) and TLS (Passthrough) listeners only"
                )
    return result


def _targets(policy: dict[str, Any], gateway: dict[str, Any], listener: dict[str, Any]) -> bool:
    return any(
        ref["kind"] == "Gateway" and ref["name"] == gateway["metadata"]["name"]
        and ref.get("sectionName", listener["name"]) == listener["name"]
        for ref in policy["spec"].get("targetRefs", [])
    )  # fmt: skip


def _frontend(gateway: dict[str, Any], listener: dict[str, Any]) -> dict[str, Any] | None:
    frontend = ((gateway["spec"].get("tls") or {}).get("frontend")) or {}
    for entry in frontend.get("perPort", []):
        if entry["port"] == listener["port"]:
            return cast(dict[str, Any] | None, entry["tls"].get("validation"))
    return cast(dict[str, Any] | None, (frontend.get("default") or {}).get("validation"))


def _terminate(
    gateway: dict[str, Any], listener: dict[str, Any], policies: list[dict[str, Any]]
) -> Terminate:
    refs = listener["tls"].get("certificateRefs", [])
    if len(refs) != 1:
        raise LabError(
            f"listener {listener['name']}: the lab serves exactly one certificate per listener"
        )
    client = ClientCheck()
    validation = _frontend(gateway, listener)
    if validation is not None:
        insecure = validation["mode"] == "AllowInsecureFallback"
        client = ClientCheck(
            required=not insecure,
            verified=not insecure,
            requested=True,
            forward_identity=not insecure,
        )
    entry = Terminate(
        gateway["metadata"]["name"],
        listener["name"],
        listener.get("hostname", "*"),
        listener["port"],
        client,
    )
    for policy in (p for p in policies if _targets(p, gateway, listener)):
        _apply_policy(entry, policy)
    return entry


def _apply_policy(entry: Terminate, policy: dict[str, Any]) -> None:
    name = policy["metadata"]["name"]
    unsupported = set(policy["spec"]) - {"targetRefs", "tls", "headers"}
    unsupported |= {
        f"tls.{k}" for k in (policy["spec"].get("tls") or {}) if k != "clientValidation"
    }
    unsupported |= {
        f"headers.{k}" for k in (policy["spec"].get("headers") or {}) if k != "xForwardedClientCert"
    }
    if unsupported:
        raise LabError(
            f"ClientTrafficPolicy {name}: the lab does not map {', '.join(sorted(unsupported))}"
        )
    validation = (policy["spec"].get("tls") or {}).get("clientValidation")
    if validation is not None:
        extra = set(validation) - SUPPORTED_VALIDATION
        if extra:
            raise LabError(
                f"ClientTrafficPolicy {name}: the lab does not map clientValidation.{', '.join(sorted(extra))}"
            )
        mode = validation.get("mode") or (
            "VerifyIfGiven" if validation.get("optional") else "RequireAndVerify"
        )
        required, verified = CTP_MODES[mode]
        entry.client = ClientCheck(
            required=required,
            verified=verified,
            requested=True,
            san_matchers=_san_matchers(name, validation.get("subjectAltNames") or {}),
            spki_hashes=list(validation.get("spkiHashes", [])),
            cert_hashes=list(validation.get("certificateHashes", [])),
            crl="crl" in validation,
            allow_expired=bool(validation.get("allowExpiredCertificate")),
        )
    xfcc = (policy["spec"].get("headers") or {}).get("xForwardedClientCert")
    if xfcc is not None:
        entry.xfcc_mode = XFCC_MODES[xfcc.get("mode", "Sanitize")]
        entry.xfcc_details = list(xfcc.get("certDetailsToAdd", []))


def _san_matchers(policy: str, names: dict[str, Any]) -> list[tuple[str, str, str]]:
    unknown = set(names) - set(SAN_TYPES)
    if unknown:
        raise LabError(
            f"ClientTrafficPolicy {policy}: the lab does not map subjectAltNames.{', '.join(sorted(unknown))}"
        )
    return [
        (SAN_TYPES[kind], m.get("type", "Exact"), m["value"])
        for kind, matchers in names.items()
        for m in matchers
    ]


def _passthrough(
    gateway: dict[str, Any], listener: dict[str, Any], routes: list[dict[str, Any]]
) -> Passthrough:
    hostnames = [
        host
        for route in routes
        for parent in route["spec"]["parentRefs"]
        if parent["name"] == gateway["metadata"]["name"]
        and parent.get("sectionName", listener["name"]) == listener["name"]
        for host in route["spec"]["hostnames"]
    ]
    if not hostnames:
        raise LabError(
            f"listener {listener['name']}: no TLSRoute attaches to it, so no SNI would be routed"
        )
    return Passthrough(gateway["metadata"]["name"], listener["name"], listener["port"], hostnames)

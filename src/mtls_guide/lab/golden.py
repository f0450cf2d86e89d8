"""Compare the lab's translation with Envoy Gateway v1.9.0's golden data.

Envoy Gateway's translator tests (internal/gatewayapi/testdata/NAME.in.yaml -> NAME.out.yaml)
give, for a set of inputs, every resource's status and each listener's settings in its
intermediate representation (``xdsIR``). :func:`compare_case` runs the lab's translation
on the same inputs and lists every disagreement on what the lab models: conditions
(type, status, reason) of Gateways, listeners, routes and ClientTrafficPolicies, and
each HTTPS listener's client-certificate settings. A case whose inputs the lab does not
take is not run; :class:`NotRun` says why.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mtls_guide.lab import envoy_config
from mtls_guide.lab.objects import LabError, Obj, View, key_of, unwrap_pem
from mtls_guide.lab.translate import ClientCheck, Terminate, Translation, translate
from mtls_guide.validator.engine import Validator

# The in.yaml sections the lab takes, as kinds.
SECTIONS = {
    "gateways": "Gateway",
    "httpRoutes": "HTTPRoute",
    "tlsRoutes": "TLSRoute",
    "clientTrafficPolicies": "ClientTrafficPolicy",
    "securityPolicies": "SecurityPolicy",
    "secrets": "Secret",
    "configMaps": "ConfigMap",
    "referenceGrants": "ReferenceGrant",
    "configmaps": "ConfigMap",  # one case spells it so
}
# Sections that change nothing the comparison looks at (the client side of listeners):
# the lab routes every backendRef to its own echo backend, and backend TLS and the proxy's
# infrastructure settings are not compared.
IGNORED = {
    "services",
    "endpointSlices",
    "namespaces",
    "backendTLSPolicies",
    "envoyProxyForGatewayClass",
    "serviceImports",
    "backends",
}
# The Gateway conditions Envoy Gateway's status updater adds once its deployment runs;
# the translator's golden data cannot show them.
DEPLOYMENT_CONDITIONS = {"Accepted", "Programmed"}
Conditions = set[tuple[str, str, str]]


class NotRun(Exception):
    """The case's inputs include something the lab does not take."""


@dataclass
class Result:
    name: str
    mismatches: list[str] = field(default_factory=list)
    compared: int = 0


def load_objects(case: Path, validator: Validator) -> list[Obj]:
    data = yaml.safe_load(case.read_text()) or {}
    extra = sorted(set(data) - set(SECTIONS) - IGNORED)
    if extra:
        raise NotRun(f"inputs the lab does not take: {', '.join(extra)}")
    documents = [doc for section in SECTIONS for doc in data.get(section) or []]
    # The translator's inputs never met an API server (some break their CRD's CEL rules):
    # take the defaulted objects whatever the validator says, as Envoy Gateway's test does.
    results = validator.check_text(yaml.safe_dump_all(documents), case.name)
    unserved = [r for r in results if r.value is None]
    if unserved:
        raise NotRun(f"not an object the validator serves: {unserved[0].problems[0]}")
    objects = []
    for result in results:
        obj = dict(result.value or {})
        obj["metadata"] = {**obj["metadata"], "namespace": key_of(obj)[1]}
        objects.append(obj)
    return objects


def compare_case(case: Path, validator: Validator) -> Result:
    objects = load_objects(case, validator)
    try:
        translation = translate(View({key_of(o): o for o in objects}))
    except LabError as exc:
        raise NotRun(f"the lab refuses it: {exc}") from None
    golden = yaml.safe_load(case.with_name(case.name.replace(".in.yaml", ".out.yaml")).read_text())
    result = Result(case.name.removesuffix(".in.yaml"))
    _compare_statuses(golden, translation, result)
    _compare_ir(golden, translation, result)
    return result


def _conditions(items: list[Obj] | None) -> Conditions:
    return {(c["type"], c["status"], c["reason"]) for c in items or []}


def _check(result: Result, where: str, want: Conditions, got: Conditions) -> None:
    result.compared += 1
    if want != got:
        result.mismatches.append(f"{where}: Envoy Gateway {sorted(want)}, lab {sorted(got)}")


def _compare_statuses(golden: Obj, translation: Translation, result: Result) -> None:
    for section, kind in SECTIONS.items():
        for obj in golden.get(section) or []:
            status = obj.get("status") or {}
            mine = translation.statuses.get((kind, *key_of({**obj, "kind": kind})[1:]), {})
            where = f"{kind} {key_of(obj)[1]}/{key_of(obj)[2]}"
            if kind == "Gateway":
                got = {
                    c
                    for c in _conditions(mine.get("conditions"))
                    if c[0] not in DEPLOYMENT_CONDITIONS
                }
                want = {
                    c
                    for c in _conditions(status.get("conditions"))
                    if c[0] not in DEPLOYMENT_CONDITIONS
                }
                _check(result, where, want, got)
                by_name = {item["name"]: item for item in mine.get("listeners", [])}
                for listener in status.get("listeners") or []:
                    other = by_name.get(listener["name"], {})
                    _check(
                        result,
                        f"{where} listener {listener['name']}",
                        _conditions(listener["conditions"]),
                        _conditions(other.get("conditions")),
                    )
            elif kind in ("HTTPRoute", "TLSRoute"):
                _compare_parents(
                    result, where, status.get("parents") or [], mine.get("parents") or []
                )
            elif kind == "ClientTrafficPolicy":
                _compare_ancestors(
                    result, where, status.get("ancestors") or [], mine.get("ancestors") or []
                )


def _ref_key(ref: Obj) -> tuple[str, str]:
    return (str(ref.get("name")), str(ref.get("sectionName", "")))


def _compare_parents(result: Result, where: str, want: list[Obj], got: list[Obj]) -> None:
    """A route's Accepted condition per parent; ResolvedRefs is about Services, which the lab
    does not have (it routes every backendRef to its echo backend)."""
    mine = {_ref_key(p["parentRef"]): p for p in got}
    for parent in want:
        other = mine.get(_ref_key(parent["parentRef"]), {})
        accepted = {c for c in _conditions(parent["conditions"]) if c[0] == "Accepted"}
        _check(
            result,
            f"{where} parent {_ref_key(parent['parentRef'])}",
            accepted,
            {c for c in _conditions(other.get("conditions")) if c[0] == "Accepted"},
        )


def _compare_ancestors(result: Result, where: str, want: list[Obj], got: list[Obj]) -> None:
    mine = {_ref_key(a["ancestorRef"]): a for a in got}
    for ancestor in want:
        other = mine.get(_ref_key(ancestor["ancestorRef"]), {})
        wanted = {c for c in _conditions(ancestor["conditions"]) if c[0] != "Warning"}
        _check(
            result,
            f"{where} ancestor {_ref_key(ancestor['ancestorRef'])}",
            wanted,
            _conditions(other.get("conditions")),
        )


def _certs(pem: bytes) -> set[bytes]:
    """The certificates of a bundle, as DER, whatever order or duplicates it has."""
    pem = unwrap_pem(pem)
    if not pem:
        return set()
    return {c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(pem)}


def _compare_ir(golden: Obj, translation: Translation, result: Result) -> None:
    mine = {f"{e.namespace}/{e.gateway}/{e.name}": e for e in translation.plan.terminate}
    for ir in (golden.get("xdsIR") or {}).values():
        for listener in ir.get("http") or []:
            entry = mine.get(listener["name"])
            result.compared += 1
            if entry is None:
                result.mismatches.append(
                    f"xdsIR {listener['name']}: Envoy Gateway programs it, the lab leaves it out"
                )
                continue
            want, got = _ir_tls(listener), _lab_tls(entry)
            if want != got:
                diff = {
                    k: (want.get(k), got.get(k))
                    for k in sorted(set(want) | set(got))
                    if want.get(k) != got.get(k)
                }
                result.mismatches.append(
                    f"xdsIR {listener['name']} tls (Envoy Gateway, lab): {diff}"
                )
        names = {item["name"] for item in ir.get("http") or []}
        for name, entry in mine.items():
            if (
                name.startswith(next(iter(names), "\0").rsplit("/", 1)[0] + "/")
                and name not in names
                and entry.cert is not None
            ):
                result.mismatches.append(
                    f"xdsIR {name}: the lab programs it, Envoy Gateway leaves it out"
                )


def _ir_tls(listener: Obj) -> dict[str, Any]:
    tls = listener.get("tls") or {}
    xfcc = ((listener.get("headers") or {}).get("xForwardedClientCert")) or {}
    ca = base64.b64decode((tls.get("caCertificate") or {}).get("certificate", ""))
    return {
        "tls": bool(tls),
        "requireClientCertificate": bool(tls.get("requireClientCertificate")),
        "acceptUntrusted": bool(tls.get("acceptUntrusted")),
        "caCertificates": _certs(ca),
        "subjectAltNames": sorted(
            (m["name"], k, v)
            for m in tls.get("matchTypedSubjectAltNames") or []
            for k, v in m.items()
            if k not in ("name", "distinct")
        ),
        "spki": sorted(tls.get("verifyCertificateSpki") or []),
        "hashes": sorted(tls.get("verifyCertificateHash") or []),
        "crl": bool(tls.get("crl")),
        "allowExpiredCertificate": bool(tls.get("allowExpiredCertificate")),
        "xfcc": (xfcc.get("mode", "Sanitize"), sorted(xfcc.get("certDetailsToAdd") or [])),
        "alpn": tls.get("alpnProtocols"),
    }


MATCH_KEYS = {
    "Exact": "exact",
    "Prefix": "prefix",
    "Suffix": "suffix",
    "RegularExpression": "safeRegex",
}
XFCC_NAMES = {
    "SANITIZE": "Sanitize",
    "FORWARD_ONLY": "ForwardOnly",
    "APPEND_FORWARD": "AppendForward",
    "SANITIZE_SET": "SanitizeSet",
    "ALWAYS_FORWARD_ONLY": "AlwaysForwardOnly",
}


def _lab_tls(entry: Terminate) -> dict[str, Any]:
    client = entry.client
    return {
        "tls": entry.cert is not None,
        "requireClientCertificate": client.required,
        "acceptUntrusted": client.requested and not client.verified,
        "caCertificates": _certs(client.ca_pem),
        "subjectAltNames": sorted(
            (kind, MATCH_KEYS[match], value) for kind, match, value in client.san_matchers
        ),
        "spki": sorted(client.spki_hashes),
        "hashes": sorted(client.cert_hashes),
        "crl": client.crl_pem is not None,
        "allowExpiredCertificate": client.allow_expired,
        "xfcc": (XFCC_NAMES[entry.xfcc_mode], sorted(entry.xfcc_details)),
        "alpn": None,
    }


# -- xds-ir cases: Envoy Gateway's IR -> Envoy, against the lab's IR-equivalent -> Envoy -----------

UNMAPPED_TLS = {
    "ciphers",
    "minVersion",
    "maxVersion",
    "ecdhCurves",
    "signatureAlgorithms",
    "statefulSessionResumption",
    "statelessSessionResumption",
    "fingerprints",
}
SAN_KEYS = {
    "exact": "Exact",
    "prefix": "Prefix",
    "suffix": "Suffix",
    "safeRegex": "RegularExpression",
}


def compare_xds_case(case: Path) -> Result:
    """For each HTTPS listener of an xds-ir input, the lab's DownstreamTlsContext and
    validation secret for the same settings against Envoy Gateway's output."""
    ir = yaml.safe_load(case.read_text()) or {}
    out = case.parent.parent.parent / "out" / "xds-ir"
    name = case.name.removesuffix(".yaml")
    listeners = yaml.safe_load((out / f"{name}.listeners.yaml").read_text()) or []
    secrets_file = out / f"{name}.secrets.yaml"
    secrets = {
        s["name"]: s
        for s in (yaml.safe_load(secrets_file.read_text()) if secrets_file.exists() else None) or []
    }
    chains = {
        fc.get("name"): fc for listener in listeners for fc in listener.get("filterChains", [])
    }
    result = Result(name)
    tls_listeners = [item for item in ir.get("http") or [] if item.get("tls")]
    if not tls_listeners:
        raise NotRun(
            "no HTTPS listener with TLS settings (the lab compares the client-facing TLS of HTTPS listeners)"
        )
    for item in tls_listeners:
        unmapped = sorted(set(item["tls"]) & UNMAPPED_TLS)
        if item["tls"].get("alpnProtocols") not in (None, envoy_config.ALPN):
            unmapped.append("alpnProtocols")
        if unmapped:
            raise NotRun(f"{item['name']}: the lab does not map tls.{unmapped[0]}")
        entry = _entry_from_ir(item)
        chain = chains.get(item["name"])
        result.compared += 1
        if chain is None:
            result.mismatches.append(
                f"{item['name']}: no filter chain of that name in Envoy Gateway's output"
            )
            continue
        want = _normal(chain["transportSocket"]["typedConfig"])
        got = _normal(envoy_config.downstream_tls(entry, Path("/sds")))
        if want != got:
            result.mismatches.append(
                f"{item['name']} DownstreamTlsContext: Envoy Gateway {want}, lab {got}"
            )
        ca = (item["tls"].get("caCertificate") or {}).get("name")
        if ca:
            result.compared += 1
            want_secret = _normal({k: v for k, v in secrets.get(ca, {}).items() if k != "name"})
            got_secret = _normal(envoy_config.validation_secret(entry.client))
            if want_secret != got_secret:
                result.mismatches.append(
                    f"{item['name']} validation secret: Envoy Gateway {want_secret}, lab {got_secret}"
                )
    return result


def _entry_from_ir(item: Obj) -> Terminate:
    tls = item["tls"]
    ca = _ir_bytes((tls.get("caCertificate") or {}).get("certificate"))
    sans = []
    for matcher in tls.get("matchTypedSubjectAltNames") or []:
        (kind,) = [k for k in matcher if k in SAN_KEYS]
        value = matcher[kind]["regex"] if kind == "safeRegex" else matcher[kind]
        known = matcher["name"] in ("DNS", "URI", "EMAIL", "IP_ADDRESS")
        san_type = matcher["name"] if known else f"OTHER_NAME:{matcher['name']}"  # an OID
        sans.append((san_type, SAN_KEYS[kind], value))
    client = ClientCheck(
        required=bool(tls.get("requireClientCertificate")),
        verified=not tls.get("acceptUntrusted"),
        requested=bool(
            tls.get("clientValidationEnabled") or ca or tls.get("requireClientCertificate")
        ),
        ca_pem=ca,
        san_matchers=sans,
        spki_hashes=list(tls.get("verifyCertificateSpki") or []),
        cert_hashes=list(tls.get("verifyCertificateHash") or []),
        crl_pem=_ir_bytes((tls.get("crl") or {}).get("data")) or None,
        allow_expired=bool(tls.get("allowExpiredCertificate")),
    )
    return Terminate("ir", "ir", item["name"], "*", int(item.get("port", 0)), (b"", b""), client)


def _ir_bytes(value: Any) -> bytes:
    """IR byte fields: a list of byte values, or base64 text (as Go encodes []byte to JSON)."""
    if not value:
        return b""
    if isinstance(value, list):
        return bytes(value)
    return base64.b64decode(value)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _normal(value: Any) -> Any:
    """snake_case keys; SDS references reduced to "SDS" (names and config sources differ by
    design: the lab reads files, Envoy Gateway serves ADS); inline bytes compared as bytes."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            key = _snake(key)
            if key.endswith("sds_secret_config") or key.endswith("sds_secret_configs"):
                out[key] = "SDS"
            elif item is False:
                continue  # proto3 leaves false out; both mean the same
            elif key == "inline_bytes":
                out[key] = base64.b64decode(item)
            else:
                out[key] = _normal(item)
        return out
    if isinstance(value, list):
        return [_normal(item) for item in value]
    return value

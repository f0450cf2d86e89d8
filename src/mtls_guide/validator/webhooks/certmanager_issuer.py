"""cert-manager v1.21.1's webhook rules for an Issuer or ClusterIssuer (validation/issuer.go).

Each function mirrors the Go function of the same name and reads the v1 object's
JSON fields; error paths are the ones the Go code builds (which sometimes name the
Go field, e.g. ``vault.auth.kubernetes.path`` for the JSON ``mountPath``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

from cryptography import x509

from mtls_guide.validator.errors import FieldError
from mtls_guide.validator.webhooks import k8snames
from mtls_guide.validator.webhooks.certmanager_dns01 import providers, secret_key_selector
from mtls_guide.validator.webhooks.fielderrors import (
    Duration,
    Obj,
    Path,
    as_list,
    as_obj,
    child,
    forbidden,
    invalid,
    required,
)
from mtls_guide.validator.webhooks.gotime import DurationError, parse_duration

ISSUER_TYPES = ("acme", "ca", "selfSigned", "vault", "venafi")
SERVICE_TYPES = ("", "ClusterIP", "NodePort")
DEPRECATED_EAB_KEY_ALGORITHM = (  # warnings.go
    "ACME issuer spec field 'externalAccount.keyAlgorithm' is deprecated. "
    "The value of this field will be ignored."
)
_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n.*?-----END CERTIFICATE-----", re.S)


def _name(ref: object) -> str:
    return str(as_obj(ref).get("name") or "")


def decode_error(spec: Obj) -> str | None:
    """What decoding into Go types refuses: an ACME solver's unparsable waitInsteadOfSelfCheck."""
    for solver in as_list(as_obj(spec.get("acme")).get("solvers")):
        text = as_obj(solver).get("waitInsteadOfSelfCheck")
        if isinstance(text, str):
            try:
                parse_duration(text)
            except DurationError as exc:
                return str(exc)
    return None


def issuer_warnings(spec: Obj) -> list[str]:
    """The webhook's warnings (kubectl prints them as ``Warning: ...``): only for ACME."""
    first = next((f for f in ISSUER_TYPES if spec.get(f) is not None), None)
    return acme_warnings(as_obj(spec.get("acme"))) if first == "acme" else []


def acme_warnings(acme: Obj) -> list[str]:
    binding = as_obj(acme.get("externalAccountBinding"))
    return [DEPRECATED_EAB_KEY_ALGORITHM] if binding.get("keyAlgorithm") else []


def validate_issuer(obj: Obj) -> list[FieldError]:
    """ValidateIssuer and ValidateClusterIssuer (create and update are the same)."""
    return issuer_config(as_obj(obj.get("spec")), ("spec",))


def issuer_config(spec: Obj, path: Path) -> list[FieldError]:
    """ValidateIssuerConfig: exactly one issuer type, then that type's rules."""
    checks = {
        "acme": acme_issuer,
        "ca": ca_issuer,
        "selfSigned": lambda _config, _path: [],
        "vault": vault_issuer,
        "venafi": venafi_issuer,
    }
    errors, configured = [], 0
    for field in ISSUER_TYPES:
        if spec.get(field) is None:
            continue
        if configured:
            errors.append(
                forbidden(child(path, field), "may not specify more than one issuer type")
            )
            continue
        configured += 1
        errors += checks[field](as_obj(spec[field]), child(path, field))
    if not configured:
        errors.append(required(path, "at least one issuer must be configured"))
    return errors


def ca_bundle_error(encoded: object) -> str | None:
    """validateCABundleNotEmpty: the bundle must hold at least one parsable certificate."""
    try:
        bundle = base64.b64decode(str(encoded), validate=False)
    except (binascii.Error, ValueError):
        bundle = b""
    for block in _PEM_CERT.findall(bundle):
        try:
            x509.load_pem_x509_certificate(block)
        except ValueError:
            continue
        return None
    return "cert bundle didn't contain any valid certificates"


def acme_issuer(acme: Obj, path: Path) -> list[FieldError]:
    """ValidateACMEIssuerConfig."""
    errors = []
    both = "caBundle and skipTLSVerify are mutually exclusive and cannot both be set"
    if acme.get("caBundle") and acme.get("skipTLSVerify"):
        errors.append(invalid(child(path, "caBundle"), "", both))
        errors.append(invalid(child(path, "skipTLSVerify"), True, both))
    if acme.get("caBundle"):
        problem = ca_bundle_error(acme["caBundle"])
        if problem:
            errors.append(invalid(child(path, "caBundle"), "", problem))
    if not _name(acme.get("privateKeySecretRef")):
        message = "private key secret name is a required field"
        errors.append(required(child(path, "privateKeySecretRef", "name"), message))
    if not acme.get("server"):
        errors.append(required(child(path, "server"), "acme server URL is a required field"))
    binding = acme.get("externalAccountBinding")
    if binding is not None:
        binding_path = child(path, "externalAccountBinding")
        if not as_obj(binding).get("keyID"):
            message = "the keyID field is required when using externalAccountBinding"
            errors.append(required(child(binding_path, "keyID"), message))
        errors += secret_key_selector(
            as_obj(as_obj(binding).get("keySecretRef")), child(binding_path, "keySecretRef")
        )
    for i, solver in enumerate(as_list(acme.get("solvers"))):
        errors += acme_solver(as_obj(solver), child(path, "solvers", i))
    return errors


def acme_solver(solver: Obj, path: Path) -> list[FieldError]:
    """ValidateACMEIssuerChallengeSolverConfig: one of http01 and dns01."""
    errors, providers = [], 0
    if solver.get("http01") is not None:
        providers += 1
        errors += http01(as_obj(solver["http01"]), child(path, "http01"))
    if solver.get("dns01") is not None:
        if providers:
            message = "may not specify more than one solver type in a single solver"
            errors.append(forbidden(path, message))
        else:
            providers += 1
            errors += dns01(as_obj(solver["dns01"]), child(path, "dns01"))
    if not providers:
        errors.append(required(path, "no solver type configured"))
    wait = solver.get("waitInsteadOfSelfCheck")
    if isinstance(wait, str):
        try:
            duration = Duration(parse_duration(wait))
        except DurationError:
            duration = Duration(0)  # reported by decode_error
        if duration < 0:
            message = "waitInsteadOfSelfCheck must not be negative"
            errors.append(invalid(child(path, "waitInsteadOfSelfCheck"), duration, message))
    return errors


Check = Callable[[Obj, Path], list[FieldError]]


def _set_members(
    config: Obj, path: Path, members: tuple[tuple[str, str, Check | None], ...]
) -> tuple[list[FieldError], int]:
    """The rules of each member of a union that is set (JSON field, Go path name, rules),
    and how many are set."""
    errors: list[FieldError] = []
    count = 0
    for field, name, check in members:
        if config.get(field) is None:
            continue
        count += 1
        if check is not None:
            errors += check(as_obj(config[field]), child(path, name))
    return errors, count


def http01(config: Obj, path: Path) -> list[FieldError]:
    """ValidateACMEIssuerChallengeSolverHTTP01Config: exactly one of ingress, gatewayHTTPRoute."""
    members = (
        ("ingress", "ingress", http01_ingress),
        ("gatewayHTTPRoute", "gateway", http01_gateway),
    )
    errors, defined = _set_members(config, path, members)
    if defined == 0:
        errors.append(required(path, "no HTTP01 solver type configured"))
    if defined > 1:
        errors.append(required(path, "only 1 HTTP01 solver type may be configured"))
    return errors


def _service_type(config: Obj, path: Path) -> list[FieldError]:
    kind = config.get("serviceType") or ""
    if kind in SERVICE_TYPES:
        return []
    return [invalid(child(path, "serviceType"), kind, 'must be empty, "ClusterIP" or "NodePort"')]


def http01_ingress(ingress: Obj, path: Path) -> list[FieldError]:
    errors = []
    given = [ingress.get("class") is not None, ingress.get("ingressClassName") is not None]
    if sum(given) + bool(ingress.get("name")) > 1:
        message = "only one of 'ingressClassName', 'name' or 'class' should be specified"
        errors.append(forbidden(path, message))
    class_name = ingress.get("ingressClassName")
    if class_name is not None:
        problems = k8snames.dns1123_subdomain(str(class_name))
        if problems:
            message = "must be a valid IngressClass name: " + ", ".join(problems)
            errors.append(invalid(child(path, "ingressClassName"), class_name, message))
    return errors + _service_type(ingress, path)


def http01_gateway(gateway: Obj, path: Path) -> list[FieldError]:
    errors = _service_type(gateway, path)
    for i, parent in enumerate(as_list(gateway.get("parentRefs"))):
        name, kind = as_obj(parent).get("name") or "", as_obj(parent).get("kind")
        if kind is not None and not name:
            message = "name is required when kind is specified"
            return [*errors, required(child(path, "parentRefs", i, "name"), message)]
        if name and kind is None:
            message = "kind is required when name is specified"
            return [*errors, required(child(path, "parentRefs", i, "kind"), message)]
    return errors


def ca_issuer(ca: Obj, path: Path) -> list[FieldError]:
    """ValidateCAIssuerConfig: the CA's Secret is named; no empty URLs."""
    errors = [] if ca.get("secretName") else [required(child(path, "secretName"))]
    for i, url in enumerate(as_list(ca.get("ocspServers"))):
        if url == "":
            message = "must be a valid URL, e.g., http://ocsp.int-x3.letsencrypt.org"
            errors.append(invalid(child(path, "ocspServer", i), url, message))
    for i, url in enumerate(as_list(ca.get("issuingCertificateURLs"))):
        if url == "":
            errors.append(
                invalid(child(path, "issuingCertificateURLs", i), url, "must be a valid URL")
            )
    return errors


def _exactly_one(given: int, path: Path, message: str) -> list[FieldError]:
    """None set is Required, several are Forbidden, both with the same message."""
    if given == 0:
        return [required(path, message)]
    return [forbidden(path, message)] if given > 1 else []


def _has_dot_dot(text: object) -> bool:
    return ".." in str(text or "").split("/")


def vault_issuer(vault: Obj, path: Path) -> list[FieldError]:
    """ValidateVaultIssuerConfig."""
    errors = [] if vault.get("server") else [required(child(path, "server"))]
    dot_dot = "must not contain '..' path segments"
    if not vault.get("path"):
        errors.append(required(child(path, "path")))
    elif _has_dot_dot(vault["path"]):
        errors.append(invalid(child(path, "path"), vault["path"], dot_dot))
    if vault.get("caBundle"):
        problem = ca_bundle_error(vault["caBundle"])
        if problem:
            errors.append(invalid(child(path, "caBundle"), "<snip>", problem))
        if vault.get("caBundleSecretRef") is not None:
            errors.append(
                invalid(
                    child(path, "caBundle"),
                    "<snip>",
                    "specified caBundle and caBundleSecretRef cannot be used together",
                )
            )
            errors.append(
                invalid(
                    child(path, "caBundleSecretRef"),
                    _name(vault["caBundleSecretRef"]),
                    "specified caBundleSecretRef and caBundle cannot be used together",
                )
            )
    cert, key = vault.get("clientCertSecretRef"), vault.get("clientKeySecretRef")
    if cert is not None and key is None:
        message = "clientKeySecretRef must be provided when defining the clientCertSecretRef"
        errors.append(invalid(child(path, "clientKeySecretRef"), "<snip>", message))
    elif cert is None and key is not None:
        message = "clientCertSecretRef must be provided when defining the clientKeySecretRef"
        errors.append(invalid(child(path, "clientCertSecretRef"), "<snip>", message))
    return errors + vault_auth(as_obj(vault.get("auth")), child(path, "auth"))


def vault_auth(auth: Obj, path: Path) -> list[FieldError]:
    """ValidateVaultIssuerAuth: one of the methods (the first set wins; several are tolerated)."""
    errors, methods = [], 0
    dot_dot = "must not contain '..' path segments"
    if auth.get("tokenSecretRef") is not None:
        methods += 1
    role = auth.get("appRole")
    if role is not None:
        role = as_obj(role)
        if not role.get("roleId"):
            errors.append(required(child(path, "appRole", "roleId")))
        if not _name(role.get("secretRef")):
            errors.append(required(child(path, "appRole", "secretRef", "name")))
        if _has_dot_dot(role.get("path")):
            errors.append(invalid(child(path, "appRole", "path"), role.get("path"), dot_dot))
        methods += 1
    client = auth.get("clientCertificate")
    if client is not None:
        mount = as_obj(client).get("mountPath") or ""
        if _has_dot_dot(mount):
            errors.append(invalid(child(path, "clientCertificate", "path"), mount, dot_dot))
        methods += 1
    if auth.get("kubernetes") is not None:
        methods += 1
        errors += _vault_kubernetes(as_obj(auth["kubernetes"]), child(path, "kubernetes"))
    if auth.get("aws") is not None:
        methods += 1
        errors += _vault_aws(as_obj(auth["aws"]), child(path, "aws"))
    if not methods:
        message = (
            "please supply one of: appRole, kubernetes, tokenSecretRef, clientCertificate, aws"
        )
        errors.append(required(path, message))
    return errors


def _vault_kubernetes(kube: Obj, path: Path) -> list[FieldError]:
    errors = [] if kube.get("role") else [required(child(path, "role"))]
    mount = kube.get("mountPath") or ""
    if _has_dot_dot(mount):
        errors.append(invalid(child(path, "path"), mount, "must not contain '..' path segments"))
    given = 0
    if _name(kube.get("secretRef")):
        given += 1
    if kube.get("serviceAccountRef") is not None:
        given += 1
        if not _name(kube["serviceAccountRef"]):
            errors.append(required(child(path, "serviceAccountRef", "name")))
    return errors + _exactly_one(given, path, "please supply one of: secretRef, serviceAccountRef")


def _vault_aws(aws: Obj, path: Path) -> list[FieldError]:
    errors = [] if aws.get("role") else [required(child(path, "role"))]
    mount = aws.get("mountPath") or ""
    if _has_dot_dot(mount):
        errors.append(
            invalid(child(path, "mountPath"), mount, "must not contain '..' path segments")
        )
    if aws.get("serviceAccountRef") is not None:
        if not _name(aws["serviceAccountRef"]):
            errors.append(required(child(path, "serviceAccountRef", "name")))
        if not aws.get("iamRoleArn"):
            message = "iamRoleArn is required when using serviceAccountRef for IRSA"
            errors.append(required(child(path, "iamRoleArn"), message))
    return errors


def venafi_issuer(venafi: Obj, path: Path) -> list[FieldError]:
    """ValidateVenafiIssuerConfig: a zone and exactly one of tpp, cloud, ngts."""
    errors = [] if venafi.get("zone") else [required(child(path, "zone"))]
    members = (("tpp", "tpp", venafi_tpp), ("cloud", "cloud", None), ("ngts", "ngts", venafi_ngts))
    member_errors, given = _set_members(venafi, path, members)
    errors += member_errors
    return errors + _exactly_one(given, path, "please supply one of: tpp, cloud, ngts")


def venafi_tpp(tpp: Obj, path: Path) -> list[FieldError]:
    errors = [] if tpp.get("url") else [required(child(path, "url"))]
    if tpp.get("caBundle") and tpp.get("caBundleSecretRef") is not None:
        message = "may not specify more than one of caBundle/caBundleSecretRef as TPP CA Bundle"
        errors.append(forbidden(path, message))
    return errors


def venafi_ngts(ngts: Obj, path: Path) -> list[FieldError]:
    errors = [] if ngts.get("tsgID") else [required(child(path, "tsgID"))]
    if not _name(ngts.get("credentialsRef")):
        errors.append(required(child(path, "credentialsRef", "name")))
    return errors


def dns01(config: Obj, path: Path) -> list[FieldError]:
    """ValidateACMEChallengeSolverDNS01: a known CNAME strategy and exactly one provider."""
    errors = []
    strategy = config.get("cnameStrategy") or ""
    if strategy and strategy not in ("None", "Follow"):
        message = 'must be one of "None" or "Follow"'
        errors.append(invalid(child(path, "cnameStrategy"), strategy, message))
    return errors + providers(config, path)

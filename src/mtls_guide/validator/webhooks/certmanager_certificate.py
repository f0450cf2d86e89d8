"""cert-manager v1.21.1's webhook rules for a Certificate (validation/certificate.go).

Each function mirrors one Go function of that file and takes the v1 object as the
API server stores it (JSON field names). The webhook converts it to its internal
type first; the conversion renames nothing these rules read, and its defaulting
only adds an empty ``privateKey``, which no rule distinguishes from an absent one.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Collection

from mtls_guide.validator.errors import FieldError, render_path
from mtls_guide.validator.webhooks import k8snames
from mtls_guide.validator.webhooks.cron import cron_error
from mtls_guide.validator.webhooks.fielderrors import (
    Duration,
    Obj,
    Path,
    as_list,
    as_obj,
    child,
    duplicate,
    forbidden,
    invalid,
    key,
    not_supported,
    required,
    too_long,
)
from mtls_guide.validator.webhooks.gonet import mail_address_error, mail_address_only, parse_ip
from mtls_guide.validator.webhooks.gotime import HOUR, MINUTE, DurationError, parse_duration
from mtls_guide.validator.webhooks.rdn import UNKNOWN, parse_rdn_sequence

GROUP = "cert-manager.io"
DEFAULT_DURATION = Duration(90 * 24 * HOUR)  # cmapi.DefaultCertificateDuration
MINIMUM_DURATION = Duration(HOUR)  # cmapi.MinimumCertificateDuration
MINIMUM_RENEW_BEFORE = Duration(5 * MINUTE)  # cmapi.MinimumRenewBefore
MIN_RSA_BITS, MAX_RSA_BITS = 2048, 8192  # pki.MinRSAKeySize, pki.MaxRSAKeySize

# The webhook's feature gates that are on by default in v1.21 (internal/webhook/feature).
DEFAULT_FEATURES = frozenset({"LiteralCertificateSubject", "AdditionalCertificateOutputFormats"})

SIGNATURE_ALGORITHMS = {
    "RSA": ["SHA256WithRSA", "SHA384WithRSA", "SHA512WithRSA"],
    "ECDSA": ["ECDSAWithSHA256", "ECDSAWithSHA384", "ECDSAWithSHA512"],
    "Ed25519": ["PureEd25519"],
}
# util.KeyUsageType and util.ExtKeyUsageType together: the usages cert-manager knows.
KEY_USAGES = frozenset([
    "signing", "digital signature", "content commitment", "key encipherment", "key agreement",
    "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any",
    "server auth", "client auth", "code signing", "email protection", "s/mime",
    "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
    "microsoft sgc", "netscape sgc",
])  # fmt: skip
SUBJECT_LISTS = (
    "organizations", "countries", "organizationalUnits", "localities", "provinces",
    "streetAddresses", "postalCodes",
)  # fmt: skip
NO_SAN = (
    "at least one of commonName (from the commonName field or from a literalSubject), "
    "dnsNames, emailSANs, ipAddresses, otherNames, or uriSANs must be set"
)
KEYSTORE_BOTH = "exactly one of passwordSecretRef and password must be provided for {} keystores; cannot set both"
KEYSTORE_NEITHER = "must set exactly one of passwordSecretRef and password must for {} keystores"
KEYSTORE_EMPTY = "literal password cannot be empty if set on {} keystores"


def decode_error(spec: Obj) -> str | None:
    """The error decoding the object into Go types gives: an unparsable duration."""
    fields = [spec.get("duration"), spec.get("renewBefore")]
    fields += [
        as_obj(w).get("windowDuration") for w in as_list(as_obj(spec.get("renewal")).get("windows"))
    ]
    for text in fields:
        if isinstance(text, str):
            try:
                parse_duration(text)
            except DurationError as exc:
                return str(exc)
    return None


def validate_certificate(
    obj: Obj, features: Collection[str] = DEFAULT_FEATURES
) -> list[FieldError]:
    """ValidateCertificate (create and update are the same)."""
    return certificate_spec(as_obj(obj.get("spec")), ("spec",), features)


def certificate_spec(
    spec: Obj, path: Path, features: Collection[str] = DEFAULT_FEATURES
) -> list[FieldError]:
    """ValidateCertificateSpec, in the Go function's order."""
    errors = _secret_name(spec, path) + issuer_ref(as_obj(spec.get("issuerRef")), path)
    literal_errors, common_name = _literal_subject(spec, path, features)
    errors += literal_errors
    errors += _names(spec, path, common_name, features)
    errors += _private_key(spec, path) + _signature_algorithm(spec, path)
    if spec.get("duration") is not None or spec.get("renewBefore") is not None:
        errors += validate_duration(spec, path)
    errors += _usages(spec, path) + _revision_history(spec, path) + _secret_template(spec, path)
    errors += _name_constraints(spec, path, features)
    errors += additional_output_formats(spec, path)
    if spec.get("keystores") is not None:
        errors += keystores(as_obj(spec.get("keystores")), path)
    if spec.get("renewal") is not None:
        errors += renewal(as_obj(spec.get("renewal")), path)
    return errors


def _secret_name(spec: Obj, path: Path) -> list[FieldError]:
    name = spec.get("secretName") or ""
    if not name:
        return [required(child(path, "secretName"), "must be specified")]
    return [invalid(child(path, "secretName"), name, m) for m in k8snames.dns1123_subdomain(name)]


def issuer_ref(ref: Obj, path: Path) -> list[FieldError]:
    """validateIssuerRef: a name always; for cert-manager's own group, kind Issuer or ClusterIssuer."""
    ref_path = child(path, "issuerRef")
    errors = [] if ref.get("name") else [required(child(ref_path, "name"), "must be specified")]
    group, kind = ref.get("group") or "", ref.get("kind") or ""
    if group in ("", GROUP) and kind not in ("", "Issuer", "ClusterIssuer"):
        message = "must be one of Issuer or ClusterIssuer"
        if not group:  # a likely external issuer whose group was forgotten
            message += f" (did you forget to set {render_path(child(ref_path, 'kind', 'group'))}?)"
        errors.append(invalid(child(ref_path, "kind"), kind, message))
    return errors


def _names(spec: Obj, path: Path, common_name: str, features: Collection[str]) -> list[FieldError]:
    errors = []
    sans = ("dnsNames", "uris", "emailAddresses", "ipAddresses", "otherNames")
    if not common_name and not any(as_list(spec.get(f)) for f in sans):
        errors.append(invalid(path, "", NO_SAN))
    if len(common_name.encode()) > 64:
        errors.append(too_long(child(path, "commonName"), 64))
    for i, ip in enumerate(as_list(spec.get("ipAddresses"))):
        if not parse_ip(str(ip)):
            errors.append(invalid(child(path, "ipAddresses", i), ip, "invalid IP address"))
    errors += _emails(spec, path)
    if as_list(spec.get("otherNames")):
        errors += _other_names(spec, path, features)
    return errors


def _emails(spec: Obj, path: Path) -> list[FieldError]:
    errors = []
    for i, address in enumerate(as_list(spec.get("emailAddresses"))):
        text = str(address)
        problem = mail_address_error(text)
        if problem:
            message = f"invalid email address: {problem}"
        elif not mail_address_only(text):
            message = "invalid email address: make sure the supplied value only contains the email address itself"
        else:
            continue
        errors.append(invalid(child(path, "emailAddresses", i), text, message))
    return errors


def _other_names(spec: Obj, path: Path, features: Collection[str]) -> list[FieldError]:
    if "OtherNames" not in features:
        return [
            forbidden(
                child(path, "OtherNames"),
                "Feature gate OtherNames must be enabled on both webhook and controller to use the alpha `otherNames` field",
            )
        ]
    errors = []
    for i, other in enumerate(as_list(spec.get("otherNames"))):
        oid, text = as_obj(other).get("oid") or "", as_obj(other).get("utf8Value") or ""
        if not oid:
            errors.append(required(child(path, "otherNames", i, "oid"), "must be specified"))
        if not _is_oid(oid):
            errors.append(invalid(child(path, "otherNames", i, "oid"), oid, "invalid oid syntax"))
        if not text:
            errors.append(
                required(
                    child(path, "otherNames", i, "utf8Value"),
                    "must be set to a valid non-empty UTF8 string",
                )
            )
    return errors


def _is_oid(text: str) -> bool:
    parts = text.split(".")
    return len(parts) >= 2 and all(p.isdigit() and p.isascii() for p in parts)


def _private_key(spec: Obj, path: Path) -> list[FieldError]:
    key_spec = spec.get("privateKey")
    if not isinstance(key_spec, dict):
        return []
    algorithm, size = key_spec.get("algorithm") or "", key_spec.get("size") or 0
    size_path = child(path, "privateKey", "size")
    if algorithm in ("", "RSA") and size > 0 and not MIN_RSA_BITS <= size <= MAX_RSA_BITS:
        message = f"must be between {MIN_RSA_BITS} and {MAX_RSA_BITS} for rsa keyAlgorithm"
        return [invalid(size_path, size, message)]
    if algorithm == "ECDSA" and size > 0 and size not in (256, 384, 521):
        return [not_supported(size_path, size, ["256", "384", "521"])]
    if algorithm not in ("", "RSA", "ECDSA", "Ed25519"):
        message = "must be either empty or one of rsa, ecdsa or ed25519"
        return [invalid(child(path, "privateKey", "algorithm"), algorithm, message)]
    return []


def _signature_algorithm(spec: Obj, path: Path) -> list[FieldError]:
    chosen = spec.get("signatureAlgorithm") or ""
    if not chosen:
        return []
    algorithm = as_obj(spec.get("privateKey")).get("algorithm") or "RSA"
    allowed = SIGNATURE_ALGORITHMS.get(algorithm)
    if allowed is None or chosen in allowed:
        return []
    message = (
        f"for key algorithm {algorithm} the allowed signature algorithms are [{' '.join(allowed)}]"
    )
    return [invalid(child(path, "signatureAlgorithm"), chosen, message)]


def validate_duration(spec: Obj, path: Path) -> list[FieldError]:
    """ValidateDuration: minimum duration, renewBefore or renewBeforePercentage within it."""
    given = _duration(spec.get("duration"))
    duration = DEFAULT_DURATION if given is None else given  # util.DefaultCertDuration
    before = _duration(spec.get("renewBefore"))
    percent = spec.get("renewBeforePercentage")
    errors = []
    if duration < MINIMUM_DURATION:
        message = f"certificate duration must be greater than {MINIMUM_DURATION}"
        errors.append(invalid(child(path, "duration"), duration, message))
    if before is not None and percent is not None:
        both = "renewBefore and renewBeforePercentage are mutually exclusive and cannot both be set"
        errors.append(invalid(child(path, "renewBefore"), before, both))
        errors.append(invalid(child(path, "renewBeforePercentage"), percent, both))
    if before is not None and before < MINIMUM_RENEW_BEFORE:
        message = f"certificate renewBefore must be greater than {MINIMUM_RENEW_BEFORE}"
        errors.append(invalid(child(path, "renewBefore"), before, message))
    if before is not None and before >= duration:
        message = f"certificate duration {duration} must be greater than renewBefore {before}"
        errors.append(invalid(child(path, "renewBefore"), before, message))
    if percent is not None:
        errors += _renew_before_percentage(duration, percent, child(path, "renewBeforePercentage"))
    return errors


def _duration(text: object) -> Duration | None:
    if not isinstance(text, str):
        return None
    try:
        return Duration(parse_duration(text))
    except DurationError:
        return None  # reported by decode_error before any rule runs


def _renew_before_percentage(duration: int, percent: int, path: Path) -> list[FieldError]:
    # Go computes in float64 to avoid int64 overflow, then truncates to a Duration.
    renew_before = int(float(duration) * float(100 - percent) / 100)
    errors = []
    if renew_before < MINIMUM_RENEW_BEFORE:
        message = f"certificate renewBeforePercentage must result in a renewBefore greater than {MINIMUM_RENEW_BEFORE}"
        errors.append(invalid(path, percent, message))
    if renew_before >= duration:
        message = (
            "certificate renewBeforePercentage must result in a renewBefore less than duration"
        )
        errors.append(invalid(path, percent, message))
    return errors


def _usages(spec: Obj, path: Path) -> list[FieldError]:
    return [
        invalid(child(path, "usages", i), usage, "unknown keyusage")
        for i, usage in enumerate(as_list(spec.get("usages")))
        if usage not in KEY_USAGES
    ]


def _revision_history(spec: Obj, path: Path) -> list[FieldError]:
    limit = spec.get("revisionHistoryLimit")
    if isinstance(limit, int) and limit < 1:
        return [invalid(child(path, "revisionHistoryLimit"), limit, "must not be less than 1")]
    return []


def _secret_template(spec: Obj, path: Path) -> list[FieldError]:
    template = as_obj(spec.get("secretTemplate"))
    labels, annotations = as_obj(template.get("labels")), as_obj(template.get("annotations"))
    errors = k8snames.validate_labels(labels, child(path, "secretTemplate", "labels"))
    annotations_path = child(path, "secretTemplate", "annotations")
    for name in annotations:
        if name.startswith("cert-manager.io/") and name != "cert-manager.io/allow-direct-injection":
            message = "cert-manager.io/* annotations are not allowed"
            errors.append(invalid(annotations_path, name, message))
    return errors + k8snames.validate_annotations(annotations, annotations_path)


def _name_constraints(spec: Obj, path: Path, features: Collection[str]) -> list[FieldError]:
    constraints = spec.get("nameConstraints")
    if constraints is None:
        return []
    nc_path = child(path, "nameConstraints")
    if "NameConstraints" not in features:
        return [forbidden(nc_path, "feature gate NameConstraints must be enabled")]
    errors = []
    if not spec.get("isCA"):
        errors.append(
            invalid(nc_path, constraints, "isCa should be true when nameConstraints is set")
        )
    if as_obj(constraints).get("permitted") is None and as_obj(constraints).get("excluded") is None:
        errors.append(invalid(nc_path, constraints, "either permitted or excluded must be set"))
    return errors


def additional_output_formats(spec: Obj, path: Path) -> list[FieldError]:
    """validateAdditionalOutputFormats: each ``type`` at most once."""
    seen: set[str] = set()
    errors = []
    for output in as_list(spec.get("additionalOutputFormats")):
        kind = str(as_obj(output).get("type") or "")
        if kind in seen:
            errors.append(duplicate(key(child(path, "additionalOutputFormats"), "type"), kind))
        seen.add(kind)
    return errors


def keystores(stores: Obj, path: Path) -> list[FieldError]:
    """validateKeystores: a literal password or a Secret reference, exactly one, never empty."""
    errors = []
    for field, label in (("jks", "JKS"), ("pkcs12", "PKCS#12")):
        store = stores.get(field)
        if not isinstance(store, dict):
            continue
        password = store.get("password")
        has_ref = bool(as_obj(store.get("passwordSecretRef")).get("name"))
        if password is not None and has_ref:
            errors.append(forbidden(child(path, "keystores", field), KEYSTORE_BOTH.format(label)))
        if password is None and not has_ref:
            errors.append(
                forbidden(child(path, "keystores", field), KEYSTORE_NEITHER.format(label))
            )
        if password is not None and len(str(password)) == 0:
            errors.append(
                forbidden(child(path, "keystores", field, "password"), KEYSTORE_EMPTY.format(label))
            )
    return errors


def renewal(settings: Obj, path: Path) -> list[FieldError]:
    """validateCertificateRenewal: windows only with policy RenewBefore."""
    policy = settings.get("policy") or ""
    windows = as_list(settings.get("windows"))
    if policy == "Disabled":
        if windows:
            message = "windows cannot be set when `renewal.policy` is set to Disabled"
            return [forbidden(child(path, "renewal", "windows"), message)]
        return []
    errors = []
    if policy != "RenewBefore":
        supported = ["Disabled", "RenewBefore"]
        errors.append(not_supported(child(path, "renewal", "policy"), policy, supported))
    for i, window in enumerate(windows):
        errors += _renewal_window(as_obj(window), child(path, "renewal", "windows", i))
    return errors


def _renewal_window(window: Obj, path: Path) -> list[FieldError]:
    errors = []
    if window.get("windowDuration") is None:
        message = "windowDuration must be specified and should be greater than 0"
        errors.append(required(child(path, "windowDuration"), message))
    zone = window.get("timezone") or ""
    if zone and not _is_zone(zone):
        message = "invalid value for timezone. timezone must be IANA compliant"
        errors.append(invalid(child(path, "timezone"), zone, message))
    cron = str(window.get("cron") or "")
    problem = cron_error(cron, zone)
    if problem:
        message = (
            f"invalid cron syntax: {problem}. cron needs to follow: "
            "cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow"
        )
        errors.append(invalid(child(path, "cron"), cron, message))
    return errors


def _is_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _literal_subject(
    spec: Obj, path: Path, features: Collection[str]
) -> tuple[list[FieldError], str]:
    """The literalSubject rules, and the common name the certificate ends up with."""
    common_name = str(spec.get("commonName") or "")
    literal = str(spec.get("literalSubject") or "")
    if not literal:
        return [], common_name
    errors = []
    literal_path = child(path, "literalSubject")
    if "LiteralCertificateSubject" not in features:
        message = "Feature gate LiteralCertificateSubject must be enabled on both webhook and controller to use the alpha `literalSubject` field"
        errors.append(forbidden(literal_path, message))
    if common_name:
        message = "When providing a `LiteralSubject` no `commonName` may be provided."
        errors.append(invalid(child(path, "commonName"), common_name, message))
    subject = as_obj(spec.get("subject"))
    if any(as_list(subject.get(f)) for f in SUBJECT_LISTS) or subject.get("serialNumber"):
        message = "When providing a `LiteralSubject` no `Subject` properties may be provided."
        errors.append(invalid(child(path, "subject"), subject, message))
    attributes, problem = parse_rdn_sequence(literal)
    if problem:
        errors.append(invalid(literal_path, literal, problem))
    common_name = next((v for t, v in reversed(attributes) if t == "CN"), common_name)
    for kind, value in attributes:
        if kind is UNKNOWN:
            message = f"Literal subject contains unrecognized key with value [{value}]"
            errors.append(invalid(literal_path, literal, message))
    return errors, common_name

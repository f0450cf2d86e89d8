"""cert-manager v1.21.1's webhook rules for ACME DNS01 providers (ValidateACMEChallengeSolverDNS01).

The Go function checks the providers in a fixed order and refuses every provider
after the first one set (except acmeDNS, which it counts without that check).
"""

from __future__ import annotations

from collections.abc import Callable

from mtls_guide.validator.errors import FieldError
from mtls_guide.validator.webhooks.fielderrors import (
    Obj,
    Path,
    as_obj,
    child,
    forbidden,
    invalid,
    not_supported,
    required,
)
from mtls_guide.validator.webhooks.nameserver import valid_nameserver

TSIG_ALGORITHMS = ["HMACMD5", "HMACSHA1", "HMACSHA256", "HMACSHA512"]
AZURE_CLOUDS = ("AzurePublicCloud", "AzureChinaCloud", "AzureGermanCloud", "AzureUSGovernmentCloud")
ONE_PROVIDER = "may not specify more than one provider type"
NAMESERVER = (
    "nameserver must be set in the form host:port where host is an IPv4 address, an enclosed "
    "IPv6 address or a hostname and port is an optional port number."
)
Check = Callable[[Obj, Path], list[FieldError]]


def secret_key_selector(selector: Obj, path: Path) -> list[FieldError]:
    """ValidateSecretKeySelector: both the Secret's name and the key in it."""
    errors = (
        [] if selector.get("name") else [required(child(path, "name"), "secret name is required")]
    )
    if not selector.get("key"):
        errors.append(required(child(path, "key"), "secret key is required"))
    return errors


def _selector(config: Obj, field: str, path: Path) -> list[FieldError]:
    return secret_key_selector(as_obj(config.get(field)), child(path, field))


def akamai(config: Obj, path: Path) -> list[FieldError]:
    errors = secret_key_selector(
        as_obj(config.get("accessTokenSecretRef")), child(path, "accessToken")
    )
    errors += secret_key_selector(
        as_obj(config.get("clientSecretSecretRef")), child(path, "clientSecret")
    )
    errors += secret_key_selector(
        as_obj(config.get("clientTokenSecretRef")), child(path, "clientToken")
    )
    if not config.get("serviceConsumerDomain"):
        errors.append(required(child(path, "serviceConsumerDomain")))
    return errors


def azure(config: Obj, path: Path) -> list[FieldError]:
    errors = []
    identity = config.get("managedIdentity")
    if (
        config.get("clientID")
        or config.get("tenantID")
        or config.get("clientSecretSecretRef") is not None
    ):
        errors += _azure_client(config, path)
    elif identity is not None:
        errors += _azure_identity(as_obj(identity), child(path, "managedIdentity"))
    if not config.get("subscriptionID"):
        errors.append(required(child(path, "subscriptionID")))
    if not config.get("resourceGroupName"):
        errors.append(required(child(path, "resourceGroupName")))
    cloud = config.get("environment") or ""
    if cloud and cloud not in AZURE_CLOUDS:
        message = (
            f"must be either empty or one of {', '.join(AZURE_CLOUDS[:3])}, or {AZURE_CLOUDS[3]}"
        )
        errors.append(invalid(child(path, "environment"), cloud, message))
    return errors


def _azure_client(config: Obj, path: Path) -> list[FieldError]:
    errors = [] if config.get("clientID") else [required(child(path, "clientID"))]
    if config.get("clientSecretSecretRef") is None:
        errors.append(required(child(path, "clientSecretSecretRef")))
    else:
        errors += _selector(config, "clientSecretSecretRef", path)
    if not config.get("tenantID"):
        errors.append(required(child(path, "tenantID")))
    if config.get("managedIdentity") is not None:
        message = "managed identity cannot be used at the same time as clientID, clientSecretSecretRef or tenantID"
        errors.append(forbidden(child(path, "managedIdentity"), message))
    return errors


def _azure_identity(identity: Obj, path: Path) -> list[FieldError]:
    client, resource, tenant = (identity.get(k) for k in ("clientID", "resourceID", "tenantID"))
    errors = []
    if client and resource:
        message = "managedIdentityClientID and managedIdentityResourceID cannot both be specified"
        errors.append(forbidden(path, message))
    if tenant and resource:
        message = "managedIdentityTenantID and managedIdentityResourceID cannot both be specified"
        errors.append(forbidden(path, message))
    if tenant and not client:
        message = "managedIdentityClientID is required when using managedIdentityTenantID"
        errors.append(required(path, message))
    return errors


def cloud_dns(config: Obj, path: Path) -> list[FieldError]:
    errors = []
    if config.get("serviceAccountSecretRef") is not None:
        errors += _selector(config, "serviceAccountSecretRef", path)
    if not config.get("project"):
        errors.append(required(child(path, "project")))
    return errors


def cloudflare(config: Obj, path: Path) -> list[FieldError]:
    key, token = config.get("apiKeySecretRef"), config.get("apiTokenSecretRef")
    errors = []
    if key is not None:
        errors += _selector(config, "apiKeySecretRef", path)
    if token is not None:
        errors += _selector(config, "apiTokenSecretRef", path)
    if key is not None and token is not None:
        message = "apiKeySecretRef and apiTokenSecretRef cannot both be specified"
        errors.append(forbidden(path, message))
    if key is None and token is None:
        errors.append(required(path, "apiKeySecretRef or apiTokenSecretRef is required"))
    if not config.get("email") and key is not None:
        errors.append(required(child(path, "email")))
    return errors


def route53(config: Obj, path: Path) -> list[FieldError]:
    errors = []
    if config.get("accessKeyID") and config.get("accessKeyIDSecretRef") is not None:
        message = "accessKeyID and accessKeyIDSecretRef cannot both be specified"
        errors.append(required(path, message))
    if config.get("accessKeyIDSecretRef") is not None:
        errors += _selector(config, "accessKeyIDSecretRef", path)
    return errors


def acme_dns(config: Obj, path: Path) -> list[FieldError]:
    errors = _selector(config, "accountSecretRef", path)
    if not config.get("host"):
        errors.append(required(child(path, "host")))
    return errors


def digitalocean(config: Obj, path: Path) -> list[FieldError]:
    return _selector(config, "tokenSecretRef", path)


def rfc2136(config: Obj, path: Path) -> list[FieldError]:
    errors = []
    server = config.get("nameserver") or ""
    if not server:
        errors.append(required(child(path, "nameserver")))
    elif valid_nameserver(str(server)) is None:
        errors.append(invalid(child(path, "nameserver"), server, NAMESERVER))
    algorithm = config.get("tsigAlgorithm") or ""
    if algorithm and str(algorithm).upper() not in TSIG_ALGORITHMS:
        errors.append(not_supported(child(path, "tsigAlgorithm"), "", TSIG_ALGORITHMS))
    secret_errors = _selector(config, "tsigSecretSecretRef", path)
    if config.get("tsigKeyName"):
        errors += secret_errors
    if not secret_errors and not config.get("tsigKeyName"):
        errors.append(required(child(path, "tsigKeyName")))
    return errors


def webhook(config: Obj, path: Path) -> list[FieldError]:
    if config.get("solverName"):
        return []
    return [required(child(path, "solverName"), "solver name must be specified")]


# In the Go function's order; acmeDNS is counted but never refused as a second provider.
PROVIDERS: tuple[tuple[str, Check, bool], ...] = (
    ("akamai", akamai, False),
    ("azureDNS", azure, True),
    ("cloudDNS", cloud_dns, True),
    ("cloudflare", cloudflare, True),
    ("route53", route53, True),
    ("acmeDNS", acme_dns, False),
    ("digitalocean", digitalocean, True),
    ("rfc2136", rfc2136, True),
    ("webhook", webhook, True),
)


def providers(config: Obj, path: Path) -> list[FieldError]:
    errors, count = [], 0
    for field, check, exclusive in PROVIDERS:
        if config.get(field) is None:
            continue
        if exclusive and count:
            errors.append(forbidden(child(path, field), ONE_PROVIDER))
            continue
        count += 1
        errors += check(as_obj(config[field]), child(path, field))
    if not count:
        errors.append(required(path, "no DNS01 provider configured"))
    return errors

"""The cert-manager webhook (``webhook.cert-manager.io``) as the API server calls it.

cert-manager v1.21.1 registers a validating webhook for its ``cert-manager.io``
kinds. The API server calls it on create and update only after the object has
passed the CRD's own validation (schema and CEL), and passes its message on as
``admission webhook "webhook.cert-manager.io" denied the request: ...``; the
message is the field errors' aggregate (``[a, b]`` when there are several), of
which the validator prints one line per error.
The webhook first decodes the object into Go types: a duration Go cannot parse
is refused with Go's own message, before any rule runs.
"""

from __future__ import annotations

from mtls_guide.validator.errors import FieldError
from mtls_guide.validator.webhooks import certmanager_certificate as certificate
from mtls_guide.validator.webhooks import certmanager_issuer as issuer
from mtls_guide.validator.webhooks.fielderrors import Obj, WebhookError

NAME = "webhook.cert-manager.io"
VERSION = "v1.21.1"
KINDS = {
    "Certificate": (certificate.decode_error, certificate.validate_certificate),
    "Issuer": (issuer.decode_error, issuer.validate_issuer),
    "ClusterIssuer": (issuer.decode_error, issuer.validate_issuer),
}


def handles(api_version: str, kind: str) -> bool:
    return api_version.startswith("cert-manager.io/") and kind in KINDS


def review(obj: Obj) -> list[FieldError]:
    """The webhook's errors for one object that passed the API server's validation."""
    decode, validate = KINDS[obj["kind"]]
    spec = obj.get("spec")
    problem = decode(spec if isinstance(spec, dict) else {})
    if problem:
        return [WebhookError((), "Decode", problem, webhook=NAME)]
    # The webhook answers errs.ToAggregate(), which drops repeated messages.
    unique: dict[str, FieldError] = {}
    for error in validate(obj):
        unique.setdefault(f"{error.field}: {error.detail}", error)
    return [WebhookError(e.path, e.type, e.detail, webhook=NAME) for e in unique.values()]

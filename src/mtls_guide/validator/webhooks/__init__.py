"""Validating admission webhooks that the API server calls after its own validation passed.

``admission_errors`` is the one entry point: the errors of every webhook that
handles the object's kind (today cert-manager's), each a ``WebhookError`` that
names its webhook.
"""

from __future__ import annotations

from mtls_guide.validator.errors import FieldError
from mtls_guide.validator.webhooks import certmanager


def admission_errors(obj: object) -> list[FieldError]:
    if not isinstance(obj, dict):
        return []
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    if certmanager.handles(api_version, kind):
        return certmanager.review(obj)
    return []

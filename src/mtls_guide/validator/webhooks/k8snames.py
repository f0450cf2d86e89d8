"""Name, label and annotation rules of k8s.io/apimachinery, with their full messages.

The webhook calls them on its own fields (``secretName``, ``secretTemplate``), and
reports the messages that ``IsDNS1123Subdomain``/``IsQualifiedName``/
``IsValidLabelValue`` return, word for word.
"""

from __future__ import annotations

from mtls_guide.validator.errors import FieldError
from mtls_guide.validator.meta import (
    LABEL_VALUE_MSG,
    SUBDOMAIN_MSG,
    TOTAL_ANNOTATION_BYTES,
    dns1123_subdomain,
    go_len,
    label_key,
    label_value,
)
from mtls_guide.validator.webhooks.fielderrors import Path, invalid, too_long

__all__ = ["LABEL_VALUE_MSG", "SUBDOMAIN_MSG", "dns1123_subdomain", "label_value"]


def qualified_name(text: str) -> list[str]:
    """IsQualifiedName as the cert-manager webhook reports it: the rules of the API server's
    IsLabelKey (``meta.label_key``), except that the message for a key with two slashes begins
    "a qualified name" (the older apimachinery wording) instead of "a valid label key"."""
    return [m.replace("a valid label key ", "a qualified name ", 1) for m in label_key(text)]


def validate_labels(labels: dict[str, str], path: Path) -> list[FieldError]:
    """metav1validation.ValidateLabels: every error is reported at the map's own path."""
    errors = []
    for name, value in labels.items():
        errors += [invalid(path, name, m) for m in qualified_name(name)]
        errors += [invalid(path, value, m) for m in label_value(value)]
    return errors


def validate_annotations(annotations: dict[str, str], path: Path) -> list[FieldError]:
    """apivalidation.ValidateAnnotations: keys (case-insensitive) and the 256 KiB total."""
    errors = [invalid(path, k, m) for k in annotations for m in qualified_name(k.lower())]
    size = sum(go_len(k) + go_len(v) for k, v in annotations.items())
    if size > TOTAL_ANNOTATION_BYTES:
        errors.append(too_long(path, TOTAL_ANNOTATION_BYTES))
    return errors

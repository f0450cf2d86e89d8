"""Name, label and annotation rules of k8s.io/apimachinery, with their full messages.

The webhook calls them on its own fields (``secretName``, ``secretTemplate``), and
reports the messages that ``IsDNS1123Subdomain``/``IsQualifiedName``/
``IsValidLabelValue`` return, word for word.
"""

from __future__ import annotations

import re

from mtls_guide.validator.errors import FieldError
from mtls_guide.validator.webhooks.fielderrors import Path, invalid, too_long

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_FMT = rf"{_LABEL}(\.{_LABEL})*"
_QUALIFIED_FMT = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
TOTAL_ANNOTATION_BYTES = 256 * 1024


def _regex_error(message: str, pattern: str, *examples: str) -> str:
    shown = ",  or ".join(f"'{e}'" for e in examples)
    return f"{message} (e.g. {shown}, regex used for validation is '{pattern}')"


SUBDOMAIN_MSG = _regex_error(
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character",
    _SUBDOMAIN_FMT,
    "example.com",
)
_QUALIFIED_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
LABEL_VALUE_MSG = _regex_error(
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character",
    _LABEL_VALUE_FMT,
    "MyValue",
    "my_value",
    "12345",
)


def _matches(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text) is not None


def dns1123_subdomain(text: str) -> list[str]:
    """IsDNS1123Subdomain: the messages for a name that is not a DNS subdomain."""
    errors = []
    if len(text) > 253:
        errors.append("must be no more than 253 characters")
    if not _matches(_SUBDOMAIN_FMT, text):
        errors.append(SUBDOMAIN_MSG)
    return errors


def qualified_name(text: str) -> list[str]:
    """IsQualifiedName: ``[prefix/]name`` as label and annotation keys are written."""
    parts = text.split("/")
    if len(parts) > 2:
        return [
            "a qualified name "
            + _regex_error(_QUALIFIED_MSG, _QUALIFIED_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    errors = []
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors += [f"prefix part {m}" for m in dns1123_subdomain(prefix)]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    if name and not _matches(_QUALIFIED_FMT, name):
        errors.append(
            "name part "
            + _regex_error(_QUALIFIED_MSG, _QUALIFIED_FMT, "MyName", "my.name", "123-abc")
        )
    return errors


def label_value(text: str) -> list[str]:
    errors = []
    if len(text) > 63:
        errors.append("must be no more than 63 characters")
    if not _matches(_LABEL_VALUE_FMT, text):
        errors.append(LABEL_VALUE_MSG)
    return errors


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
    size = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())
    if size > TOTAL_ANNOTATION_BYTES:
        errors.append(too_long(path, TOTAL_ANNOTATION_BYTES))
    return errors

"""ObjectMeta checks the API server makes for every object (apimachinery ValidateObjectMeta)."""

from __future__ import annotations

import re

from mtls_guide.validator.errors import FieldError, FieldPath, Key, invalid, required, show

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
_DNS_LABEL = re.compile(rf"^{_LABEL}$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)

QUALIFIED_NAME_MSG = "name part must consist of alphanumeric characters, '-', '_' or '.'"

KNOWN_FIELDS = {
    "name", "generateName", "namespace", "labels", "annotations", "finalizers", "ownerReferences",
    "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
    "deletionGracePeriodSeconds", "managedFields", "selfLink",
}  # fmt: skip


def unknown_metadata_fields(meta: object) -> list[tuple[str, ...]]:
    if not isinstance(meta, dict):
        return []
    return [("metadata", key) for key in meta if key not in KNOWN_FIELDS]


def is_subdomain(name: str) -> bool:
    return len(name) <= 253 and bool(_SUBDOMAIN.match(name))


def _qualified_name_ok(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and not is_subdomain(prefix):
        return False
    return len(name) <= 63 and bool(_QUALIFIED_NAME.match(name))


def check_metadata(meta: object, namespaced: bool, name_is_label: bool = False) -> list[FieldError]:
    if not isinstance(meta, dict):
        return (
            [required(("metadata",))]
            if meta is None
            else [
                invalid(
                    ("metadata",),
                    '"' + type(meta).__name__ + '"',
                    "metadata must be an object",
                    "TypeInvalid",
                )
            ]
        )
    errors: list[FieldError] = []
    name = meta.get("name")
    if not name and not meta.get("generateName"):
        errors.append(required(("metadata", "name"), "name or generateName is required"))
    elif isinstance(name, str) and name_is_label:
        errors += [invalid(("metadata", "name"), show(name), m) for m in dns_label_problems(name)]
    elif isinstance(name, str) and name and not is_subdomain(name):
        errors.append(invalid(("metadata", "name"), show(name), SUBDOMAIN_MSG))
    namespace = meta.get("namespace")
    if namespaced and isinstance(namespace, str) and namespace:
        path: tuple[str | Key, ...] = ("metadata", "namespace")
        errors += [invalid(path, show(namespace), m) for m in dns_label_problems(namespace)]
    for field in ("labels", "annotations"):
        values = meta.get(field) or {}
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            path = ("metadata", field, Key(key))
            if not _qualified_name_ok(str(key)):
                errors.append(
                    invalid(
                        path,
                        show(key),
                        QUALIFIED_NAME_MSG,
                    )
                )
            if not isinstance(value, str):
                errors.append(
                    invalid(path, f'"{type(value).__name__}"', "must be a string", "TypeInvalid")
                )
            elif field == "labels":
                errors += [invalid(path, show(value), m) for m in label_value_problems(value)]
    return errors


LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def dns_label_problems(value: str) -> list[str]:
    """apimachinery's IsDNS1123Label: too long and wrong characters are separate messages."""
    problems = ["must be no more than 63 characters"] if len(value) > 63 else []
    if not _DNS_LABEL.match(value):
        problems.append(LABEL_MSG)
    return problems


def label_value_problems(value: str) -> list[str]:
    """apimachinery's IsValidLabelValue: a value that is only too long is reported as too long."""
    problems = ["must be no more than 63 characters"] if len(value) > 63 else []
    if not _LABEL_VALUE.match(value):
        problems.append(LABEL_VALUE_MSG)
    return problems


def check_labels(labels: dict[str, object], path: FieldPath) -> list[FieldError]:
    """Label keys and values of a label map (metadata.labels, a Service or Deployment selector)."""
    errors: list[FieldError] = []
    for key, value in labels.items():
        where = (*path, Key(key))
        if not _qualified_name_ok(str(key)):
            errors.append(invalid(where, show(key), QUALIFIED_NAME_MSG))
        if isinstance(value, str):
            errors += [invalid(where, show(value), m) for m in label_value_problems(value)]
    return errors

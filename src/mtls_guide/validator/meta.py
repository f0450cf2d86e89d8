"""ObjectMeta checks the API server makes for every object (apimachinery ValidateObjectMeta)."""

from __future__ import annotations

import re

from mtls_guide.validator.errors import FieldError, Key, invalid, required, show

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
    elif (
        isinstance(name, str) and name_is_label and not (len(name) <= 63 and _DNS_LABEL.match(name))
    ):
        errors.append(invalid(("metadata", "name"), show(name), LABEL_MSG))
    elif isinstance(name, str) and name and not is_subdomain(name):
        errors.append(invalid(("metadata", "name"), show(name), SUBDOMAIN_MSG))
    namespace = meta.get("namespace")
    if (
        namespaced
        and isinstance(namespace, str)
        and namespace
        and not (len(namespace) <= 63 and _DNS_LABEL.match(namespace))
    ):
        errors.append(invalid(("metadata", "namespace"), show(namespace), LABEL_MSG))
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
                        "name part must consist of alphanumeric characters, '-', '_' or '.'",
                    )
                )
            if not isinstance(value, str):
                errors.append(
                    invalid(path, f'"{type(value).__name__}"', "must be a string", "TypeInvalid")
                )
            elif field == "labels" and (len(value) > 63 or not _LABEL_VALUE.match(value)):
                errors.append(
                    invalid(
                        path,
                        show(value),
                        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                    )
                )
    return errors

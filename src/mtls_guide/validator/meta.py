"""ObjectMeta checks the API server makes for every object, in its words.

Kubernetes 1.35: k8s.io/apimachinery ``pkg/api/validation`` (ValidateObjectMetaAccessor,
ValidateAnnotations), ``pkg/apis/meta/v1/validation`` (ValidateLabels) and the string rules of
``pkg/api/validate/content`` and ``pkg/util/validation`` (IsDNS1123Label, IsDNS1123Subdomain,
IsDNS1035Label, IsLabelKey, IsLabelValue). Lengths are Go's ``len``: UTF-8 bytes. Regular
expressions match the whole value (Go's ``^...$`` never matches before a final newline).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mtls_guide.validator.errors import FieldError, FieldPath, Key, invalid, required, show

_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_FMT = _LABEL_FMT + "(\\." + _LABEL_FMT + ")*"
_DNS1035_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _LABEL_KEY_FMT + ")?"
_LABEL = re.compile(_LABEL_FMT)
_SUBDOMAIN = re.compile(_SUBDOMAIN_FMT)
_DNS1035 = re.compile(_DNS1035_FMT)
_LABEL_KEY = re.compile(_LABEL_KEY_FMT)
_LABEL_VALUE = re.compile(_LABEL_VALUE_FMT)

TOTAL_ANNOTATION_BYTES = 256 * 1024  # TotalAnnotationSizeLimitB


def go_len(text: str) -> int:
    """Go's ``len`` of a string: its UTF-8 bytes."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def max_len(limit: int) -> str:
    """MaxLenError."""
    return f"must be no more than {limit} characters"


def regex_error(message: str, pattern: str, *examples: str) -> str:
    """RegexError, with its double space between examples."""
    shown = "".join(f"{' or ' if i else ''}'{e}', " for i, e in enumerate(examples))
    return f"{message} (e.g. {shown}regex used for validation is '{pattern}')"


LABEL_MSG = regex_error(
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character",
    _LABEL_FMT,
    "my-name",
    "123-abc",
)
SUBDOMAIN_MSG = regex_error(
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character",
    _SUBDOMAIN_FMT,
    "example.com",
)
DNS1035_MSG = regex_error(
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character",
    _DNS1035_FMT,
    "my-name",
    "abc-123",
)
_LABEL_KEY_MSG = regex_error(
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character",
    _LABEL_KEY_FMT,
    "MyName",
    "my.name",
    "123-abc",
)
LABEL_VALUE_MSG = regex_error(
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character",
    _LABEL_VALUE_FMT,
    "MyValue",
    "my_value",
    "12345",
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


# -- string rules: each returns the server's messages, in its order ------------------------------


def length_and_form(value: str, limit: int, form: re.Pattern[str], message: str) -> list[str]:
    """The shape of most apimachinery string rules: too long, then not of the form; a value
    that is only too long gets the length message alone."""
    problems = [max_len(limit)] if go_len(value) > limit else []
    if not form.fullmatch(value):
        problems.append(message)
    return problems


def dns1123_label(value: str) -> list[str]:
    """IsDNS1123Label: a valid subdomain that is not a label can only be wrong by its dots, and
    is told so."""
    message = "must not contain dots" if _SUBDOMAIN.fullmatch(value) else LABEL_MSG
    return length_and_form(value, 63, _LABEL, message)


def dns1123_subdomain(value: str) -> list[str]:
    """IsDNS1123Subdomain."""
    return length_and_form(value, 253, _SUBDOMAIN, SUBDOMAIN_MSG)


def dns1035_label(value: str) -> list[str]:
    """IsDNS1035Label (Service names)."""
    return length_and_form(value, 63, _DNS1035, DNS1035_MSG)


def label_key(value: str) -> list[str]:
    """content.IsLabelKey (IsQualifiedName): ``[prefix/]name`` of label and annotation keys."""
    prefix, slash, name = value.partition("/")
    if not slash:
        name, problems = value, []
    elif "/" in name:
        return [
            f"a valid label key {_LABEL_KEY_MSG} with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')"
        ]
    elif not prefix:
        problems = ["prefix part must be non-empty"]
    else:
        problems = [f"prefix part {m}" for m in dns1123_subdomain(prefix)]
    if not name:
        problems.append("name part must be non-empty")
    elif go_len(name) > 63:
        problems.append(f"name part {max_len(63)}")
    if not _LABEL_KEY.fullmatch(name):
        problems.append(f"name part {_LABEL_KEY_MSG}")
    return problems


def label_value(value: str) -> list[str]:
    """IsLabelValue: a value that is only too long is reported as too long, nothing else."""
    return length_and_form(value, 63, _LABEL_VALUE, LABEL_VALUE_MSG)


NAME_RULES: dict[str, Callable[[str], list[str]]] = {
    "subdomain": dns1123_subdomain,  # NameIsDNSSubdomain: most kinds, every custom resource
    "label": dns1123_label,  # NameIsDNSLabel: Namespace
    "dns1035": dns1035_label,  # NameIsDNS1035Label: Service
}


# -- maps: every error is reported at the map's own path, as Go does ---------------------------


def check_labels(labels: dict[str, object], path: FieldPath) -> list[FieldError]:
    """ValidateLabels (metadata.labels, a selector's matchLabels, a Service selector): each
    error names the map (``metadata.labels``), and shows the bad key or the bad value."""
    errors: list[FieldError] = []
    for key, value in labels.items():
        errors += [invalid(path, show(str(key)), m) for m in label_key(str(key))]
        if isinstance(value, str):
            errors += [invalid(path, show(value), m) for m in label_value(value)]
    return errors


def check_annotations(annotations: dict[str, object], path: FieldPath) -> list[FieldError]:
    """ValidateAnnotations: keys as label keys (case-insensitive), then the 256 KiB total of
    keys and values."""
    errors = [
        invalid(path, show(str(key)), m) for key in annotations for m in label_key(str(key).lower())
    ]
    size = sum(go_len(str(k)) + go_len(v) for k, v in annotations.items() if isinstance(v, str))
    if size > TOTAL_ANNOTATION_BYTES:
        errors.append(
            FieldError(
                path, "TooLong", f"Too long: must have at most {TOTAL_ANNOTATION_BYTES} bytes"
            )
        )
    return errors


def check_metadata(
    meta: object, namespaced: bool, name_rule: str = "subdomain"
) -> list[FieldError]:
    """ValidateObjectMetaAccessor on create: name (by the kind's rule), namespace, labels,
    annotations, in that order."""
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
    elif isinstance(name, str) and name:
        rule = NAME_RULES[name_rule]
        errors += [invalid(("metadata", "name"), show(name), m) for m in rule(name)]
    namespace = meta.get("namespace")
    # A cluster-scoped object's namespace is cleared before validation (rest.BeforeCreate).
    if namespaced and isinstance(namespace, str) and namespace:
        path: FieldPath = ("metadata", "namespace")
        errors += [invalid(path, show(namespace), m) for m in dns1123_label(namespace)]
    for field, check in (("labels", check_labels), ("annotations", check_annotations)):
        values = meta.get(field) or {}
        if not isinstance(values, dict):
            continue
        errors += check(values, ("metadata", field))
        errors += [
            invalid(
                ("metadata", field, Key(k)),
                f'"{type(v).__name__}"',
                "must be a string",
                "TypeInvalid",
            )
            for k, v in values.items()
            if not isinstance(v, str)
        ]
    return errors

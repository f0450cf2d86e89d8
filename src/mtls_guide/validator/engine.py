"""The manifest validator: one engine for the CLI and the test suite.

For each object it follows kube-apiserver's create pipeline (validation-semantics
§1): resolve the kind to a served CRD version (or a built-in kind), strict
decoding, null pruning and defaults, dropping ``status``, ObjectMeta, OpenAPI
value validation, list types, and CEL unless a blocking error was found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mtls_guide.validator import core, corekinds
from mtls_guide.validator.cel import check_rules
from mtls_guide.validator.crds import CHANNELS, SchemaIndex, load_index
from mtls_guide.validator.errors import (
    NOT_CHECKED,
    FieldError,
    FieldPath,
    go_quote,
    invalid,
    render_path,
)
from mtls_guide.validator.loader import Budget, Document, load_documents
from mtls_guide.validator.meta import check_metadata, unknown_metadata_fields
from mtls_guide.validator.schema import (
    apply_defaults,
    check_list_types,
    check_value,
    unknown_fields,
)
from mtls_guide.validator.webhooks import admission_errors


@dataclass(frozen=True)
class Problem:
    """One line of the validator's report: ``FILE:LINE: Kind/name: field: message``."""

    source: str
    line: int
    subject: str
    field: str
    message: str
    lint: bool = False
    webhook: str = ""  # set when an admission webhook refused the object, not the API server

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        tag = "warning: " if self.lint else ""
        # kubectl prints a webhook's refusal with this prefix before the webhook's own message
        denied = f'admission webhook "{self.webhook}" denied the request: ' if self.webhook else ""
        return f"{self.source}:{self.line}: {tag}{self.subject}: {denied}{where}{self.message}"


@dataclass
class CheckedObject:
    """An object after validation: its defaulted form (for lints) and its problems."""

    source: str
    line: int
    value: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)
    doc: Document | None = None
    base: FieldPath = ()  # where the object sits in its document (items[i] of a v1 List)

    def line_of(self, path: FieldPath) -> int:
        """The source line of a field of this object (or of its nearest ancestor)."""
        return self.doc.line_of(self.base + path) if self.doc else self.line

    @property
    def kind(self) -> str:
        return str((self.value or {}).get("kind", ""))

    @property
    def name(self) -> str:
        return str(((self.value or {}).get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str | None:
        return ((self.value or {}).get("metadata") or {}).get("namespace")


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def _copy(value: object) -> object:
    """A deep copy of decoded YAML (dicts, lists, scalars): several times faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _field_of(error: FieldError) -> str:
    if error.type == "Resolve":
        return ""  # the object as a whole has no schema to check against
    return error.field


def subject_of(obj: dict[str, Any]) -> str:
    name = (
        (obj.get("metadata") or {}).get("name") if isinstance(obj.get("metadata"), dict) else None
    )
    shown = str(name) if name else "(no name)"
    if not shown.isprintable():  # a newline or NUL in a name must not break the one-line report
        shown = go_quote(shown)[1:-1]
    return f"{obj.get('kind', '?')}/{shown}"


class Validator:
    """Validates manifests against the pinned CRDs of one channel."""

    def __init__(self, channel: str = "standard") -> None:
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
        self.channel = channel
        self.index: SchemaIndex = load_index(channel)
        self._other: SchemaIndex | None = None  # the other channel, loaded for hints only

    def _other_index(self) -> SchemaIndex:
        if self._other is None:
            self._other = load_index("experimental" if self.channel == "standard" else "standard")
        return self._other

    # -- entry points ---------------------------------------------------------------------------

    def check_text(
        self, text: str, source: str, budget: Budget | None = None
    ) -> list[CheckedObject]:
        """Every object of a (multi-document) YAML text; a broken document does not stop the rest.

        ``budget`` is shared by the texts of one run; spending it raises ``LimitExceeded``.
        """
        results = []
        for doc in load_documents(text, budget):
            if doc.error is not None:
                results.append(self._failed(doc, source, f"document {doc.index + 1}", doc.error))
            elif doc.value is not None:
                results += self._check_document(doc, source)
        return results

    # -- one document ---------------------------------------------------------------------------

    def _failed(
        self, doc: Document, source: str, subject: str, message: str, path: FieldPath = ()
    ) -> CheckedObject:
        return CheckedObject(
            source,
            doc.line,
            None,
            [
                Problem(
                    source, doc.line_of(path), subject, render_path(path) if path else "", message
                )
            ],
        )

    def _check_document(self, doc: Document, source: str) -> list[CheckedObject]:
        obj = doc.value
        if not isinstance(obj, dict):
            return [
                self._failed(
                    doc,
                    source,
                    f"document {doc.index + 1}",
                    "not a Kubernetes object (a YAML mapping)",
                )
            ]
        missing = [
            k for k in ("apiVersion", "kind") if not isinstance(obj.get(k), str) or not obj[k]
        ]
        if missing:
            return [
                self._failed(
                    doc,
                    source,
                    f"document {doc.index + 1}",
                    ", ".join(f"{k} not set" for k in missing),
                )
            ]
        if (
            obj["kind"] == "List"
            and obj["apiVersion"] == "v1"
            and isinstance(obj.get("items"), list)
        ):
            return [
                self._check_object(item, doc, source, ("items", i))
                for i, item in enumerate(obj["items"])
            ]
        return [self._check_object(obj, doc, source, ())]

    def _check_object(
        self, obj: object, doc: Document, source: str, base: FieldPath
    ) -> CheckedObject:
        line = doc.line_of(base)
        if not isinstance(obj, dict) or not obj.get("apiVersion") or not obj.get("kind"):
            return CheckedObject(
                source,
                line,
                None,
                [Problem(source, line, "item", render_path(base), "apiVersion or kind not set")],
            )
        subject = subject_of(obj)
        errors, value = self._field_errors(obj, doc, base)
        problems = [
            Problem(
                source,
                doc.line_of(base + (e.path or ())),
                subject,
                _field_of(e),
                e.detail,
                webhook=getattr(e, "webhook", ""),
            )
            for e in errors
        ]
        return CheckedObject(source, line, value, problems, doc, base)

    def _field_errors(
        self, obj: dict[str, Any], doc: Document, base: FieldPath
    ) -> tuple[list[FieldError], dict[str, Any]]:
        """All field errors of one object, and its defaulted value."""
        duplicates = [
            FieldError(p[len(base):], "Unknown", f'duplicate field "{render_path(p[len(base):])}"')
            for p in doc.duplicates if p[: len(base)] == base
        ]  # fmt: skip
        group, version = split_api_version(obj["apiVersion"])
        crd = self.index.lookup(group, version, obj["kind"])
        if crd is None or not crd.served:
            if crd is None and core.is_builtin(obj["apiVersion"], obj["kind"]):
                return duplicates + self._builtin_errors(obj), obj
            return [FieldError(None, "Resolve", self._no_match(group, version, obj["kind"]))], obj
        strict = duplicates + [
            FieldError(p, "Unknown", f'unknown field "{render_path(p)}"')
            for p in [*unknown_metadata_fields(obj.get("metadata")), *unknown_fields(
                {k: v for k, v in obj.items() if k != "metadata"}, crd.schema)]
        ]  # fmt: skip
        if strict:
            return strict, obj  # strict decoding fails the request before validation
        value = apply_defaults(_copy(obj), crd.schema)
        assert isinstance(value, dict)  # defaults never change an object's type
        if crd.status_subresource:
            value.pop("status", None)
        errors = check_metadata(value.get("metadata"), crd.namespaced)
        errors += check_value(value, crd.schema, ())
        errors += check_list_types(value, crd.schema, ())
        if any(e.blocking for e in errors):
            errors.append(invalid(None, '"null"', NOT_CHECKED))
        else:
            errors += check_rules(value, crd.schema)[1]
        # Validating admission webhooks (webhooks/): the API server calls them only after its own
        # validation passed (registry BeforeCreate, then the admission chain), so never with errors.
        if not errors:
            errors += admission_errors(value)
        return errors, value

    def _builtin_errors(self, obj: dict[str, Any]) -> list[FieldError]:
        """Schema, then (if the object decodes) ObjectMeta and the server's own rules."""
        errors = core.check_builtin(obj)
        if any(e.type == "TypeInvalid" for e in errors):
            return errors  # the server cannot decode it into its Go type; nothing else runs
        api_version, kind = obj["apiVersion"], obj["kind"]
        namespaced = kind not in {"Namespace", "ClusterRole", "ClusterRoleBinding"}
        meta = check_metadata(
            obj.get("metadata"), namespaced, corekinds.name_rule(api_version, kind)
        )
        if corekinds.has_rules(obj):
            # The server checks no OpenAPI "required" on built-in kinds: a missing field is its
            # Go zero value, judged by the Go rules (a Service port left out is port 0).
            errors = [e for e in errors if e.type != "Required"]
        found = errors + [e for e in meta if e.type != "TypeInvalid"] + corekinds.check(obj)
        # ErrorList.ToAggregate: a message already in the list is not repeated.
        unique: dict[tuple[str, str], FieldError] = {}
        for error in found:
            unique.setdefault((error.field, error.detail), error)
        return list(unique.values())

    def _no_match(self, group: str, version: str, kind: str) -> str:
        api_version = f"{group}/{version}" if group else version
        message = f'no matches for kind "{kind}" in version "{api_version}"'
        other = "experimental" if self.channel == "standard" else "standard"
        hints = []
        served = sorted(v.version for v in self.index.knows_kind(group, kind) if v.served)
        if served:
            hints.append(f"the {self.channel} channel serves {', '.join(served)}")
        if any(
            v.served for v in self._other_index().knows_kind(group, kind) if v.version == version
        ):
            hints.append(f"the {other} channel serves {version} (--channel {other})")
        if not hints:
            return f"{message}: no pinned CRD defines this kind; add its CRD to locks/crds.json"
        return f"{message}; {'; '.join(hints)}"

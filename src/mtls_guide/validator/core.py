"""Built-in kinds (Secret, ConfigMap, Service, ...).

Their OpenAPI shape comes from the JSON Schemas that the ``kubernetes-validate``
package ships (strict variant: unknown fields are errors); unlike its
``validate()``, which stops at the first error, every error is reported. The API
server's hand-written Go rules are added on top by ``corekinds``.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from mtls_guide.validator.errors import FieldError, Key, invalid, required, show

KUBERNETES_VERSION = "1.35.0"  # the kubectl the guide uses (tooling notes §9)


def _schema_dir() -> Traversable:
    return (
        resources.files("kubernetes_validate")
        / "kubernetes-json-schema"
        / f"v{KUBERNETES_VERSION}-local-strict"
    )


def _schema_name(api_version: str, kind: str) -> str:
    # rbac.authorization.k8s.io/v1 -> rbac-v1, v1 -> v1 (kubernetes-validate's file naming)
    short = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{short}.json"


@functools.cache
def _definitions() -> Any:
    from referencing import Resource

    return Resource.from_contents(json.loads((_schema_dir() / "_definitions.json").read_text()))


@functools.cache
def _validator(api_version: str, kind: str) -> Any:
    """A jsonschema validator for a built-in kind, or None if the kind is not built in."""
    path = _schema_dir() / _schema_name(api_version, kind)
    if not path.is_file():
        return None
    # Imported here: jsonschema costs a quarter second, and most runs check only CRD kinds.
    import jsonschema
    from referencing import Registry, Resource

    schema = json.loads(path.read_text())
    registry = Resource.from_contents(schema) @ (_definitions() @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def is_builtin(api_version: str, kind: str) -> bool:
    return _validator(api_version, kind) is not None


_MAPS = {"data", "stringData", "binaryData", "labels", "annotations"}


def _field_path(parts: list[Any]) -> tuple[Any, ...]:
    """jsonschema's path with map keys marked, so ``data[ca.crt]`` renders as the server does."""
    return tuple(Key(p) if i and parts[i - 1] in _MAPS else p for i, p in enumerate(parts))


def _from_jsonschema(error: Any) -> FieldError:
    path = _field_path(list(error.absolute_path))
    if path[:1] == ("data",) and len(path) == 2 and error.validator == "type":
        return invalid(
            path,
            show(error.instance),
            "ConfigMap and Secret data values must be strings (quote the value)",
            "TypeInvalid",
        )
    if error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)' was unexpected", error.message) or ["?"]
        field = ".".join(str(p) for p in (*path, extra[0]))
        return FieldError((*path, extra[0]), "Unknown", f'unknown field "{field}"')
    if error.validator == "required":
        return required(path + tuple(re.findall(r"^'([^']+)'", error.message)[:1]))
    if error.validator == "type":
        return invalid(path, f'"{type(error.instance).__name__}"', error.message, "TypeInvalid")
    return invalid(
        path,
        show(error.instance) if not isinstance(error.instance, dict | list) else '""',
        error.message,
    )


def check_builtin(obj: dict[str, Any]) -> list[FieldError]:
    """The OpenAPI shape only; the server's hand-written rules are in ``corekinds``."""
    validator = _validator(obj["apiVersion"], obj["kind"])
    assert validator is not None
    return [_from_jsonschema(e) for e in validator.iter_errors(obj)]

"""mTLS lints across a set of objects: references the API server accepts but a controller rejects.

The API server does not follow references; a Gateway pointing at a missing CA
ConfigMap is stored and then reported ``ResolvedRefs=False`` by its controller.
These checks find such mistakes before apply. They run on objects already
validated (with defaults applied), and are reported apart from API errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mtls_guide.validator.engine import CheckedObject, Problem
from mtls_guide.validator.errors import render_path

GATEWAY_GROUP = "gateway.networking.k8s.io"


def _ns(obj: CheckedObject) -> str:
    return obj.namespace or "default"


class _Objects:
    def __init__(self, objects: list[CheckedObject]) -> None:
        self.objects = [o for o in objects if o.value is not None and not o.problems]

    def find(self, kind: str, namespace: str, name: str) -> CheckedObject | None:
        return next(
            (o for o in self.objects if (o.kind, _ns(o), o.name) == (kind, namespace, name)), None
        )

    def of_kind(self, kind: str) -> Iterator[CheckedObject]:
        return (o for o in self.objects if o.kind == kind)

    def granted(
        self, from_kind: str, from_ns: str, to_group: str, to_kind: str, to_ns: str, name: str
    ) -> bool:
        """A ReferenceGrant in ``to_ns`` lets ``from_kind`` objects of ``from_ns`` refer to the target."""
        for grant in self.of_kind("ReferenceGrant"):
            spec = grant.value["spec"]
            if _ns(grant) != to_ns:
                continue
            froms = any(
                (f.get("group"), f.get("kind"), f.get("namespace"))
                == (GATEWAY_GROUP, from_kind, from_ns)
                for f in spec.get("from", [])
            )
            tos = any(
                t.get("group", "") in (to_group, "core" if to_group == "" else to_group)
                and t.get("kind") == to_kind
                and t.get("name", name) == name
                for t in spec.get("to", [])
            )
            if froms and tos:
                return True
        return False


def _lint(obj: CheckedObject, path: tuple[Any, ...], message: str) -> Problem:
    return Problem(
        obj.source,
        obj.line_of(path),
        f"{obj.kind}/{obj.name}",
        render_path(path),
        message,
        lint=True,
    )


def _check_ref(
    objs: _Objects,
    owner: CheckedObject,
    field: tuple[Any, ...],
    ref: dict[str, Any],
    want_kind: str,
) -> Iterator[Problem]:
    kind, group = ref.get("kind", want_kind), ref.get("group", "")
    if group not in ("", "core") or kind != want_kind:
        yield _lint(
            owner, field, f"refers to {group or 'core'}/{kind}; Core support is a {want_kind}"
        )
        return
    namespace = ref.get("namespace") or _ns(owner)
    target = objs.find(kind, namespace, ref["name"])
    where = f"{kind} {namespace}/{ref['name']}"
    if target is None:
        yield _lint(owner, field, f"{where} is not among these manifests")
    elif kind == "ConfigMap" and "ca.crt" not in (target.value.get("data") or {}):
        yield _lint(owner, field, f"{where} has no key ca.crt (the key Gateway API Core reads)")
    elif kind == "Secret" and target.value.get("type") != "kubernetes.io/tls":
        yield _lint(owner, field, f"{where} is not of type kubernetes.io/tls")
    if namespace != _ns(owner) and not objs.granted(
        owner.kind, _ns(owner), "", kind, namespace, ref["name"]
    ):
        yield _lint(
            owner,
            field,
            f"{where} is in another namespace and no ReferenceGrant in {namespace} allows it",
        )


def _gateway_refs(objs: _Objects, gateway: CheckedObject) -> Iterator[Problem]:
    spec = gateway.value["spec"]
    for i, listener in enumerate(spec.get("listeners", [])):
        for j, ref in enumerate((listener.get("tls") or {}).get("certificateRefs", [])):
            yield from _check_ref(
                objs, gateway, ("spec", "listeners", i, "tls", "certificateRefs", j), ref, "Secret"
            )
    backend_ref = ((spec.get("tls") or {}).get("backend") or {}).get("clientCertificateRef")
    if backend_ref:
        yield from _check_ref(
            objs, gateway, ("spec", "tls", "backend", "clientCertificateRef"), backend_ref, "Secret"
        )
    frontend = (spec.get("tls") or {}).get("frontend") or {}
    base = ("spec", "tls", "frontend")
    validations: list[tuple[tuple[Any, ...], Any]] = [
        ((*base, "default"), frontend.get("default") or {})
    ]
    validations += [
        ((*base, "perPort", i, "tls"), p.get("tls") or {})
        for i, p in enumerate(frontend.get("perPort", []))
    ]
    for where, tls in validations:
        for j, ref in enumerate((tls.get("validation") or {}).get("caCertificateRefs", [])):
            yield from _check_ref(
                objs, gateway, (*where, "validation", "caCertificateRefs", j), ref, "ConfigMap"
            )


def _tlsroute_parents(objs: _Objects, route: CheckedObject) -> Iterator[Problem]:
    for i, parent in enumerate(route.value["spec"].get("parentRefs", [])):
        if parent.get("kind", "Gateway") != "Gateway":
            continue
        field = ("spec", "parentRefs", i)
        gateway = objs.find("Gateway", parent.get("namespace") or _ns(route), parent["name"])
        if gateway is None:
            yield _lint(route, field, f"Gateway {parent['name']} is not among these manifests")
            continue
        listeners = [
            listener for listener in gateway.value["spec"]["listeners"]
            if parent.get("sectionName") in (None, listener["name"])
        ]  # fmt: skip
        if not listeners:
            yield _lint(
                route, field, f"Gateway {gateway.name} has no listener {parent['sectionName']!r}"
            )
        elif not any(
            listener["protocol"] == "TLS"
            and (listener.get("tls") or {}).get("mode") == "Passthrough"
            for listener in listeners
        ):
            yield _lint(route, field, "no TLS listener in Passthrough mode to attach to")


def _policy_targets(objs: _Objects, policy: CheckedObject) -> Iterator[Problem]:
    for i, ref in enumerate(policy.value["spec"].get("targetRefs", [])):
        if ref.get("kind") != "Gateway" or "sectionName" not in ref:
            continue
        gateway = objs.find("Gateway", _ns(policy), ref["name"])
        field = ("spec", "targetRefs", i, "sectionName")
        if gateway is None:
            yield _lint(policy, field, f"Gateway {ref['name']} is not among these manifests")
        elif ref["sectionName"] not in {
            listener["name"] for listener in gateway.value["spec"]["listeners"]
        }:
            yield _lint(
                policy, field, f"Gateway {gateway.name} has no listener {ref['sectionName']!r}"
            )


def lint_objects(objects: list[CheckedObject]) -> list[Problem]:
    """All mTLS lints for a set of objects (one page, one snippet folder, one CLI run)."""
    objs = _Objects(objects)
    problems: list[Problem] = []
    for gateway in objs.of_kind("Gateway"):
        problems += _gateway_refs(objs, gateway)
    for route in objs.of_kind("TLSRoute"):
        problems += _tlsroute_parents(objs, route)
    for policy in objs.of_kind("ClientTrafficPolicy"):
        problems += _policy_targets(objs, policy)
    return problems

"""The API server's own rules for the built-in kinds the guide uses, in the server's words.

The OpenAPI shape of built-in kinds is checked by ``core`` (kubernetes-validate's
strict schemas). The server then decodes the object into Go types and runs its
hand-written validation (Kubernetes 1.35: ``pkg/apis/core/validation`` for
Secret, ConfigMap, Service and Namespace, ``pkg/apis/apps/validation`` for
Deployment, with ``k8s.io/apimachinery/pkg/util/validation`` for names, ports and
labels). These rules run here only on objects whose schema check found no type
error: the server refuses such an object while decoding, before validation.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from mtls_guide.validator.errors import FieldError, FieldPath, Key, invalid, required, show
from mtls_guide.validator.gojson import unmarshal_map_error
from mtls_guide.validator.meta import (
    check_labels,
    dns1123_label,
    dns1123_subdomain,
    go_len,
    label_key,
    label_value,
    length_and_form,
    max_len,
    regex_error,
)

Obj = dict[str, Any]

MAX_DATA_BYTES = 1024 * 1024  # core.MaxSecretSize: Secret and ConfigMap data, 1 MiB
_CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
_CONFIG_KEY = re.compile(_CONFIG_KEY_FMT)
_PORT_NAME_CHARS = re.compile("[-a-z0-9]+")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=\r\n]")

CONFIG_KEY_MSG = regex_error(
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
    _CONFIG_KEY_FMT,
    "key.name",
    "KEY_NAME",
    "key-name",
)
REDACTED = '"<secret contents redacted>"'
PORT_RANGE_MSG = "must be between 1 and 65535, inclusive"
PROTOCOLS = ("SCTP", "TCP", "UDP")
SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")


def as_json(value: object) -> str:
    """A map or list as Kubernetes 1.35 shows it in a field error: compact JSON."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _unsupported(path: FieldPath, value: object, supported: tuple[str, ...]) -> FieldError:
    values = ", ".join(f'"{s}"' for s in supported)
    return FieldError(
        path, "NotSupported", f"Unsupported value: {show(value)}: supported values: {values}"
    )


def _dict(value: object) -> Obj:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


# -- names, keys, ports (apimachinery util/validation) ----------------------------------------


def _each(path: FieldPath, value: str, messages: list[str]) -> list[FieldError]:
    return [invalid(path, show(value), m) for m in messages]


def config_key(key: str, path: FieldPath) -> list[FieldError]:
    """IsConfigMapKey: Secret and ConfigMap keys."""
    messages = length_and_form(key, 253, _CONFIG_KEY, CONFIG_KEY_MSG)
    if key == ".":
        messages.append("must not be '.'")
    elif key == "..":
        messages.append("must not be '..'")
    elif key.startswith(".."):
        messages.append("must not start with '..'")
    return [invalid(path, show(key), m) for m in messages]


def port_number(value: object, path: FieldPath) -> list[FieldError]:
    if isinstance(value, int) and not 1 <= value <= 65535:
        return [invalid(path, show(value), PORT_RANGE_MSG)]
    return []


def port_name_problems(name: str) -> list[str]:
    """IsValidPortName: an IANA service name (what a string targetPort or containerPort name is),
    its messages in Go's order."""
    problems = [max_len(15)] if go_len(name) > 15 else []
    if not _PORT_NAME_CHARS.fullmatch(name):
        problems.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", name):
        problems.append("must contain at least one letter (a-z)")
    if "--" in name:
        problems.append("must not contain consecutive hyphens")
    if name.startswith("-") or name.endswith("-"):
        problems.append("must not begin or end with a hyphen")
    return problems


def port_num_or_name(value: object, path: FieldPath) -> list[FieldError]:
    if isinstance(value, str):
        return [invalid(path, show(value), m) for m in port_name_problems(value)]
    return port_number(value, path)


# -- []byte fields: base64 as Go's encoding/json decodes it ----------------------------------


def base64_problem(text: str) -> str | None:
    """Go's ``base64.StdEncoding`` as ``encoding/json`` uses it for ``[]byte``: padding
    required, CR and LF ignored anywhere (so 76-column wrapped output decodes), nothing
    else. Returns the server's message with Go's byte offset, or None when ``text`` decodes."""
    offset = _base64_error_offset(text)
    return None if offset is None else f"illegal base64 data at input byte {offset}"


def _base64_error_offset(text: str) -> int | None:
    """Where Go's decoder stops (its ``CorruptInputError``), following its decodeQuantum; in
    C-speed string searches, since a Secret value may be megabytes long."""
    data_chars = len(text) - text.count("\n") - text.count("\r")
    bad, pad = _NOT_BASE64.search(text), text.find("=")
    if bad and (pad < 0 or bad.start() < pad):
        return bad.start()
    if pad < 0:  # only alphabet characters: the last group must be complete
        return None if data_chars % 4 == 0 else len(text) - data_chars % 4
    position = (pad - text.count("\n", 0, pad) - text.count("\r", 0, pad)) % 4
    if position < 2:
        return pad  # padding where data must be
    rest = ((i, text[i]) for i in range(pad + 1, len(text)) if text[i] not in "\r\n")
    if position == 2:  # "xx=" must be "xx=="
        second = next(rest, None)
        if second is None:
            return len(text)
        if second[1] != "=":
            return pad
    after = next(rest, None)
    return None if after is None else after[0]  # nothing may follow the padding


def _decoded_size(text: str) -> int:
    stripped = text.replace("\r", "").replace("\n", "")
    return len(stripped) * 3 // 4 - stripped[-2:].count("=")


def _bytes_fields(obj: Obj, field: str) -> Iterator[FieldError]:
    for key, value in _dict(obj.get(field)).items():
        problem = base64_problem(value) if isinstance(value, str) else None
        if problem:
            kind = obj["kind"]
            yield FieldError(
                (field, Key(key)),
                "TypeInvalid",
                f'{problem} ({kind} in version "v1" cannot be handled as a {kind})',
            )


# -- Secret and ConfigMap -----------------------------------------------------------------------


def _secret_bytes(obj: Obj) -> dict[str, bytes]:
    """Secret.data as the server holds it after decoding: base64 ``data``, then ``stringData``
    merged over it (the v1 conversion does that before validation)."""
    merged: dict[str, bytes] = {}
    for key, value in _dict(obj.get("data")).items():
        text = value if isinstance(value, str) else ""
        try:
            merged[str(key)] = base64.b64decode(text.replace("\r", "").replace("\n", ""))
        except (binascii.Error, ValueError):  # already refused by _bytes_fields
            merged[str(key)] = b""
    for key, value in _dict(obj.get("stringData")).items():
        merged[str(key)] = str(value).encode("utf-8", "surrogatepass")
    return merged


def _json_key(data: dict[str, bytes], key: str) -> list[FieldError]:
    """dockercfg and dockerconfigjson: the key must exist and hold a JSON object."""
    if key not in data:
        return [required(("data", Key(key)))]
    problem = unmarshal_map_error(data[key])
    return [invalid(("data", Key(key)), REDACTED, problem)] if problem else []


def secret(obj: Obj) -> list[FieldError]:
    """ValidateSecret (after ObjectMeta): keys, the 1 MiB total, then the rules of its type."""
    errors = list(_bytes_fields(obj, "data"))
    if errors:
        return errors  # the server stops at decoding
    data = _secret_bytes(obj)
    for key in data:
        errors += config_key(key, ("data", Key(key)))
    if sum(len(v) for v in data.values()) > MAX_DATA_BYTES:
        errors.append(
            FieldError(("data",), "TooLong", f"Too long: must have at most {MAX_DATA_BYTES} bytes")
        )
    kind = obj.get("type") or "Opaque"
    # Go builds the basic-auth and ssh-auth paths with field.NewPath("data[%s]").Key(...): the
    # server really prints "data[%s][username]".
    odd = "data[%s]"
    if kind == "kubernetes.io/service-account-token":
        annotation = "kubernetes.io/service-account.name"
        if not _dict(_dict(obj.get("metadata")).get("annotations")).get(annotation):
            errors.append(required(("metadata", "annotations", Key(annotation))))
    elif kind == "kubernetes.io/dockercfg":
        errors += _json_key(data, ".dockercfg")
    elif kind == "kubernetes.io/dockerconfigjson":
        errors += _json_key(data, ".dockerconfigjson")
    elif kind == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            errors += [required((odd, Key("username"))), required((odd, Key("password")))]
    elif kind == "kubernetes.io/ssh-auth":
        if not data.get("ssh-privatekey"):
            errors.append(required((odd, Key("ssh-privatekey"))))
    elif kind == "kubernetes.io/tls":
        errors += [required(("data", Key(k))) for k in ("tls.crt", "tls.key") if k not in data]
    return errors


def config_map(obj: Obj) -> list[FieldError]:
    """ValidateConfigMap: keys, a key in both data and binaryData (reported once, on data), and
    the 1 MiB total, reported on the object as a whole (an empty path)."""
    errors = list(_bytes_fields(obj, "binaryData"))
    if errors:
        return errors
    data, binary = _dict(obj.get("data")), _dict(obj.get("binaryData"))
    total = 0
    for key, value in data.items():
        errors += config_key(str(key), ("data", Key(key)))
        if key in binary:
            errors.append(
                invalid(("data", Key(key)), show(key), "duplicate of key present in binaryData")
            )
        total += go_len(str(value))
    for key, value in binary.items():
        errors += config_key(str(key), ("binaryData", Key(key)))
        total += _decoded_size(str(value))
    if total > MAX_DATA_BYTES:
        errors.append(
            FieldError((), "TooLong", f"Too long: must have at most {MAX_DATA_BYTES} bytes")
        )
    return errors


# -- Service ------------------------------------------------------------------------------------


def service(obj: Obj) -> list[FieldError]:
    """ValidateService after ObjectMeta (whose name rule is DNS-1035), in Go's order. Defaults
    first: type ClusterIP, protocol TCP, a targetPort of 0 or "" becomes the port."""
    spec = _dict(obj.get("spec"))
    kind = spec.get("type") or "ClusterIP"
    ports = _list(spec.get("ports"))
    cluster_ip = spec.get("clusterIP") or ""
    errors: list[FieldError] = []
    if not ports and cluster_ip != "None" and kind != "ExternalName":
        errors.append(required(("spec", "ports")))
    if kind == "LoadBalancer":
        for i, port in enumerate(ports):
            if _dict(port).get("port") == 10250:
                errors.append(
                    invalid(
                        ("spec", "ports", i),
                        "10250",
                        "may not expose port 10250 externally since it is used by kubelet",
                    )
                )
    if kind in ("LoadBalancer", "NodePort") and cluster_ip == "None":
        errors.append(
            invalid(
                ("spec", "clusterIP"), '"None"', f"may not be set to 'None' for {kind} services"
            )
        )
    if kind == "ExternalName":
        if cluster_ip:
            errors.append(
                FieldError(
                    ("spec", "clusterIP"),
                    "Forbidden",
                    "Forbidden: must be empty for ExternalName services",
                )
            )
        name = spec.get("externalName")
        if isinstance(name, str) and name:
            errors += _each(("spec", "externalName"), name, dns1123_subdomain(name))
        else:
            errors.append(required(("spec", "externalName")))
    errors += _service_ports(ports)
    errors += check_labels(_dict(spec.get("selector")), ("spec", "selector"))
    if kind not in SERVICE_TYPES:
        errors.append(_unsupported(("spec", "type"), kind, SERVICE_TYPES))
    for i, port in enumerate(ports):
        if kind == "ClusterIP" and _dict(port).get("nodePort"):
            errors.append(
                FieldError(
                    ("spec", "ports", i, "nodePort"),
                    "Forbidden",
                    "Forbidden: may not be used when `type` is 'ClusterIP'",
                )
            )
    errors += _duplicate_ports(ports)
    return errors


def _service_ports(ports: list[Any]) -> list[FieldError]:
    """validateServicePort for each port: name, port, protocol, targetPort."""
    errors: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        port, path = _dict(port), ("spec", "ports", i)
        name = port.get("name") or ""
        if len(ports) > 1 and not name:
            errors.append(required((*path, "name")))
        elif name:
            errors += _each((*path, "name"), name, dns1123_label(name))
            if name in names:
                errors.append(
                    FieldError((*path, "name"), "Duplicate", f"Duplicate value: {show(name)}")
                )
            names.add(name)
        number = port.get("port", 0)
        errors += port_number(number, (*path, "port"))
        protocol = port.get("protocol") or "TCP"  # defaulted before validation
        if protocol not in PROTOCOLS:
            errors.append(_unsupported((*path, "protocol"), protocol, PROTOCOLS))
        target = port.get("targetPort")
        if target in (None, 0, ""):  # SetDefaults_Service: the port itself
            target = number
        errors += port_num_or_name(target, (*path, "targetPort"))
    return errors


def _duplicate_ports(ports: list[Any]) -> list[FieldError]:
    """Two ports with the same (protocol, port), then two with the same (protocol, nodePort)."""
    errors: list[FieldError] = []
    node_ports: set[tuple[str, object]] = set()
    for i, port in enumerate(ports):
        port = _dict(port)
        node_port, protocol = port.get("nodePort"), port.get("protocol") or "TCP"
        if node_port:
            if (protocol, node_port) in node_ports:
                errors.append(
                    FieldError(
                        ("spec", "ports", i, "nodePort"),
                        "Duplicate",
                        f"Duplicate value: {show(node_port)}",
                    )
                )
            node_ports.add((protocol, node_port))
    seen: set[tuple[str, object]] = set()
    for i, port in enumerate(ports):
        port = _dict(port)
        key = (port.get("protocol") or "TCP", port.get("port", 0))
        if key in seen:
            errors.append(
                FieldError(
                    ("spec", "ports", i),
                    "Duplicate",
                    f"Duplicate value: {as_json({'port': key[1], 'protocol': key[0]})}",
                )
            )
        seen.add(key)
    return errors


# -- Deployment ---------------------------------------------------------------------------------

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def _requirement_holds(req: Obj, labels: dict[str, Any]) -> bool:
    key, values = req.get("key"), _list(req.get("values"))
    operator = req.get("operator")
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    return key not in labels  # DoesNotExist


def selector_matches(selector: Obj, labels: dict[str, Any]) -> bool:
    match = _dict(selector.get("matchLabels"))
    if any(labels.get(k) != v for k, v in match.items()):
        return False
    return all(
        _requirement_holds(_dict(r), labels) for r in _list(selector.get("matchExpressions"))
    )


def _selector(selector: Obj, path: FieldPath) -> list[FieldError]:
    errors = check_labels(_dict(selector.get("matchLabels")), (*path, "matchLabels"))
    for i, req in enumerate(_list(selector.get("matchExpressions"))):
        req, where = _dict(req), (*path, "matchExpressions", i)
        operator, values = req.get("operator"), _list(req.get("values"))
        if operator not in _OPERATORS:
            errors.append(
                invalid((*where, "operator"), show(operator), "not a valid selector operator")
            )
        elif operator in ("In", "NotIn") and not values:
            errors.append(
                required((*where, "values"), "must be specified when `operator` is 'In' or 'NotIn'")
            )
        elif operator in ("Exists", "DoesNotExist") and values:
            errors.append(
                FieldError(
                    (*where, "values"),
                    "Forbidden",
                    "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
        for j, value in enumerate(values):  # ValidateLabelSelectorRequirement, on create
            if isinstance(value, str):
                errors += _each((*where, "values", j), value, label_value(value))
        key = req.get("key")
        if isinstance(key, str):
            errors += _each((*where, "key"), key, label_key(key))
    return errors


def _nonnegative(spec: Obj, field: str) -> list[FieldError]:
    value = spec.get(field)
    if isinstance(value, int) and value < 0:
        return [invalid(("spec", field), show(value), "must be greater than or equal to 0")]
    return []


def deployment(obj: Obj) -> list[FieldError]:
    spec = _dict(obj.get("spec"))
    errors: list[FieldError] = []
    for field in ("replicas", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds"):
        errors += _nonnegative(spec, field)
    deadline, ready = spec.get("progressDeadlineSeconds"), spec.get("minReadySeconds", 0)
    if isinstance(deadline, int) and isinstance(ready, int) and deadline <= ready:
        errors.append(
            invalid(
                ("spec", "progressDeadlineSeconds"),
                show(deadline),
                "must be greater than minReadySeconds",
            )
        )
    template = _dict(spec.get("template"))
    labels = _dict(_dict(template.get("metadata")).get("labels"))
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        errors.append(required(("spec", "selector")))
    elif not selector.get("matchLabels") and not selector.get("matchExpressions"):
        errors.append(
            invalid(
                ("spec", "selector"), as_json(selector), "empty selector is invalid for deployment"
            )
        )
    else:
        errors += _selector(selector, ("spec", "selector"))
        if not selector_matches(selector, labels):
            errors.append(
                invalid(
                    ("spec", "template", "metadata", "labels"),
                    as_json(labels),
                    "`selector` does not match template `labels`",
                )
            )
    errors += check_labels(labels, ("spec", "template", "metadata", "labels"))
    errors += _pod_spec(_dict(template.get("spec")), ("spec", "template", "spec"))
    return errors


def _pod_spec(spec: Obj, path: FieldPath) -> list[FieldError]:
    errors: list[FieldError] = []
    policy = spec.get("restartPolicy") or "Always"
    if policy != "Always":  # a Deployment's pods always restart
        errors.append(_unsupported((*path, "restartPolicy"), policy, ("Always",)))
    containers = _list(spec.get("containers"))
    if not containers:
        errors.append(required((*path, "containers")))
    names: set[str] = set()
    for i, container in enumerate(containers):
        container, where = _dict(container), (*path, "containers", i)
        name = container.get("name") or ""
        if not name:
            errors.append(required((*where, "name")))
        else:
            errors += _each((*where, "name"), name, dns1123_label(name))
            if name in names:
                errors.append(
                    FieldError((*where, "name"), "Duplicate", f"Duplicate value: {show(name)}")
                )
            names.add(name)
        if not container.get("image"):
            errors.append(required((*where, "image")))
        errors += _container_ports(_list(container.get("ports")), where)
    return errors


def _container_ports(ports: list[Any], path: FieldPath) -> list[FieldError]:
    errors: list[FieldError] = []
    for j, port in enumerate(ports):
        port, where = _dict(port), (*path, "ports", j)
        number = port.get("containerPort")
        if number is None:
            errors.append(required((*where, "containerPort")))
        errors += port_number(number, (*where, "containerPort"))
        if port.get("name"):
            errors += [
                invalid((*where, "name"), show(port["name"]), m)
                for m in port_name_problems(port["name"])
            ]
        protocol = port.get("protocol") or "TCP"
        if protocol not in PROTOCOLS:
            errors.append(_unsupported((*where, "protocol"), protocol, PROTOCOLS))
    return errors


# -- which rules apply ------------------------------------------------------------------------

RULES: dict[tuple[str, str], Callable[[Obj], list[FieldError]]] = {
    ("v1", "Secret"): secret,
    ("v1", "ConfigMap"): config_map,
    ("v1", "Service"): service,
    ("apps/v1", "Deployment"): deployment,
}


def name_rule(api_version: str, kind: str) -> str:
    """How the server checks ``metadata.name``: "label" (Namespace), "dns1035" (Service, checked
    here) or "subdomain" (the rest, including Deployment, Secret and ConfigMap)."""
    if (api_version, kind) == ("v1", "Namespace"):
        return "label"
    return "dns1035" if (api_version, kind) == ("v1", "Service") else "subdomain"


def has_rules(obj: Obj) -> bool:
    """Whether the server's hand-written rules for ``obj``'s kind are implemented here."""
    return (obj.get("apiVersion", ""), obj.get("kind", "")) in RULES


def check(obj: Obj) -> list[FieldError]:
    """The server's hand-written rules for ``obj`` (none for kinds not listed in RULES)."""
    rule = RULES.get((obj.get("apiVersion", ""), obj.get("kind", "")))
    return rule(obj) if rule else []

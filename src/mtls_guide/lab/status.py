"""Status conditions with Envoy Gateway v1.9.0's types, reasons and messages.

Messages are those of Envoy Gateway's golden data (internal/gatewayapi/testdata/*.out.yaml
at v1.9.0), e.g. gateway-tls-frontend-backend.out.yaml for the frontend CA reasons; the
Gateway-level Accepted/Programmed messages are the ones its status updater writes once
the Envoy deployment is up (the translator's golden data has no deployment).
"""

from __future__ import annotations

import json
from typing import Any

CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
Condition = dict[str, Any]


def condition(kind: str, ok: bool, reason: str, message: str, generation: int = 1) -> Condition:
    return {
        "type": kind,
        "status": "True" if ok else "False",
        "reason": reason,
        "message": message,
        "observedGeneration": generation,  # both set for real by stamp() when the lab applies
        "lastTransitionTime": "1970-01-01T00:00:00Z",
    }


LISTENER_OK = [
    (
        "Programmed",
        True,
        "Programmed",
        "Sending translated listener configuration to the data plane",
    ),
    ("Accepted", True, "Accepted", "Listener has been successfully translated"),
    ("ResolvedRefs", True, "ResolvedRefs", "Listener references have been resolved"),
]
FRONTEND_PREFIX = "Listener has invalid caCertificateRef for frontend TLS validation: "
INVALID = "Listener is invalid, see other Conditions for details."


def listener_ok() -> list[Condition]:
    return [condition(*c) for c in LISTENER_OK]


def listener_bad_ca(reason: str, error: str) -> list[Condition]:
    """A frontend CA reference that cannot be used: the listener is neither accepted nor programmed."""
    message = FRONTEND_PREFIX + error
    return [
        condition("ResolvedRefs", False, reason, message),
        condition("Programmed", False, reason, message),
        condition("Accepted", False, "NoValidCACertificate", message),
    ]


def listener_bad_certificate(message: str) -> list[Condition]:
    return [
        condition("Programmed", False, "Invalid", INVALID),
        condition("Accepted", True, "Accepted", "Listener has been successfully translated"),
        condition("ResolvedRefs", False, "InvalidCertificateRef", message),
    ]


def gateway_conditions(listeners_ok: bool) -> list[Condition]:
    del listeners_ok  # Envoy Gateway keeps the Gateway programmed while any listener works
    return [
        condition("Accepted", True, "Accepted", "The Gateway has been scheduled by Envoy Gateway"),
        condition(
            "Programmed",
            True,
            "Programmed",
            "Address assigned to the Gateway, 1/1 envoy replicas available",
        ),
    ]


def route_parent(parent_ref: dict[str, Any], accepted: Condition) -> dict[str, Any]:
    return {
        "parentRef": parent_ref,
        "controllerName": CONTROLLER,
        "conditions": [
            accepted,
            condition(
                "ResolvedRefs",
                True,
                "ResolvedRefs",
                "Resolved all the Object references for the Route",
            ),
        ],
    }


def policy_ancestor(ancestor: dict[str, Any], conditions: list[Condition]) -> dict[str, Any]:
    return {"ancestorRef": ancestor, "controllerName": CONTROLLER, "conditions": conditions}


def policy_accepted() -> Condition:
    return condition("Accepted", True, "Accepted", "Policy has been accepted.")


def policy_invalid(message: str) -> Condition:
    return condition("Accepted", False, "Invalid", message)


def _identity(item: dict[str, Any]) -> str:
    """What names an entry of a status list: a listener by name, a route parent by its
    parentRef, a policy ancestor by its ancestorRef."""
    return json.dumps(
        {k: item[k] for k in ("name", "parentRef", "ancestorRef") if k in item}, sort_keys=True
    )


def stamp(status: Any, previous: Any, generation: int, now: str) -> None:
    """Give every condition in ``status`` the object's generation, and the time it last
    changed: ``previous``'s time for a condition whose status is the same as before (as the
    API conventions ask), else ``now`` (RFC 3339, UTC)."""
    if isinstance(status, list):
        before = (
            {_identity(i): i for i in previous if isinstance(i, dict)}
            if isinstance(previous, list)
            else {}
        )
        for item in status:
            if isinstance(item, dict):
                stamp(item, before.get(_identity(item)), generation, now)
        return
    if not isinstance(status, dict):
        return
    old = previous if isinstance(previous, dict) else {}
    for key, value in status.items():
        if key != "conditions":
            stamp(value, old.get(key), generation, now)
            continue
        was = {c["type"]: c for c in old.get("conditions") or []}
        for cond in value:
            earlier = was.get(cond["type"]) or {}
            same = earlier.get("status") == cond["status"]
            cond["observedGeneration"] = generation
            cond["lastTransitionTime"] = earlier["lastTransitionTime"] if same else now

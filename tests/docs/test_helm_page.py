"""The Helm page's values render to the Gateway the page shows (and the validator accepts).

There is no chart in the test environment (no network to the chart repository), so
this follows the rules of the chart's templates/gateway.yaml (dev2prod gateway-api
1.0.5): listeners keep name, protocol, port, hostname, allowedRoutes, and of tls only
mode and certificateRefs; gateway.extraSpec is copied under spec.
"""

from __future__ import annotations

import yaml

from mtls_guide.blocks import ROOT
from mtls_guide.checks import validator

VALUES = ROOT / "snippets" / "helm" / "values.yaml"
RENDERED = ROOT / "snippets" / "helm" / "rendered-gateway.yaml"
LISTENER_KEYS = ("name", "protocol", "port", "hostname", "allowedRoutes")


def render(values: dict) -> dict:
    gateway = values["gateway"]
    spec = {"gatewayClassName": gateway["gatewayClassName"], **gateway.get("extraSpec", {})}
    listeners = []
    for item in gateway["listeners"]:
        listener = {k: item[k] for k in LISTENER_KEYS if k in item}
        if "tls" in item:
            listener["tls"] = {
                k: item["tls"][k] for k in ("mode", "certificateRefs") if k in item["tls"]
            }
        listeners.append(listener)
    spec["listeners"] = listeners
    return spec


def test_values_render_to_the_shown_gateway() -> None:
    assert (
        render(yaml.safe_load(VALUES.read_text())) == yaml.safe_load(RENDERED.read_text())["spec"]
    )


def test_template_drops_tls_options() -> None:
    values = yaml.safe_load(VALUES.read_text())
    values["gateway"]["listeners"][1]["tls"]["options"] = {"example.com/mode": "mutual"}
    assert "options" not in render(values)["listeners"][1]["tls"]


def test_rendered_gateway_is_valid() -> None:
    objects = validator().check_text(RENDERED.read_text(), RENDERED.name)
    assert [p for o in objects for p in o.problems] == []

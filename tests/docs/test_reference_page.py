"""The versions the reference page states are the ones the locks pin."""

from __future__ import annotations

import re

import yaml

from mtls_guide.blocks import ROOT, collect
from mtls_guide.pinned import asset_pins, crd_pins
from tests.support import markdown_table

NAMES = {
    "gateway-api": "Gateway API",
    "envoy-gateway": "Envoy Gateway",
    "cert-manager": "cert-manager",
    "trust-manager": "trust-manager",
    "aws-load-balancer-controller": "AWS Load Balancer Controller",
}


# The API group of each pinned project's kinds.
GROUPS = {
    "gateway.networking.k8s.io": "Gateway API",
    "gateway.envoyproxy.io": "Envoy Gateway",
    "cert-manager.io": "cert-manager",
    "trust.cert-manager.io": "trust-manager",
    "gateway.k8s.aws": "AWS Load Balancer Controller",
}


def table(column: int) -> dict[str, str]:
    return {
        row[0]: row[column]
        for row in markdown_table(ROOT / "docs" / "reference.md", "Pinned versions")
    }


def rows() -> dict[str, str]:
    return table(1)


def kinds_on_the_site() -> dict[str, set[str]]:
    """Each pinned project's kinds that a YAML block on the site shows."""
    found: dict[str, set[str]] = {}
    for block in collect():
        if block.lang != "yaml":
            continue
        try:
            documents = list(yaml.safe_load_all(block.source))
        except yaml.YAMLError:
            continue  # not a manifest (the lab's Envoy bootstrap, Helm values parse fine)
        for doc in documents:
            if not isinstance(doc, dict) or not isinstance(doc.get("apiVersion"), str):
                continue
            project = GROUPS.get(doc["apiVersion"].split("/")[0])
            if project and isinstance(doc.get("kind"), str):
                found.setdefault(project, set()).add(doc["kind"])
    return found


def unlisted(used_for: dict[str, str], kinds: dict[str, set[str]]) -> list[str]:
    """Kinds the site shows that the "Used for" column of their project does not name."""
    listed = {
        project: {name.strip() for name in re.sub(r"\(.*?\)", "", text).split(",")}
        for project, text in used_for.items()
    }
    return sorted(
        f"{project}: {kind}"
        for project, names in kinds.items()
        for kind in names
        if kind not in listed.get(project, set())
    )


def test_the_table_names_every_kind_the_site_validates() -> None:
    kinds = kinds_on_the_site()
    assert {"Gateway API", "Envoy Gateway", "cert-manager"} <= set(kinds)
    assert unlisted(table(2), kinds) == []


def test_the_kind_check_finds_an_unlisted_kind() -> None:
    used_for = {"Envoy Gateway": "ClientTrafficPolicy, EnvoyProxy (v1alpha1)"}
    kinds = {"Envoy Gateway": {"EnvoyProxy", "SecurityPolicy"}}
    assert unlisted(used_for, kinds) == ["Envoy Gateway: SecurityPolicy"]


def test_crd_versions_match_the_lock() -> None:
    stated = rows()
    for pin in crd_pins():
        assert stated[NAMES[pin.project]] == pin.version


def test_kubectl_version_matches_the_lock() -> None:
    (kubectl,) = [p for p in asset_pins() if p.name == "kubectl"]
    assert rows()["kubectl"] == kubectl.version

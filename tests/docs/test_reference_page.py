"""The versions the reference page states are the ones the locks pin."""

from __future__ import annotations

from mtls_guide.blocks import ROOT
from mtls_guide.pinned import asset_pins, crd_pins
from tests.support import markdown_table

NAMES = {
    "gateway-api": "Gateway API",
    "envoy-gateway": "Envoy Gateway",
    "cert-manager": "cert-manager",
    "trust-manager": "trust-manager",
    "aws-load-balancer-controller": "AWS Load Balancer Controller",
}


def rows() -> dict[str, str]:
    return {
        row[0]: row[1] for row in markdown_table(ROOT / "docs" / "reference.md", "Pinned versions")
    }


def test_crd_versions_match_the_lock() -> None:
    stated = rows()
    for pin in crd_pins():
        assert stated[NAMES[pin.project]] == pin.version


def test_kubectl_version_matches_the_lock() -> None:
    (kubectl,) = [p for p in asset_pins() if p.name == "kubectl"]
    assert rows()["kubectl"] == kubectl.version

"""The versions the reference page states are the ones the locks pin."""

from __future__ import annotations

from mtls_guide.blocks import ROOT
from mtls_guide.pinned import asset_pins, crd_pins

NAMES = {
    "gateway-api": "Gateway API",
    "envoy-gateway": "Envoy Gateway",
    "cert-manager": "cert-manager",
    "trust-manager": "trust-manager",
    "aws-load-balancer-controller": "AWS Load Balancer Controller",
}


def rows() -> dict[str, str]:
    text = (
        (ROOT / "docs" / "reference.md")
        .read_text()
        .split("## Pinned versions", 1)[1]
        .split("\n## ", 1)[0]
    )
    cells = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|")
    ]
    return {row[0]: row[1] for row in cells[2:]}


def test_crd_versions_match_the_lock() -> None:
    stated = rows()
    for pin in crd_pins():
        assert stated[NAMES[pin.project]] == pin.version


def test_kubectl_version_matches_the_lock() -> None:
    (kubectl,) = [p for p in asset_pins() if p.name == "kubectl"]
    assert rows()["kubectl"] == kubectl.version

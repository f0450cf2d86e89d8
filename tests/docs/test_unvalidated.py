"""Manifests no schema can check are few, known, and marked on the page for readers."""

from __future__ import annotations

from mtls_guide.blocks import ROOT
from mtls_guide.checkers import owned_by

# The only kind on the site without a public CRD (AKS Application Gateway for Containers).
EXPECTED = {"snippets/implementations/aks-frontend-tls-policy.yaml"}


def test_unvalidated_manifests_are_the_known_ones() -> None:
    unvalidated = {b.includes[0] for b in owned_by("unvalidated")}
    assert unvalidated == EXPECTED


def test_each_carries_a_visible_note() -> None:
    for block in owned_by("unvalidated"):
        before = (ROOT / block.page).read_text().split("\n")[: block.line - 1]
        nearby = "\n".join(before[-12:])
        assert '"Not machine-validated"' in nearby, (
            f"{block.id}: add a visible 'Not machine-validated' note above it"
        )

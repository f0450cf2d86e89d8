"""The kubectl -> lab mapping: what it maps, what it refuses, and that docs/lab.md shows it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mtls_guide.lab.kubectl_map import MAPPING, lab_argv
from mtls_guide.lab.objects import LabError
from mtls_guide.paths import ROOT

WORKDIR = Path("/lab")


@pytest.mark.parametrize(
    ("kubectl", "lab"),
    [
        ("apply -f client-ca.yaml", "apply --workdir /lab -f client-ca.yaml"),
        ("apply -f -", "apply --workdir /lab -f -"),
        ("delete --filename=x.yaml", "delete --workdir /lab -f x.yaml"),
        (
            "get gateway g --namespace gateway -o jsonpath={.status}",
            "get gateway g --workdir /lab -n gateway -o jsonpath={.status}",
        ),
        ("get cm client-ca -n pki", "get cm client-ca --workdir /lab -n pki"),
    ],
)
def test_cluster_commands_go_to_the_lab(kubectl: str, lab: str) -> None:
    assert lab_argv(kubectl.split(), WORKDIR) == lab.split()


def test_local_commands_stay_with_kubectl() -> None:
    args = "create configmap client-ca --from-file=ca.crt=ca.crt --dry-run=client -o yaml"
    assert lab_argv(args.split(), WORKDIR) is None


@pytest.mark.parametrize(
    "kubectl",
    [
        "rollout restart deployment/envoy",
        "get gateways -A",
        "apply -k overlay/",
        "create configmap x",
    ],
)
def test_unmapped_cluster_commands_are_refused(kubectl: str) -> None:
    with pytest.raises(LabError, match="kubectl"):
        lab_argv(kubectl.split(), WORKDIR)


def test_docs_show_the_mapping() -> None:
    page = (ROOT / "docs" / "lab.md").read_text()
    section = page.split("## Commands from the pages", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    table = tuple(tuple(cell.strip() for cell in row.strip("|").split("|")) for row in rows)
    assert table == MAPPING

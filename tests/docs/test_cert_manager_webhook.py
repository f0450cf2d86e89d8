"""The guide's cert-manager Certificates are held to cert-manager's admission webhook.

The webhook (cert-manager v1.21.1, validation/certificate.go) refuses what the CRD
schema accepts, such as ``renewBefore`` not shorter than ``duration``. Breaking the
guide's own Certificates that way must fail the page's block check with the
webhook's message, and the untouched pages must pass.
"""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from mtls_guide import checks
from mtls_guide.blocks import Block, collect

PAGE = "docs/certificates.md"


def certificate_blocks() -> list[Block]:
    """The certificates page's manifest blocks that hold a cert-manager Certificate."""
    return [
        b
        for b in collect()
        if b.page == PAGE and b.lang == "yaml" and "kind: Certificate\n" in b.source
    ]


def with_spec(block: Block, **changes: str) -> Block:
    """The block with every Certificate's spec changed (other objects untouched)."""
    documents = list(yaml.safe_load_all(block.source))
    for doc in documents:
        if isinstance(doc, dict) and doc.get("kind") == "Certificate":
            doc["spec"].update(changes)
    return dataclasses.replace(block, source=yaml.safe_dump_all(documents, sort_keys=False))


def test_the_page_shows_certificates() -> None:
    assert len(certificate_blocks()) >= 2


@pytest.mark.parametrize("block", certificate_blocks(), ids=lambda b: b.id)
def test_guide_certificate_passes_the_webhook(block: Block) -> None:
    assert checks.manifests(block) == []


@pytest.mark.parametrize("block", certificate_blocks(), ids=lambda b: b.id)
@pytest.mark.parametrize("renew_before", ["same", "longer"])
def test_renew_before_not_below_duration_fails_the_block(block: Block, renew_before: str) -> None:
    duration = "2160h" if renew_before == "same" else "720h"
    problems = checks.manifests(with_spec(block, duration=duration, renewBefore="2160h"))
    shown = "2160h0m0s" if renew_before == "same" else "720h0m0s"
    expected = (
        'admission webhook "webhook.cert-manager.io" denied the request: spec.renewBefore: '
        f"Invalid value: 2160h0m0s: certificate duration {shown} must be greater than "
        "renewBefore 2160h0m0s"
    )
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("block", certificate_blocks()[:1], ids=lambda b: b.id)
def test_a_duration_go_cannot_parse_fails_the_block(block: Block) -> None:
    problems = checks.manifests(with_spec(block, duration="90d"))
    assert any('time: unknown unit "d" in duration "90d"' in p for p in problems), problems

"""The output normaliser replaces only what varies between runs, and pairs blocks correctly."""

from __future__ import annotations

from pathlib import Path

import pytest

from mtls_guide.blocks import blocks_in
from mtls_guide.outputs import expected_outputs, normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("valid: 2026-11-28 10:29 to 2027-02-26 10:29 UTC", "valid: <time> to <time> UTC"),
        ("serial: fd718046cf86ccaf56cdae515103bce5dfab83", "serial: <hex>"),
        ("SPKI: orocJx3MoLzsl/dckC0Lv3BYEBaF0h2rx6QH3mktXs4=", "SPKI: <base64>"),
        (
            "Hash=2777f6faf27144a5fb26057d3fd76c4223a50ee583b9cffecbe6edd5cb8018f5;URI=x",
            "Hash=<hex>;URI=x",
        ),
        ("connect to 127.0.0.1:40123", "connect to 127.0.0.1:<port>"),
        # the folder the suite runs in, built here so no machine path is written in the source
        (f"wrote {Path('/', 'tmp', 'pytest-of-root', 'x', 'pki', 'ca.crt')}", "wrote <tmp>"),
        ("trailing   \n\n", "trailing"),
    ],
)
def test_normalise_replaces_what_varies(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    "text",
    ["CN=client-a", "URI=spiffe://example.org/client-a", "exit code 35", "EKU: clientAuth", "cafe"],
)
def test_normalise_keeps_what_the_reader_checks(text: str) -> None:
    assert normalise(text) == text


def test_output_blocks_pair_with_the_block_before(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```bash\necho hi\n```\n\n<!-- check: output; x -->\n```text\nhi\n```\n")
    (pair,) = expected_outputs(list(blocks_in(page)))
    assert pair.command.source == "echo hi\n" and pair.mismatch("hi\n") is None
    assert "the page shows" in (pair.mismatch("ho\n") or "")


def test_an_output_block_needs_a_command_before_it(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```bash\necho hi\n```\n<!-- check: output; a -->\n```text\nhi\n```\n"
        "<!-- check: output; b -->\n```text\nhi\n```\n"
    )
    with pytest.raises(ValueError, match="must follow the command"):
        expected_outputs(list(blocks_in(page)))

"""Every bash block without a directive is executed by a page runner; the rest say why not."""

from __future__ import annotations

from mtls_guide.blocks import collect
from mtls_guide.routing import route

# Pages whose plain bash blocks a test module runs for real.
EXECUTED_PAGES = {
    "docs/certificates.md": "tests/docs/test_certificates_page.py",
    "docs/rotation.md": "tests/docs/test_rotation_page.py",
}


def test_plain_shell_blocks_are_executed() -> None:
    stray = [
        b.id for b in collect()
        if route(b) == "shell" and b.directive is None and b.page not in EXECUTED_PAGES
    ]  # fmt: skip
    assert not stray, (
        f"bash blocks nobody runs (run their page, or add '<!-- check: shell; why -->'): {stray}"
    )


def test_lab_blocks_state_their_outcome() -> None:
    # tests/docs/test_lab_blocks.py runs them; here, only that none is left without an outcome.
    unstated = [
        b.id for b in collect() if route(b) == "lab" and not b.directive.reason.startswith("exit ")
    ]
    assert not unstated


def test_lint_only_shell_blocks_state_a_reason() -> None:
    silent = [
        b.id
        for b in collect()
        if b.directive and b.directive.name == "shell" and not b.directive.reason
    ]
    assert not silent

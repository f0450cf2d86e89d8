"""The collector and the registry's parser: every block is found, expanded, and owned by a checker."""

from __future__ import annotations

from pathlib import Path

import pytest

from mtls_guide import checks
from mtls_guide.blocks import CollectError, blocks_in
from mtls_guide.checkers import Unaccounted, owner
from mtls_guide.paths import ROOT
from tests.support import rendered_code

FENCE = "```"


def page(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_unaccounted_block_fails(tmp_path: Path) -> None:
    (block,) = blocks_in(page(tmp_path, f"# T\n\n{FENCE}text\nsome output\n{FENCE}\n"))
    with pytest.raises(Unaccounted, match=r"page.md:3: a 'text' block has no checker"):
        owner(block)


def test_block_without_language_fails(tmp_path: Path) -> None:
    (block,) = blocks_in(page(tmp_path, f"{FENCE}\nls\n{FENCE}\n"))
    with pytest.raises(Unaccounted, match=r"'\(none\)' block"):
        owner(block)


def test_unknown_directive_fails(tmp_path: Path) -> None:
    (block,) = blocks_in(page(tmp_path, f"<!-- check: maybe -->\n{FENCE}text\nx\n{FENCE}\n"))
    with pytest.raises(Unaccounted, match="unknown directive 'check: maybe'"):
        owner(block)


def test_shell_needs_a_reason(tmp_path: Path) -> None:
    (block,) = blocks_in(page(tmp_path, f"<!-- check: shell -->\n{FENCE}bash\nx\n{FENCE}\n"))
    with pytest.raises(
        Unaccounted, match=r"page.md:2: write the directive as <!-- check: shell; why it is not run"
    ):
        owner(block)


def test_there_is_no_skip(tmp_path: Path) -> None:
    (block,) = blocks_in(page(tmp_path, f"<!-- check: skip; why -->\n{FENCE}text\nx\n{FENCE}\n"))
    with pytest.raises(Unaccounted, match="unknown directive 'check: skip'"):
        owner(block)


def test_directive_keeps_its_reason(tmp_path: Path) -> None:
    text = f"<!-- check: shell; needs a live cluster -->\n{FENCE}bash\nkubectl get gw\n{FENCE}\n"
    (block,) = blocks_in(page(tmp_path, text))
    assert owner(block) == "shell"
    assert block.directive is not None and block.directive.reason == "needs a live cluster"


def test_directive_must_precede_a_fence(tmp_path: Path) -> None:
    with pytest.raises(CollectError, match="directive not followed by a code fence"):
        list(blocks_in(page(tmp_path, "<!-- check: shell; why -->\n\nSome prose.\n")))


def test_unclosed_fence_names_page_and_line(tmp_path: Path) -> None:
    with pytest.raises(CollectError, match=r"page.md:3: code fence '```' is never closed"):
        list(blocks_in(page(tmp_path, f"# T\n\n{FENCE}yaml\nkind: X\n")))


def test_missing_include_names_page_and_line(tmp_path: Path) -> None:
    text = f'{FENCE}yaml\n--8<-- "snippets/nowhere/missing.yaml"\n{FENCE}\n'
    with pytest.raises(CollectError, match=r"page.md:1: .*snippets/nowhere/missing.yaml"):
        list(blocks_in(page(tmp_path, text)))


def test_include_outside_a_fence_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CollectError, match="include outside a code fence"):
        list(blocks_in(page(tmp_path, '--8<-- "snippets/helm/values.yaml"\n')))


def test_include_is_expanded_as_the_build_does(tmp_path: Path) -> None:
    text = f'Intro\n\n    {FENCE}yaml title="g.yaml"\n    --8<-- "snippets/terminate/gateway.yaml"\n    {FENCE}\n'
    (block,) = blocks_in(page(tmp_path, text))
    assert block.source == (ROOT / "snippets/terminate/gateway.yaml").read_text()
    assert block.includes == ("snippets/terminate/gateway.yaml",)
    assert (block.lang, block.title, block.line) == ("yaml", "g.yaml", 3)


def test_broken_yaml_fails_the_manifest_check(tmp_path: Path) -> None:
    (block,) = blocks_in(page(tmp_path, f"{FENCE}yaml\napiVersion: v1\nkind: [\n{FENCE}\n"))
    (problem,) = checks.manifests(block)
    assert problem.startswith(f"{block.page}:") and "not valid YAML" in problem


def test_manifest_without_kind_fails(tmp_path: Path) -> None:
    (block,) = blocks_in(page(tmp_path, f"{FENCE}yaml\napiVersion: v1\nmetadata: {{}}\n{FENCE}\n"))
    assert checks.manifests(block) == [f"{block.page}:2: document 1: kind not set"]


def test_shellcheck_reports_findings(tmp_path: Path) -> None:
    (block,) = blocks_in(
        page(tmp_path, f"{FENCE}bash\nfor f in $(ls *.crt); do rm -rf $DIR/x; done\n{FENCE}\n")
    )
    problems = checks.shellcheck(block)
    assert any("SC2045" in p for p in problems) and any("SC2086" in p for p in problems)


def test_indented_code_block_is_seen_by_the_rendering_check(tmp_path: Path) -> None:
    # An indented (not fenced) block renders as code but is not collected:
    # the rendering comparison is what turns that into a failure.
    text = "Paragraph.\n\n    kubectl get gateway\n"
    assert list(blocks_in(page(tmp_path, text))) == []
    assert rendered_code(text) == ["kubectl get gateway"]

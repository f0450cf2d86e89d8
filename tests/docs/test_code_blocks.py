"""One test per fenced code block on the site, routed to its checker.

A block with no checker fails; a skipped block shows its written reason in the report.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_examples import CodeExample, EvalExample

from mtls_guide import checks
from mtls_guide.blocks import Block, blocks_in, collect
from mtls_guide.routing import route
from mtls_guide.validator import reader_snippets

BLOCKS = collect()

SIMPLE_CHECKERS = {
    "manifest": checks.manifests,
    "manifest-experimental": lambda block: checks.manifests(block, "experimental"),
    "rejected": lambda block: checks.rejected(block, block.directive.reason),
    "validator-output": lambda block: checks.validator_output(block, block.directive.reason),
    "shell": checks.shellcheck,
    "lab": checks.shellcheck,  # also run against the lab by tests/docs/test_lab_blocks.py
    "step": checks.shellcheck,  # also run in page order by tests/docs/test_quickstart_page.py
    # Compared with the real run of the block before it by that page's runner (test_outputs.py).
    "output": lambda block: [] if block.source.strip() else [f"{block.id}: empty output block"],
    "yaml-syntax": checks.yaml_syntax,
    "mermaid": checks.mermaid,
    # The validator page's snippets for readers' repositories.
    "pre-commit-config": reader_snippets.pre_commit_config,
    "github-step": reader_snippets.github_step,
}


def _python(block: Block, eval_example: EvalExample) -> None:
    example = CodeExample.create(block.source, path=Path(block.page), start_line=block.line)
    eval_example.lint(example)
    eval_example.run(example)


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_block(block: Block, eval_example: EvalExample, request: pytest.FixtureRequest) -> None:
    checker = route(block)  # raises Unaccounted for a block nobody checks
    if checker == "envoy-config":
        problems = checks.envoy_config(block, request.getfixturevalue("tmp_path"))
        assert not problems, "\n".join(problems)
        return
    if checker == "promql":
        problems = checks.promql_names(block, request.getfixturevalue("lab_prometheus"))
        assert not problems, "\n".join(problems)
        return
    if checker == "skip":
        pytest.skip(f"{block.id}: {block.directive.reason}")
    if checker == "unvalidated":
        # Counted and checked for its visible note by tests/docs/test_unvalidated.py; here it must parse.
        assert not checks.yaml_syntax(block)
        return
    if checker == "illustrative":
        assert block.source.strip(), f"{block.id}: empty illustrative block"
        return
    if checker == "python":
        _python(block, eval_example)
        return
    if checker == "python-lab":
        # Runs against the lab in tests/docs/test_python_blocks.py; here, black and ruff.
        eval_example.lint(
            CodeExample.create(block.source, path=Path(block.page), start_line=block.line)
        )
        return
    problems = SIMPLE_CHECKERS[checker](block)
    assert not problems, "\n".join(problems)


def test_site_has_blocks() -> None:
    # Guards the parametrization above: an empty collection would pass vacuously.
    assert len(BLOCKS) >= 10


def test_python_checker_fails_a_broken_block(tmp_path, eval_example: EvalExample) -> None:
    page = tmp_path / "page.md"
    page.write_text("```python\nresult = 1 + 1\nassert result == 3\n```\n")
    (block,) = blocks_in(page)
    assert route(block) == "python"
    with pytest.raises(AssertionError):
        _python(block, eval_example)


def test_envoy_config_checker_rejects_a_typo(tmp_path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```yaml\nstatic_resources:\n  listenres: []\n```\n")
    (block,) = blocks_in(page)
    (problem,) = checks.envoy_config(block, tmp_path)
    assert "Envoy rejects it" in problem

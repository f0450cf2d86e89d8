"""Output blocks: where the pages show them, and that the comparison can fail.

The comparison itself is the `output` checker (mtls_guide.checkers), run for every
output block by tests/docs/test_code_blocks.py; Quick start outputs are compared by
its walkthrough run (test_quickstart_page.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtls_guide.blocks import collect
from mtls_guide.checkers import SHOWN_BY, owner
from mtls_guide.outputs import expected_outputs, output_problems
from tests.support import last_block

PAIRS = expected_outputs(collect())


def test_pages_show_output_where_readers_run_something() -> None:
    pages = {p.output.page for p in PAIRS}
    assert {"docs/verification.md", "docs/certificates.md", "docs/lab.md"} <= pages
    assert {"docs/quickstart.md", "docs/validator.md"} <= pages


def test_every_runner_kind_shows_output_somewhere() -> None:
    assert {owner(p.command) for p in PAIRS} == set(SHOWN_BY)


@pytest.mark.parametrize("printed", ["", "something else entirely"])
def test_a_changed_output_is_caught(printed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPDATE_OUTPUTS", raising=False)
    pair = next(p for p in PAIRS if owner(p.command) == "run")
    assert output_problems([(pair, printed)]) != []


def test_an_output_after_a_block_that_does_not_run_fails(tmp_path: Path) -> None:
    from mtls_guide.checkers import parse

    block = last_block(
        tmp_path,
        "<!-- check: shell; linted only -->\n```bash\necho hi\n```\n\n"
        "<!-- check: output; what it prints -->\n```text\nhi\n```\n",
    )
    (problem,) = parse(block).run({"page_runs": None, "lab_runs": None})
    assert "must follow a block that runs" in problem

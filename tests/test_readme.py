"""The README's commands name sessions that exist, and it gives newcomers exactly two."""

from __future__ import annotations

import ast
import re

from mtls_guide.paths import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def nox_sessions() -> set[str]:
    """Names of the functions decorated with @nox.session in noxfile.py."""
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if ast.unparse(target) == "nox.session":
                    names.add(node.name)
    return names


def test_sessions_named_in_readme_exist() -> None:
    named = set(re.findall(r"nox -s ([\w-]+)", README))
    assert named, "the README names no session"
    assert named <= nox_sessions(), f"README names unknown sessions: {named - nox_sessions()}"


def test_issue_sessions_exist() -> None:
    assert {"docs", "serve", "tests", "lint", "schemas"} <= nox_sessions()


def test_newcomer_block_has_two_commands() -> None:
    section = README.split("## Two commands", 1)[1].split("##", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["uvx nox -s docs", "uvx nox -s tests"]

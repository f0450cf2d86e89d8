"""The checker registry: the one place where a code-block checker is declared.

Checking a page happens in three steps, as in Sybil: ``blocks.py`` lexes a page
into blocks; :func:`parse` decides which checker owns a block and parses the
reason its directive gives (a block nobody owns is an error, never a pass); the
checker's ``check`` evaluates the block and returns its problems. One generic
test (``tests/docs/test_code_blocks.py``) runs every block through these steps.

Each checker declares what it needs (test fixtures such as a temporary folder
or the running lab) by name; the generic test provides them. Checkers that run
a page for real get the results from a runner registered here
(:data:`PAGE_SETUPS`, :class:`PageRuns`, :class:`LabRuns`), so "this page's
blocks are executed" is true exactly when the executing code exists.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtls_guide import checks
from mtls_guide.blocks import Block, blocks_in, collect
from mtls_guide.helm import TEMPLATE_COMMAND
from mtls_guide.outputs import Expected, output_problems
from mtls_guide.paths import CERT_TOOL, ROOT
from mtls_guide.shellrun import Ran, run_blocks
from mtls_guide.validator import reader_snippets
from mtls_guide.walkthrough import STEP_REASON

Args = Mapping[str, str]  # the named groups of a directive's reason
Needs = Mapping[str, Any]  # the fixtures a checker asked for, by name
CheckFunction = Callable[[Block, Args, Needs], list[str]]


class Unaccounted(Exception):
    """No checker owns this block, or its directive does not say what the checker needs."""


@dataclass(frozen=True)
class Checker:
    name: str
    summary: str  # what the checker proves, one line (CONTRIBUTING and error messages)
    check: CheckFunction
    languages: tuple[str, ...] = ()  # fence languages it owns without a directive
    reason: str | None = None  # regex the directive's reason must match in full; None: free text
    reason_form: str = ""  # the reason as a writer types it, for error messages
    needs: tuple[str, ...] = ()  # fixture names the generic test passes in

    def arguments(self, block: Block) -> Args:
        """The reason's named groups; raises :class:`Unaccounted` when the reason does not fit."""
        text = block.directive.reason if block.directive else ""
        if self.reason is None:
            return {"reason": text}
        match = re.fullmatch(self.reason, text)
        if match is None:
            raise Unaccounted(
                f"{block.id}: write the directive as <!-- check: {self.name}; {self.reason_form} -->"
                f" (got {text!r})"
            )
        return {k: v for k, v in match.groupdict().items() if v is not None}


@dataclass(frozen=True)
class Check:
    """One block, the checker that owns it, and its parsed reason."""

    block: Block
    checker: Checker
    args: Args

    def run(self, needs: Needs) -> list[str]:
        return self.checker.check(self.block, self.args, needs)


# --- page runners ---------------------------------------------------------


def _with_cert_tool(workdir: Path) -> None:
    shutil.copy(CERT_TOOL, workdir)  # what the reader downloads


def _with_demo_pki(workdir: Path) -> None:
    """The rotation and Helm pages start from the folder the certificates page's `init` makes."""
    _with_cert_tool(workdir)
    subprocess.run(
        [sys.executable, "mtls_certs.py", "init", "demo", "--dns", "secure.example.com", "--client-cn", "client-a"],
        cwd=workdir, check=True, capture_output=True,
    )  # fmt: skip
    # Kept aside so a test can prove that rotating never touches the old CA key.
    shutil.copy(workdir / "demo" / "ca.key", workdir / "ca.key.before-rotation")


# Pages whose plain bash blocks run for real, in page order, in one folder, and how that
# folder is prepared. A plain bash block on a page missing here fails its check.
PAGE_SETUPS: dict[str, Callable[[Path], None]] = {
    "docs/certificates.md": _with_cert_tool,
    "docs/rotation.md": _with_demo_pki,
    "docs/helm.md": _with_demo_pki,
}


@dataclass(frozen=True)
class PageRun:
    workdir: Path
    results: dict[str, Ran]  # by block id


class PageRuns:
    """Runs each page's plain bash blocks once, on first request, in a folder from ``make_dir``."""

    def __init__(self, make_dir: Callable[[str], Path]) -> None:
        self._make_dir = make_dir
        self._runs: dict[str, PageRun] = {}

    def of(self, page: str) -> PageRun:
        if page not in self._runs:
            setup = PAGE_SETUPS[page]
            workdir = self._make_dir(Path(page).stem)
            setup(workdir)
            # stderr interleaved with stdout, as the reader's terminal shows it (output blocks)
            ran = run_blocks(executed_blocks(page), workdir, merged=True)
            self._runs[page] = PageRun(workdir, {r.block.id: r for r in ran})
        return self._runs[page]


def executed_blocks(page: str) -> list[Block]:
    """The blocks of ``page`` that the `run` checker owns, in page order."""
    return [b for b in blocks_in(ROOT / page) if parse(b).checker.name == "run"]


class LabRuns:
    """Every `lab` block of the site, run once against one lab, page by page."""

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._results: dict[str, Ran] | None = None

    def result(self, block: Block) -> Ran:
        if self._results is None:
            self._results = self._run_all()
        return self._results[block.id]

    def _run_all(self) -> dict[str, Ran]:
        from mtls_guide.lab.runner import Lab  # Envoy is only needed when a lab block is checked

        blocks = [b for b in collect() if parse(b).checker.name == "lab"]
        with Lab(self._workdir) as lab:
            env = lab.environment()
            pki = Path(env["PKI_DIR"])
            by_page: dict[str, list[Block]] = {}
            for block in blocks:
                by_page.setdefault(block.page, []).append(block)
            # Lab blocks show failing commands on purpose: their outcome is checked, not set -e.
            ran = [
                r
                for page_blocks in by_page.values()
                for r in run_blocks(page_blocks, pki, env, timeout=30, errexit=False, merged=True)
            ]
        return {r.block.id: r for r in ran}


# --- check functions --------------------------------------------------------


def _manifest(block: Block, args: Args, needs: Needs) -> list[str]:
    return checks.manifests(block)


def _rejected(block: Block, args: Args, needs: Needs) -> list[str]:
    return checks.rejected(block, args["message"])


def _yaml_syntax(block: Block, args: Args, needs: Needs) -> list[str]:
    return checks.yaml_syntax(block)


def _envoy_config(block: Block, args: Args, needs: Needs) -> list[str]:
    return checks.envoy_config(block, needs["tmp_path"])


def _promql(block: Block, args: Args, needs: Needs) -> list[str]:
    return checks.promql_names(block, needs["lab_prometheus"])


def _shellcheck(block: Block, args: Args, needs: Needs) -> list[str]:
    return checks.shellcheck(block)


def _run(block: Block, args: Args, needs: Needs) -> list[str]:
    if block.page not in PAGE_SETUPS:
        return [
            f"{block.id}: nothing runs the bash blocks of {block.page}; register the page in "
            "mtls_guide.checkers.PAGE_SETUPS, or write <!-- check: shell; why it is not run -->"
        ]
    problems = checks.shellcheck(block)
    ran = needs["page_runs"].of(block.page).results[block.id]
    if ran.returncode != 0:
        problems.append(ran.explain())
    return problems


def _lab(block: Block, args: Args, needs: Needs) -> list[str]:
    return checks.shellcheck(block) + outcome_problems(args, needs["lab_runs"].result(block))


def outcome_problems(args: Args, ran: Ran) -> list[str]:
    """A lab block's documented outcome (exit codes, printed text) against what really happened."""
    codes = {int(code) for code in args["codes"].split("|")}
    problems = []
    if ran.returncode not in codes:
        problems.append(f"expected exit {args['codes']}: {ran.explain()}")
    if "text" in args and args["text"] not in ran.stdout + ran.stderr:
        problems.append(f"expected the output to contain {args['text']!r}: {ran.explain()}")
    return problems


def _neighbour(block: Block, step: int) -> Block | None:
    """The block ``step`` places after ``block`` on its page (negative: before)."""
    page = list(blocks_in(ROOT / block.page))  # ROOT / an absolute path is that path
    index = next((i for i, b in enumerate(page) if b.id == block.id), None)
    if index is None or not 0 <= index + step < len(page):
        return None
    return page[index + step]


def _command(block: Block, args: Args, needs: Needs) -> list[str]:
    following = _neighbour(block, 1)
    if following is None or parse(following).checker.name != "output":
        return [f"{block.id}: a `command` block must be followed by its `output` block"]
    return checks.shellcheck(block)


# Checkers whose blocks really run, so an `output` block may follow them; the value says where
# the output is compared ("here": by the `output` check itself).
SHOWN_BY = {
    "command": "here",
    "run": "here",
    "lab": "here",
    "step": "the walkthrough, in page order (tests/docs/test_quickstart_page.py)",
}


def _output(block: Block, args: Args, needs: Needs) -> list[str]:
    """What the block before prints, after normalising what differs from run to run
    (mtls_guide.outputs); ``UPDATE_OUTPUTS=1`` rewrites the page instead."""
    command = _neighbour(block, -1)
    runner = parse(command).checker.name if command is not None else None
    if command is None or runner not in SHOWN_BY:
        return [
            f"{block.id}: an `output` block must follow a block that runs "
            f"({', '.join(sorted(SHOWN_BY))})"
        ]
    if runner == "command":
        (ran,) = run_blocks([command], ROOT, merged=True)  # run from a clone of the guide
        code = int(parse(command).args["code"])
        if ran.returncode != code:
            return [f"{block.id}: expected exit {code}: {ran.explain()}"]
    elif runner == "run":
        ran = needs["page_runs"].of(block.page).results[command.id]
    elif runner == "lab":
        ran = needs["lab_runs"].result(command)
    else:
        return []
    return output_problems([(Expected(command, block), ran.stdout)])


def _step(block: Block, args: Args, needs: Needs) -> list[str]:
    # Run in page order on the offline lab (and in CI on kind) by the walkthrough.
    return checks.shellcheck(block)


def _python_lab(block: Block, args: Args, needs: Needs) -> list[str]:
    from pytest_examples import CodeExample

    # Run against the lab by tests/docs/test_python_blocks.py; here, ruff and black.
    example = CodeExample.create(block.source, path=Path(block.page), start_line=block.line)
    needs["eval_example"].lint(example)
    return []


def _pre_commit_config(block: Block, args: Args, needs: Needs) -> list[str]:
    return reader_snippets.pre_commit_config(block)


def _github_step(block: Block, args: Args, needs: Needs) -> list[str]:
    return reader_snippets.github_step(block)


def _helm_rendered(block: Block, args: Args, needs: Needs) -> list[str]:
    from mtls_guide.helm import Template

    template = Template(args["release"], args["chart"], args["version"], args["namespace"])
    rendered = template.render((ROOT / args["values"]).read_text())
    problems = checks.manifests(block)
    if rendered.strip() != block.source.strip():
        problems.append(f"{block.id}: the page shows\n{block.source}\nbut helm renders\n{rendered}")
    return problems


def _unvalidated(block: Block, args: Args, needs: Needs) -> list[str]:
    # Counted and checked for its visible note by tests/docs/test_unvalidated.py; here it must parse.
    return checks.yaml_syntax(block)


WHY = r"(?P<reason>\S.*)"  # a free-text reason that must not be empty

CHECKERS: tuple[Checker, ...] = (
    Checker("manifest", "every object passes the offline API-server validation (standard channel)",
            _manifest, languages=("yaml", "yml")),
    Checker("rejected", "the validator rejects the manifest with the given message",
            _rejected, reason=r"(?P<message>\S.*)", reason_form="the expected message"),
    Checker("yaml-syntax", "YAML that is not a Kubernetes object: it must parse and not be empty",
            _yaml_syntax, reason=WHY, reason_form="what the YAML is"),
    Checker("unvalidated", "a manifest whose schema is not public; it must parse, the page notes it",
            _unvalidated, reason=WHY, reason_form="why no schema checks it"),
    Checker("envoy-config", "an Envoy bootstrap that `envoy --mode validate` accepts",
            _envoy_config, needs=("tmp_path",)),
    Checker("promql", "every Envoy metric and label exists in the lab's Prometheus output",
            _promql, languages=("promql",), needs=("lab_prometheus",)),
    Checker("run", "runs for real with its page's other bash blocks, in page order, under set -e",
            _run, languages=("bash", "sh", "shell"), needs=("page_runs",)),
    Checker("shell", "ShellCheck only, for commands that need a live cluster or the reader's files",
            _shellcheck, reason=WHY, reason_form="why it is not run"),
    Checker("command", "ShellCheck; run from the repository root with this exit code by the `output` check",
            _command, reason=r"exit (?P<code>\d+); (?P<reason>\S.*)", reason_form="exit N; what it prints"),
    Checker("output", "what the block before prints in a real run (dates, serials, hashes, ports normalised)",
            _output, reason=WHY, reason_form="what it shows", needs=("page_runs", "lab_runs")),
    Checker("step", "a Quick start step: ShellCheck here, run in page order by the walkthrough",
            _step, reason=STEP_REASON, reason_form='cluster|lab|both[; prints "text"]'),
    Checker("python-lab", "ruff-linted here; run against the lab by tests/docs/test_python_blocks.py",
            _python_lab, reason=WHY, reason_form="what runs it", needs=("eval_example",)),
    Checker("pre-commit-config", "a reader's pre-commit config: known hook ids, this release, valid arguments",
            _pre_commit_config, reason=WHY, reason_form="what the suite checks"),
    Checker("github-step", "a reader's GitHub Actions steps: valid mtls-* arguments, this release pinned",
            _github_step, reason=WHY, reason_form="what the suite checks"),
    Checker("lab", "runs against the local lab with the documented exit code and output",
            _lab, reason=r'exit (?P<codes>\d+(?:\|\d+)*)(?:; prints "(?P<text>[^"]+)")?',
            reason_form='exit 0|56; prints "text"', needs=("lab_runs",)),
    Checker("helm-rendered", "exactly what the real helm renders from the pinned chart; valid manifests",
            _helm_rendered, reason=TEMPLATE_COMMAND.pattern,
            reason_form="helm template RELEASE REPO/CHART --version V --namespace NS --values FILE"),
)  # fmt: skip

BY_NAME = {checker.name: checker for checker in CHECKERS}
BY_LANGUAGE = {lang: checker for checker in CHECKERS for lang in checker.languages}


def parse(block: Block) -> Check:
    """The checker that owns ``block`` and its parsed reason; raises :class:`Unaccounted`."""
    if block.directive is not None:
        checker = BY_NAME.get(block.directive.name)
        if checker is None:
            raise Unaccounted(
                f"{block.id}: unknown directive 'check: {block.directive.name}' "
                f"(known: {', '.join(sorted(BY_NAME))})"
            )
        return Check(block, checker, checker.arguments(block))
    checker = BY_LANGUAGE.get(block.lang)
    if checker is None:
        shown = block.lang or "(none)"
        raise Unaccounted(
            f"{block.id}: a '{shown}' block has no checker; use a checked language "
            f"({', '.join(sorted(BY_LANGUAGE))}) or put a directive before the fence, "
            f"<!-- check: NAME; reason --> (NAME one of: {', '.join(sorted(BY_NAME))})"
        )
    return Check(block, checker, checker.arguments(block))


def owner(block: Block) -> str:
    """The name of the checker that owns ``block``."""
    return parse(block).checker.name


def owned_by(name: str) -> list[Block]:
    """Every block on the site that ``name`` checks."""
    return [b for b in collect() if owner(b) == name]

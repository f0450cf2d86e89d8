"""docs/quickstart.md runs in page order, offline: real tools, and the lab for the gateway.

The same runner (mtls_guide.walkthrough) runs the page on a real kind cluster in
.github/workflows/quickstart.yml. Here the steps that need a cluster are not run;
what they apply must be what the page defines and validates.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from mtls_guide import checks, walkthrough
from mtls_guide.paths import LOCKS, ROOT
from mtls_guide.shellrun import tool_path

PAGE = ROOT / "docs/quickstart.md"
STEPS_OF = walkthrough.steps  # kept before a test replaces it with a mutation
STEPS = STEPS_OF(PAGE)


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[walkthrough.StepResult]]:
    workdir = tmp_path_factory.mktemp("quickstart")
    env = {"PATH": tool_path()}  # python3 with cryptography, the pinned kubectl
    return workdir, walkthrough.run(PAGE, workdir, "offline", env=env, timeout=120)


def test_offline_steps_do_what_the_page_says(offline) -> None:
    _, results = offline
    problems = [p for r in results for p in r.problems()]
    assert not problems, "\n".join(problems)
    ran = [r.step.block.id for r in results if r.ran]
    assert len(results) == len(STEPS) and len(ran) >= 3, ran


def test_every_offline_output_is_checked() -> None:
    # Each step that runs offline shows its output or names what it prints; the run above
    # compares them.
    unchecked = [
        s.block.id
        for s in STEPS
        if s.where != "cluster" and s.expected is None and s.prints is None
    ]
    assert not unchecked, unchecked


def prose_after(page_text: str, step: walkthrough.Step) -> str:
    """The page's text between a step's closing fence and the next block or directive."""
    lines = page_text.splitlines()[step.block.line :]  # after the opening fence
    closing = next(i for i, line in enumerate(lines) if line.startswith("```"))
    after = []
    for line in lines[closing + 1 :]:
        if line.startswith(("```", "<!--", "## ")):
            break
        after.append(line)
    return " ".join(" ".join(after).split())


def shown_output_problems(page_text: str, found: list[walkthrough.Step]) -> list[str]:
    """Steps that show no expected output: no output block, and no **Expected:** words
    naming what the step must print."""
    problems = []
    for step in found:
        if step.expected is not None:
            continue
        prose = prose_after(page_text, step)
        if not prose.startswith("**Expected:**"):
            problems.append(f"{step.block.id} shows neither an output block nor **Expected:**")
        elif step.prints and step.prints not in prose:
            problems.append(f"{step.block.id}: **Expected:** does not name {step.prints!r}")
    return problems


def test_every_step_shows_its_expected_output() -> None:
    # Issue 13: output blocks where the step runs offline, words where it needs a cluster.
    assert not shown_output_problems(PAGE.read_text(), STEPS)


def test_the_check_finds_a_step_without_its_output(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        '<!-- check: step; cluster; prints "condition met" -->\n```bash\nkubectl wait x\n```\n\n'
        "Then the next step.\n\n"
        '<!-- check: step; cluster; prints "condition met" -->\n```bash\nkubectl wait y\n```\n\n'
        "**Expected:** nothing in particular.\n"
    )
    problems = shown_output_problems(page.read_text(), STEPS_OF(page))
    assert [p.split(" ", 1)[1] for p in problems] == [
        "shows neither an output block nor **Expected:**",
        "**Expected:** does not name 'condition met'",
    ]


@pytest.mark.parametrize(
    "needle",
    [
        "kind create cluster",
        "v1.6.1/standard-install.yaml",
        "oci://docker.io/envoyproxy/gateway-helm --version v1.9.0",
        "mtls_certs.py init",
        "--for=condition=Programmed",
        "{.status.addresses[0].value}",
        "--cert pki/client.crt",
        "kind delete cluster",
    ],
)
def test_the_page_has_the_spine(needle: str) -> None:
    assert any(needle in s.block.source for s in STEPS), f"no step runs {needle!r}"


def test_steps_come_in_a_working_order() -> None:
    def first(needle: str) -> int:
        return next(i for i, s in enumerate(STEPS) if needle in s.block.source)

    order = ["kind create", "standard-install", "gateway-helm", "mtls_certs.py init",
             "gateway.yaml", "status.addresses", "--cert", "kind delete"]  # fmt: skip
    positions = [first(n) for n in order]
    assert positions == sorted(positions), dict(zip(order, positions, strict=True))


def applied_files(source: str) -> list[str]:
    words = shlex.split(source.replace("\\\n", " "), comments=True)
    return [words[i + 1] for i, w in enumerate(words[:-1]) if w == "-f"]


def test_cluster_steps_apply_what_the_page_defines(offline) -> None:
    workdir, _ = offline
    defined = set(walkthrough.saved_files(PAGE))
    for step in STEPS:
        for name in applied_files(step.block.source):
            if name == "-" or name.startswith("https://"):
                continue
            made = (workdir / name).exists()
            assert name in defined or made, f"{step.block.id} applies {name}, which no step makes"


def test_the_script_output_passes_the_validator(offline) -> None:
    workdir, _ = offline
    objects = checks.validator().check_text(
        (workdir / "gateway-tls.yaml").read_text(), "gateway-tls.yaml"
    )
    assert {o.kind for o in objects} == {"Secret", "ConfigMap"}
    assert not [str(p) for o in objects for p in o.problems]


def test_gateway_api_url_is_the_pinned_release() -> None:
    pins = json.loads((LOCKS / "crds.json").read_text())["files"]
    (version,) = {p["version"] for p in pins if p["project"] == "gateway-api"}
    urls = re.findall(r"https://\S+/standard-install\.yaml", PAGE.read_text() + _sources())
    assert urls and all(f"/download/{version}/" in u for u in urls), urls


def _sources() -> str:
    return "".join(s.block.source for s in STEPS)


def test_the_workflow_runs_this_page_with_the_suites_runner() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/quickstart.yml").read_text())
    (job,) = workflow["jobs"].values()
    commands = "\n".join(step.get("run", "") for step in job["steps"])
    assert "uvx nox -s quickstart -- --mode cluster" in commands
    assert '"mtls_guide.walkthrough", "docs/quickstart.md"' in (ROOT / "noxfile.py").read_text()
    page = " ".join(PAGE.read_text().split())  # the page wraps lines anywhere
    for tool, key in (
        ("kind", "KIND_VERSION"),
        ("cloud-provider-kind", "CLOUD_PROVIDER_KIND_VERSION"),
    ):
        assert f"{tool} {job['env'][key]}" in page, (
            f"the page does not name {tool} {job['env'][key]}"
        )


def test_the_offline_run_fails_when_the_gateway_refuses_the_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Mutation: after the certificate step, the client's certificate comes from another CA.
    def mutated(page: Path) -> list[walkthrough.Step]:
        found = STEPS_OF(page)
        for index, step in enumerate(found):
            if "mtls_certs.py init" in step.block.source:
                source = step.block.source + (
                    "python3 mtls_certs.py init other --dns secure.example.com --client-cn client-a"
                    " > /dev/null\ncp other/client.crt other/client.key pki/\n"
                )
                found[index] = dataclasses.replace(
                    step, block=dataclasses.replace(step.block, source=source)
                )
        return found

    monkeypatch.setattr(walkthrough, "steps", mutated)
    results = walkthrough.run(PAGE, tmp_path, "offline", env={"PATH": tool_path()}, timeout=120)
    failed = [r for r in results if r.problems()]
    assert [r.step.block.source for r in failed] == [
        s.block.source for s in STEPS if "--cert pki/client.crt" in s.block.source
    ]

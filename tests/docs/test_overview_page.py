"""The Overview and the site banner: they claim no more than what runs, and lead on.

The banner on every page and the Overview's "What is tested, and on what" box say
the same: manifests are validated against the pinned CRDs, commands run in the
test suite, and the data plane is the local lab's Envoy, not an Envoy Gateway
cluster (issue 14, item 9). The Overview ends with a next step, and that step is
the Quick start, the first page after it (issue 13).
"""

from __future__ import annotations

import re

import pytest
import yaml

from mtls_guide.paths import ROOT

BANNER = ROOT / "overrides/main.html"
OVERVIEW = ROOT / "docs/index.md"
QUICK_START = "quickstart.md"
_LINK = re.compile(r"\[[^\]]+\]\(([^)#\s]+)[^)]*\)")


def banner_text(template: str) -> str:
    """What the reader sees in the announce block: tags and template syntax removed."""
    block = template.split("{% block announce %}", 1)[1].split("{% endblock %}", 1)[0]
    text = re.sub(r"\{\{.*?\}\}|<[^>]+>", " ", block)
    return " ".join(text.split())


def what_is_tested_box(page: str) -> str:
    """The text of the Overview's "What is tested, and on what" admonition."""
    lines = page.split('!!! info "What is tested, and on what"\n', 1)[1].splitlines()
    body = [line for line in lines if line.startswith("    ") or not line.strip()]
    return " ".join(" ".join(body[: body.index("") if "" in body else None]).split())


def claim_problems(banner: str, box: str) -> list[str]:
    """Where the banner claims more than the box, or says it differently."""
    problems = []
    for clause in re.split(r"[.;:]\s+", banner):
        if re.search(r"tested against|\bevery (example|block|command)\b", clause, re.I):
            problems.append(f"claims everything is tested: {clause!r}")
        if re.search(r"\bEnvoy \d", clause) and "lab" not in clause:
            problems.append(f"names the Envoy version without the lab it runs in: {clause!r}")
        if re.search(r"(Gateway API|Envoy Gateway) v\d", clause) and not (
            "validated" in clause and "CRD" in clause
        ):
            problems.append(f"names a project version, not as validated CRDs: {clause!r}")
    problems += [
        f"the banner names {v}, which the box does not"
        for v in re.findall(r"\bv?\d+\.\d+(?:\.\d+)?\b", banner)
        if v not in box
    ]
    problems += [
        f"the banner does not say what is {word}"
        for word in ("validated", "run", "lab", "linted")
        if word not in banner
    ]
    return problems


def test_the_banner_claims_what_the_overview_box_says() -> None:
    box = what_is_tested_box(OVERVIEW.read_text(encoding="utf-8"))
    assert "Envoy 1.40" in box and "validated" in box.lower(), box  # the box was found
    banner = banner_text(BANNER.read_text(encoding="utf-8"))
    assert not claim_problems(banner, box), claim_problems(banner, box)


def test_the_banner_links_to_the_box() -> None:
    template = BANNER.read_text(encoding="utf-8")
    (anchor,) = re.findall(r'href="\{\{ nav\.homepage\.url \| url \}\}#([\w-]+)"', template)
    assert f'<span id="{anchor}"></span>\n\n!!! info "What is tested' in OVERVIEW.read_text()


@pytest.mark.parametrize(
    ("banner", "expected"),
    [
        (  # the banner before issue 14
            "Every example is tested against Gateway API v1.6.1, Envoy Gateway v1.9.0 and"
            " Envoy 1.40.",
            "claims everything is tested",
        ),
        ("Manifests run on Envoy 1.40; validated CRDs, linted, lab", "without the lab"),
        ("Validated CRDs, run, linted; the lab runs Envoy Gateway v1.9.0", "not as validated"),
        ("Manifests are validated against CRDs; run, linted; the lab runs Envoy 1.41", "1.41"),
        ("Manifests are validated against the pinned CRDs; the lab runs Envoy 1.40", "linted"),
    ],
)
def test_the_check_finds_a_banner_that_claims_too_much(banner: str, expected: str) -> None:
    box = what_is_tested_box(OVERVIEW.read_text(encoding="utf-8"))
    assert any(expected in p for p in claim_problems(banner, box)), claim_problems(banner, box)


def next_step_problems(page: str) -> list[str]:
    """The Overview must point first to the Quick start and end with it as the next step."""
    problems = []
    section = page.split("## Where to go next", 1)[-1] if "## Where to go next" in page else ""
    links = _LINK.findall(section)
    if not links or links[0] != QUICK_START:
        problems.append(f"'Where to go next' points first to {links[:1]}, not {QUICK_START}")
    last = page.strip().split("\n\n")[-1]
    if QUICK_START not in _LINK.findall(last) or "next" not in last.lower():
        problems.append(f"the page ends with {last!r}, not a next step to the Quick start")
    return problems


def test_the_overview_leads_to_the_quick_start() -> None:
    page = OVERVIEW.read_text(encoding="utf-8")
    assert not next_step_problems(page), next_step_problems(page)
    nav = yaml.safe_load(
        re.sub(r"!relative \S+", "x", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    )["nav"]
    assert [next(iter(item.values())) for item in nav[:2]] == ["index.md", QUICK_START]


def test_the_check_finds_an_overview_without_a_next_step() -> None:
    # The Overview before issue 13: the lab first, and a versions sentence at the end.
    before = (
        "## Where to go next\n\n- New to this? Read [Passthrough](passthrough.md).\n"
        "- Want to see it work first? [Try it locally](lab.md).\n\n"
        "The versions everything was checked against are listed under\n"
        "[Versions and downloads](reference.md).\n"
    )
    problems = next_step_problems(before)
    assert len(problems) == 2, problems

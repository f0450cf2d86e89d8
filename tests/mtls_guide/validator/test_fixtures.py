"""Our own corpus: the mTLS mistakes people make, each rejected with the API server's message.

Each file under tests/fixtures/manifests/invalid starts with ``# expect: <message>``;
each under valid/ with ``# channel: <channel>`` and must pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtls_guide.checks import validator

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "manifests"
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
VALID = sorted((FIXTURES / "valid").glob("*.yaml"))


def header(path: Path, key: str) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith(f"# {key}: "), f"{path.name} must start with '# {key}: ...'"
    return first.removeprefix(f"# {key}: ")


def problems(path: Path, channel: str = "standard") -> list[str]:
    objects = validator(channel).check_text(path.read_text(), path.name)
    return [f"{p.field}: {p.message}" for obj in objects for p in obj.problems]


def test_enough_mtls_mistakes() -> None:
    assert len(INVALID) >= 15


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_mistake_is_rejected_with_its_message(path: Path) -> None:
    expected = header(path, "expect")
    found = problems(path)
    assert any(expected in line for line in found), f"want {expected!r} in {found}"


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_manifest_passes(path: Path) -> None:
    assert problems(path, header(path, "channel")) == []

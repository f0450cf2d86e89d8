"""The lock refresher's offline parts: version -> URL -> sha256, with a stand-in download."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from mtls_guide import relock
from mtls_guide.paths import LOCKS


def fake_fetch(url: str) -> bytes:
    return f"bytes of {url}".encode()


def crd_lock() -> dict:
    return json.loads((LOCKS / "crds.json").read_text())


def test_a_project_moves_to_the_new_tag() -> None:
    lock = crd_lock()
    before = [e for e in lock["files"] if e["project"] == "gateway-api"]
    moved = relock.relock(lock, "project", "gateway-api", "v1.6.2", fake_fetch)
    after = [e for e in lock["files"] if e["project"] == "gateway-api"]
    assert moved == len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        assert new["version"] == "v1.6.2"
        assert new["url"] == old["url"].replace("/v1.6.1/", "/v1.6.2/")
        assert new["path"] == old["path"].replace("/v1.6.1/", "/v1.6.2/")
        assert new["sha256"] == hashlib.sha256(fake_fetch(new["url"])).hexdigest()


def test_other_projects_stay() -> None:
    lock = crd_lock()
    others = copy.deepcopy([e for e in lock["files"] if e["project"] != "gateway-api"])
    relock.relock(lock, "project", "gateway-api", "v1.6.2", fake_fetch)
    assert [e for e in lock["files"] if e["project"] != "gateway-api"] == others


def test_a_url_without_the_version_is_refused() -> None:
    tools = json.loads((LOCKS / "tools.json").read_text())
    with pytest.raises(relock.RelockError, match="edit this entry by hand"):
        relock.relock(tools, "name", "kubectl", "1.36.0", fake_fetch)


def test_unknown_name_is_refused() -> None:
    with pytest.raises(relock.RelockError, match="no entry with project 'nope'"):
        relock.relock(crd_lock(), "project", "nope", "v1", fake_fetch)


def test_drift_is_reported() -> None:
    lock = {"files": [{"url": "u1", "sha256": hashlib.sha256(fake_fetch("u1")).hexdigest()},
                      {"url": "u2", "sha256": "0" * 64}]}  # fmt: skip
    assert relock.drifted(lock, fake_fetch) == ["u2"]


@pytest.mark.parametrize("argv", [["crds"], ["nolock", "a", "b"], ["crds", "a", "b", "c"]])
def test_usage_error_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert relock.main(argv, fetch=fake_fetch) == 2
    assert "Usage:" in capsys.readouterr().err

"""The CRD index cache is data: verified on every read, rebuilt when stale or edited, never code."""

from __future__ import annotations

import json
import pickle
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mtls_guide.paths import ROOT
from mtls_guide.pinned import PinError, crd_pins, mirror_dir
from mtls_guide.validator import crds

CHANNEL = "standard"
RULE_PATH = ("spec", "listeners")  # Gateway listeners carry CEL rules in every pinned version


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache folder holding a freshly built index."""
    monkeypatch.setenv("GUIDE_CACHE", str(tmp_path / "cache"))
    crds.load_index(CHANNEL)
    return crds.cache_path(CHANNEL)


def listener_rules(index: crds.SchemaIndex) -> list[object]:
    gateway = index.lookup("gateway.networking.k8s.io", "v1", "Gateway")
    assert gateway is not None
    node = gateway.schema["properties"]["spec"]["properties"]["listeners"]
    return list(node.get("x-kubernetes-validations", []))


def test_cache_is_json_with_a_header(cache: Path) -> None:
    header, _, payload = cache.read_bytes().partition(b"\n")
    fields = json.loads(header)
    assert fields["code"] == crds.code_version()
    assert fields["pins"] == [p.sha256 for p in crd_pins() if p.channel in (CHANNEL, "all")]
    assert isinstance(json.loads(payload), list)


def test_an_edited_cache_is_rebuilt_not_trusted(cache: Path) -> None:
    fresh = listener_rules(crds.load_index(CHANNEL))
    assert fresh
    header, _, payload = cache.read_bytes().partition(b"\n")
    edited = payload.replace(b'"x-kubernetes-validations"', b'"x-kubernetes-ignored"', 1)
    assert edited != payload
    cache.write_bytes(header + b"\n" + edited)  # a dropped CEL rule, digest left alone
    assert listener_rules(crds.load_index(CHANNEL)) == fresh
    assert cache.read_bytes().partition(b"\n")[2] == payload  # rewritten


def test_a_cache_from_other_code_is_rebuilt(cache: Path) -> None:
    header = cache.read_bytes().partition(b"\n")[0]
    fields = json.loads(header) | {"code": "0" * 64}
    empty = b"[]"  # a consistent file from "other code": its digest matches its content
    fields["digest"] = crds.hashlib.sha256(empty).hexdigest()
    cache.write_bytes(json.dumps(fields).encode() + b"\n" + empty)
    assert crds.load_index(CHANNEL).versions  # not the empty index


def test_a_planted_pickle_is_never_loaded(cache: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str, ...]]:
            return (subprocess.call, ("touch", str(marker)))

    planted = pickle.dumps(Payload())
    cache.write_bytes(planted)
    for name in ("standard-7672315a543d1414.pickle", "standard.pickle"):
        (cache.parent / name).write_bytes(planted)
    assert crds.load_index(CHANNEL).versions
    assert not marker.exists()


def test_a_missing_mirror_is_an_error_even_with_a_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRDS_MIRROR", str(tmp_path / "no-mirror"))
    with pytest.raises(PinError, match="missing from CRDS_MIRROR"):
        crds.load_index(CHANNEL)


def test_a_tampered_mirror_is_an_error_even_with_a_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pins = [p for p in crd_pins() if p.channel in (CHANNEL, "all")]
    source = mirror_dir() or crds.cache_dir() / "crds"
    copy = tmp_path / "mirror"
    for pin in pins:
        (copy / pin.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / source / pin.path, copy / pin.path)
    with (copy / pins[0].path).open("ab") as tampered:
        tampered.write(b"\n# edited\n")
    monkeypatch.setenv("CRDS_MIRROR", str(copy))
    with pytest.raises(PinError, match="sha256 mismatch"):
        crds.load_index(CHANNEL)


def test_no_code_in_the_package_unpickles() -> None:
    """`grep -r "pickle\\|marshal\\|shelve" src` finds nothing."""
    pattern = re.compile(r"\b(pickle|marshal|shelve)\b")  # not Go's "cannot unmarshal" text
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "src").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []

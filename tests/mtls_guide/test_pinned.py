"""Pinned CRDs: the lock is complete, every file verifies, and problems name the file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mtls_guide import pinned
from mtls_guide.paths import ROOT
from mtls_guide.pinned import PinError, crd_pins, read_crd

REQUIRED = {
    ("gateway-api", "v1.6.1", "standard"),
    ("gateway-api", "v1.6.1", "experimental"),
    ("envoy-gateway", "v1.9.0", "all"),
    ("cert-manager", "v1.21.1", "all"),
    ("trust-manager", "v0.24.0", "all"),
    ("aws-load-balancer-controller", "v3.5.0", "all"),
}


def test_lock_names_every_required_project() -> None:
    assert {(p.project, p.version, p.channel) for p in crd_pins()} >= REQUIRED


def test_lock_entries_point_at_the_tag() -> None:
    for pin in crd_pins():
        assert pin.url.startswith("https://raw.githubusercontent.com/"), pin.url
        assert f"/{pin.version}/" in pin.url, pin.url
        assert len(pin.sha256) == 64


@pytest.mark.parametrize("pin", crd_pins(), ids=lambda p: p.path)
def test_pinned_crd_is_present_and_verified(pin: pinned.CrdPin) -> None:
    # Fails (never skips) with the file's name and how to fetch it.
    assert b"CustomResourceDefinition" in read_crd(pin)


def mirror_with(tmp_path: Path, content: bytes | None) -> pinned.CrdPin:
    pin = crd_pins()[0]
    if content is not None:
        target = tmp_path / pin.path
        target.parent.mkdir(parents=True)
        target.write_bytes(content)
    return pin


def test_missing_crd_names_file_and_remedy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRDS_MIRROR", str(tmp_path))
    pin = mirror_with(tmp_path, None)
    with pytest.raises(PinError, match=rf"{pin.path}: missing from CRDS_MIRROR=.*nox -s schemas"):
        read_crd(pin)


def test_an_installed_package_names_its_own_fetch_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed from a wheel there is no noxfile: the remedy is the installed entry point."""
    monkeypatch.setattr(pinned, "in_checkout", lambda: False)
    monkeypatch.delenv("CRDS_MIRROR", raising=False)
    monkeypatch.setenv("GUIDE_CACHE", str(tmp_path))
    pin = crd_pins()[0]
    with pytest.raises(PinError) as caught:
        read_crd(pin)
    message = str(caught.value)
    assert "\n" not in message and "nox" not in message
    assert message.startswith(f"{pin.path}: missing at {tmp_path}")
    assert "run `mtls-fetch-pins crds` (downloads and verifies)" in message
    monkeypatch.setenv("CRDS_MIRROR", str(tmp_path / "mirror"))
    with pytest.raises(PinError, match=r"unset CRDS_MIRROR and run `mtls-fetch-pins crds`"):
        read_crd(pin)


def test_an_installed_package_names_its_own_fetch_command_for_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mtls-lab get -o jsonpath` needs the pinned kubectl: the remedy works where it runs."""
    monkeypatch.setattr(pinned, "in_checkout", lambda: False)
    monkeypatch.setenv("GUIDE_CACHE", str(tmp_path))
    with pytest.raises(PinError) as caught:
        pinned.read_asset("kubectl")
    message = str(caught.value)
    assert "nox" not in message and "scripts/" not in message
    assert message.endswith("not fetched; run `mtls-fetch-pins all`")


def test_mismatching_crd_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRDS_MIRROR", str(tmp_path))
    pin = mirror_with(tmp_path, b"kind: CustomResourceDefinition\n# edited\n")
    with pytest.raises(PinError, match=rf"{pin.path}: sha256 mismatch .*expected {pin.sha256}"):
        read_crd(pin)


def test_no_crd_is_committed() -> None:
    tracked = subprocess.run(
        ["git", "grep", "-l", "^kind: CustomResourceDefinition"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tracked.stdout == ""


def test_chart_pins_point_at_the_tag() -> None:
    pins = pinned.chart_pins()
    assert {p.chart for p in pins} >= {"gateway-api"}
    for pin in pins:
        assert pin.url.startswith(
            "https://raw.githubusercontent.com/dev2prod-hub/gateway-api-chart/gateway-api-1.0.5/"
        )
        assert pin.url.endswith(pin.path.split("/", 2)[2])


def test_missing_chart_file_names_the_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARTS_MIRROR", str(tmp_path))
    pin = pinned.chart_pins()[0]
    with pytest.raises(PinError, match=rf"{pin.path}: missing from CHARTS_MIRROR="):
        pinned.copy_chart(pin.chart, tmp_path / "out")


def test_no_chart_file_is_committed() -> None:
    # The chart has no licence: none of its files may be in the repository, under any name.
    tracked = subprocess.run(
        ["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    blobs = {line.split()[1] for line in tracked}
    for pin in pinned.chart_pins():
        data = pinned.read_crd(pin, pinned.CHARTS)
        blob = (
            subprocess.run(
                ["git", "hash-object", "--stdin"],
                input=data,
                cwd=ROOT,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .strip()
        )
        assert blob not in blobs, f"{pin.path} is committed"

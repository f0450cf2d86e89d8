"""The validator CLI: verdicts, exit codes, and clear messages for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mtls_guide.paths import ROOT

CLI = ROOT / "scripts" / "validate_manifests.py"
FIXTURES = ROOT / "tests" / "fixtures" / "manifests"
GATEWAY = ROOT / "snippets" / "terminate" / "gateway.yaml"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CLI), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )


def assert_clean(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr + result.stdout


def test_valid_file_exits_0() -> None:
    result = run(str(GATEWAY))
    assert result.returncode == 0, result.stdout
    assert "1 objects, 0 invalid" in result.stderr


def test_invalid_file_exits_1_with_one_line_per_problem() -> None:
    result = run(str(FIXTURES / "invalid" / "https-passthrough.yaml"))
    assert result.returncode == 1
    (line,) = result.stdout.splitlines()
    assert line.endswith(
        ': Gateway/a: spec.listeners: Invalid value: "array": tls mode must be Terminate for protocol HTTPS'
    )
    assert line.startswith(f"{FIXTURES / 'invalid' / 'https-passthrough.yaml'}:9:")


def test_folder_and_stdin() -> None:
    result = run(str(FIXTURES / "valid"), "--channel", "experimental")
    assert result.returncode == 0, result.stdout
    result = run("-", stdin=GATEWAY.read_text())
    assert result.returncode == 0 and "1 objects" in result.stderr


def test_channel_decides_tlsroute_alpha() -> None:
    path = str(FIXTURES / "invalid" / "tlsroute-alpha-in-standard.yaml")
    assert run(path).returncode == 1
    assert run("--channel", "experimental", path).returncode == 0


def test_lints_are_warnings_unless_asked() -> None:
    result = run(str(GATEWAY))
    assert (
        "warning: Gateway/mtls-terminate: spec.tls.frontend.default.validation.caCertificateRefs[0]"
        in result.stdout
    )
    assert result.returncode == 0
    assert run("--lint-errors", str(GATEWAY)).returncode == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: [\n", "document 1: not valid YAML"),
        ("- a\n- b\n", "not a Kubernetes object"),
        ("metadata: {name: x}\n", "apiVersion not set, kind not set"),
        (
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
            "add its CRD to locks/crds.json",
        ),
    ],
)
def test_bad_documents_exit_1_with_a_message(text: str, message: str) -> None:
    result = run("-", stdin=text)
    assert result.returncode == 1 and message in result.stdout
    assert_clean(result)


def test_one_broken_document_does_not_stop_the_others() -> None:
    text = (
        "kind: [\n---\n"
        + GATEWAY.read_text()
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {ca.crt: 1}\n"
    )
    result = run("-", stdin=text)
    assert result.returncode == 1
    assert "not valid YAML" in result.stdout and "ConfigMap/c: data[ca.crt]" in result.stdout
    assert "3 objects, 2 invalid" in result.stderr


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.yaml", "no such file or folder"),
        (
            lambda d: (d / "bin.yaml").write_bytes(b"\xff\xfe\x00") and d / "bin.yaml",
            "not UTF-8 text",
        ),
        (lambda d: (d / "empty").mkdir() or d / "empty", "no *.yaml or *.yml files"),
    ],
)
def test_unreadable_paths_exit_2(tmp_path: Path, make, message: str) -> None:
    result = run(str(make(tmp_path)))
    assert result.returncode == 2 and message in result.stderr
    assert_clean(result)


def test_usage_errors_exit_2() -> None:
    assert run().returncode == 2
    assert run("--channel", "beta", str(GATEWAY)).returncode == 2


def test_help_explains_output_and_exit_codes() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "FILE:LINE: Kind/name: field.path: message" in result.stdout
    assert (
        "Exit status: 0 all objects valid, 1 some object invalid, 2 usage or read error"
        in result.stdout
    )


def test_ten_megabyte_file_is_judged_not_choked_on(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: "
        + "a" * 10_000_000
        + "\n"
    )
    result = run(str(big))
    assert result.returncode == 1
    assert "ConfigMap/big: Too long: must have at most 1048576 bytes" in result.stdout
    assert_clean(result)

"""The validator CLI: verdicts, exit codes, and clear messages for bad input."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mtls_guide.validator.loader import MAX_DOCUMENTS, MAX_NODES
from tests.mtls_guide.validator.support import (
    CLI,
    FIXTURES,
    GATEWAY,
    HANG_GUARD,
    alias_bomb,
    assert_clean,
    run,
)


def test_valid_file_exits_0() -> None:
    result = run(str(GATEWAY))
    assert result.returncode == 0, result.stdout
    assert "1 object, 0 invalid" in result.stderr


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
    assert result.returncode == 0 and "1 object, " in result.stderr


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
            lambda d: (d / "bin.yaml").write_bytes(b"a: \xc3\x28") and d / "bin.yaml",
            "not UTF-8 text (byte 3 is 0xc3)",
        ),
        (
            lambda d: (d / "bom.yaml").write_bytes(b"\xff\xfe\x00") and d / "bom.yaml",
            "not UTF-16 text after its byte-order mark",
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


# -- hostile input: refused fast, with one line, bounded memory (support.MEMORY_CAP) -----------


def test_alias_bomb_is_refused_naming_aliases() -> None:
    bomb = run("-", stdin=alias_bomb(levels=9, fan_out=10))
    assert bomb.returncode == 1, bomb.stderr
    (line,) = bomb.stdout.splitlines()
    assert "yaml: document contains excessive aliasing" in line
    assert_clean(bomb)


def test_a_few_aliases_are_fine() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: &l {app: x}, "
        "annotations: *l}\ndata: {a: &v one, b: *v}\n"
    )
    result = run("-", stdin=text)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("style", "depth"),
    [("flow", 101), ("flow", 990), ("flow", 5000), ("block", 101), ("block", 990)],
)
def test_deep_nesting_is_one_line(style: str, depth: int) -> None:
    if style == "flow":
        text = "a: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "".join("  " * i + "k:\n" for i in range(depth))
    result = run("-", stdin=text)
    assert result.returncode == 1, result.stderr
    (line,) = result.stdout.splitlines()
    assert "nest" in line and "document 1" in line, line
    assert_clean(result)


def test_nesting_within_the_limit_is_judged() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: " + "[" * 98 + "]" * 98
    result = run("-", stdin=text)
    assert result.returncode == 1 and "data" in result.stdout
    assert "nest" not in result.stdout


def test_invalid_utf8_on_stdin_is_one_line_exit_2() -> None:
    result = run("-", stdin=b"apiVersion: v1\nkind: \xff\xfe\n")
    assert result.returncode == 2
    assert "error: <stdin>: not UTF-8 text" in result.stderr
    assert_clean(result)


def test_dev_zero_is_read_with_a_cap() -> None:
    result = run("/dev/zero")
    assert result.returncode == 2
    assert "error: /dev/zero: larger than 16 MiB; not read" in result.stderr
    assert_clean(result)


def test_endless_stdin_is_read_with_a_cap() -> None:
    result = run("-", stdin=b"# " + b"x" * (17 * 1024 * 1024))
    assert result.returncode == 2 and "<stdin>: larger than 16 MiB" in result.stderr


def _open_writer(fifo: Path, reader: subprocess.Popen[bytes]) -> int:
    """The FIFO's write end, once the CLI has opened it (never blocks if the CLI died first)."""
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline and reader.poll() is None:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
            time.sleep(0.05)
            continue
        os.set_blocking(fd, True)
        return fd
    raise AssertionError(f"the CLI never opened {fifo}: {reader.communicate()}")


def test_a_fifo_is_read_with_a_cap(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    cli = subprocess.Popen(
        [sys.executable, str(CLI), str(fifo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    chunk = b"#" * 65536 + b"\n"
    with contextlib.suppress(BrokenPipeError), os.fdopen(_open_writer(fifo, cli), "wb") as writer:
        for _ in range(20 * 16):  # 20 MiB at most, then the writer gives up
            writer.write(chunk)
    _, err = cli.communicate(timeout=HANG_GUARD)
    assert cli.returncode == 2 and b"larger than 16 MiB" in err


def test_huge_file_is_one_line(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as out:
        out.truncate(40 * 1024 * 1024)  # sparse: costs no disk
    result = run(huge)
    assert result.returncode == 2 and f"{huge}: larger than 16 MiB; not read" in result.stderr


def test_too_many_documents_stop_the_run(tmp_path: Path) -> None:
    result = run("-", stdin="---\n" * (MAX_DOCUMENTS + 1))
    assert result.returncode == 2
    assert f"more than {MAX_DOCUMENTS:,} YAML documents in one run" in result.stderr
    assert_clean(result)


def test_too_many_nodes_stop_the_run() -> None:
    result = run("-", stdin="a: [" + "1," * MAX_NODES + "1]\n")
    assert result.returncode == 2
    assert f"more than {MAX_NODES:,} YAML nodes in one run" in result.stderr
    assert_clean(result)


def test_a_bom_at_a_later_document_is_ignored_as_kubectl_does() -> None:
    second = GATEWAY.read_text().replace("mtls-terminate", "second")
    for joined in (f"---\n\ufeff{second}", f"\ufeff---\n{second}"):
        result = run("-", stdin="\ufeff" + GATEWAY.read_text() + joined)
        assert result.returncode == 0, result.stdout
        assert "2 objects, 0 invalid" in result.stderr


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n...\n"])
def test_no_objects_is_an_error_unless_allowed(text: str) -> None:
    result = run("-", stdin=text)
    assert result.returncode == 2
    assert "no objects in the input" in result.stderr and "--allow-empty" in result.stderr
    assert run("--allow-empty", "-", stdin=text).returncode == 0


def test_a_folder_walk_stays_inside_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("kind: [\n")  # would be invalid if it were read
    folder = tmp_path / "repo"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "gateway.yaml").write_text(GATEWAY.read_text())
    (folder / "link.yaml").symlink_to(outside / "secret.yaml")
    (folder / "linked-dir").symlink_to(outside, target_is_directory=True)
    (folder / "inside.yaml").symlink_to(folder / "sub" / "gateway.yaml")
    os.mkfifo(folder / "fifo.yaml")
    result = run(folder)
    assert result.returncode == 0, result.stdout
    assert "2 objects, 0 invalid" in result.stderr  # sub/gateway.yaml and the link inside
    assert f"note: {folder / 'link.yaml'}: skipped: a symbolic link out of the folder" in (
        result.stderr
    )
    assert f"{folder / 'fifo.yaml'}: skipped: not a regular file" in result.stderr
    assert "secret" not in result.stdout


# -- output for CI -----------------------------------------------------------------------------


def test_json_output_is_one_document() -> None:
    path = FIXTURES / "invalid" / "https-passthrough.yaml"
    result = run("--output", "json", path, GATEWAY)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    error, *warnings = report["problems"]
    assert error == {
        "file": str(path),
        "line": 9,
        "object": "Gateway/a",
        "field": "spec.listeners",
        "message": 'Invalid value: "array": tls mode must be Terminate for protocol HTTPS',
        "severity": "error",
        "stage": "apiserver",
        "webhook": None,
    }
    assert warnings and {w["severity"] for w in warnings} == {"warning"}
    assert {w["stage"] for w in warnings} == {"lint"}
    assert report["summary"] == {
        "objects": 2, "invalid": 1, "lintWarnings": len(warnings), "channel": "standard"
    }  # fmt: skip


def test_json_output_reports_input_errors(tmp_path: Path) -> None:
    result = run("--output", "json", tmp_path / "missing.yaml")
    assert result.returncode == 2
    assert json.loads(result.stdout)["inputErrors"] == [
        f"{tmp_path / 'missing.yaml'}: no such file or folder"
    ]


def test_github_output_is_annotations(tmp_path: Path) -> None:
    odd = tmp_path / "a,b:c.yaml"  # GitHub needs , and : escaped in properties
    odd.write_text((FIXTURES / "invalid" / "https-passthrough.yaml").read_text())
    result = run("--output", "github", odd)
    assert result.returncode == 1
    (line,) = result.stdout.splitlines()
    escaped = str(odd).replace(",", "%2C").replace(":", "%3A")
    assert line == (
        f"::error file={escaped},line=9,title=Gateway/a::spec.listeners: "
        'Invalid value: "array": tls mode must be Terminate for protocol HTTPS'
    )


def test_output_closed_early_is_not_a_traceback() -> None:
    shell = f"{sys.executable} {CLI} {FIXTURES / 'valid'} --channel experimental | head -c 1"
    done = subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=HANG_GUARD)
    assert "Traceback" not in done.stderr


def test_help_documents_formats_limits_and_every_exit_status() -> None:
    result = run("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--output {text,json,github}" in text
    assert "--allow-empty" in text and "--fetch" in text
    assert "no objects at all unless --allow-empty is given" in text
    assert "130 interrupted (Ctrl-C)" in text and '"stage"' in text
    assert '"excessive aliasing"' in text and "deeper than 100 levels" in text


def test_missing_crds_say_how_to_get_them(tmp_path: Path) -> None:
    result = run(GATEWAY, env={"CRDS_MIRROR": str(tmp_path)})
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and line.endswith("(or pass --fetch)")


def test_missing_crds_in_json_and_github_output(tmp_path: Path) -> None:
    env = {"CRDS_MIRROR": str(tmp_path)}
    report = json.loads(run("--output", "json", GATEWAY, env=env).stdout)
    (message,) = report["inputErrors"]
    assert message.endswith("(or pass --fetch)") and report["summary"] is None
    github = run("--output", "github", GATEWAY, env=env)
    assert github.returncode == 2 and github.stdout.startswith("::error::")


@pytest.mark.parametrize(("blob", "message"), [("QUJD", "Too long"), ("QUJ-", "illegal base64")])
def test_a_ten_megabyte_secret_value_is_judged(tmp_path: Path, blob: str, message: str) -> None:
    big = tmp_path / "secret.yaml"
    value = blob * 2_500_000
    big.write_text(f"apiVersion: v1\nkind: Secret\nmetadata: {{name: big}}\ndata:\n  k: {value}\n")
    result = run(big)
    assert result.returncode == 1 and message in result.stdout
    assert_clean(result)


# -- terminals, interrupts, stages -------------------------------------------------------------

ODD_NAMES = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "caf\\u00e9\\nx"}\n'


@pytest.mark.parametrize(
    "env", [{"PYTHONIOENCODING": "ascii"}, {"LC_ALL": "C", "PYTHONUTF8": "0", "LANG": "C"}]
)
def test_a_terminal_that_cannot_encode_utf8_gets_escapes(env: dict[str, str]) -> None:
    result = run("-", stdin=ODD_NAMES, env=env)
    assert_clean(result)
    assert result.returncode == 1
    (line,) = result.stdout.splitlines()
    assert line.startswith("<stdin>:3: ConfigMap/caf") and "\\nx: metadata.name" in line
    report = json.loads(run("--output", "json", "-", stdin=ODD_NAMES, env=env).stdout)
    assert report["problems"][0]["message"].startswith('Invalid value: "café\\nx"')


def test_json_output_marks_webhook_refusals(tmp_path: Path) -> None:
    certificate = tmp_path / "certificate.yaml"
    certificate.write_text(
        "apiVersion: cert-manager.io/v1\nkind: Certificate\n"
        "metadata: {name: demo, namespace: demo}\n"
        "spec:\n  secretName: demo-tls\n  commonName: demo\n"
        "  issuerRef: {name: ca, kind: ClusterIssuer}\n  duration: 1h\n  renewBefore: 2h\n"
    )
    result = run("--output", "json", certificate)
    assert result.returncode == 1
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem["stage"] == "webhook" and problem["webhook"] == "webhook.cert-manager.io"
    assert problem["message"].startswith("Invalid value: 2h0m0s: certificate duration 1h0m0s")
    github = run("--output", "github", certificate).stdout
    assert 'admission webhook "webhook.cert-manager.io" denied the request: spec.renewBefore' in (
        github
    )


def test_a_folder_that_links_to_itself_is_walked_once(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    (tmp_path / "sub" / "here").symlink_to(".")
    (tmp_path / "gateway.yaml").write_text(GATEWAY.read_text())
    result = run(tmp_path)
    assert_clean(result)
    assert result.returncode == 0 and "1 object, 0 invalid" in result.stderr


def test_ctrl_c_exits_130_with_one_line() -> None:
    reader = subprocess.Popen(
        [sys.executable, str(CLI), "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(5)  # past start-up: the validator is waiting on stdin
        reader.send_signal(signal.SIGINT)
        _, stderr = reader.communicate(timeout=HANG_GUARD)
    finally:
        reader.kill()
    assert reader.returncode == 130
    assert stderr.splitlines() == ["interrupted"]

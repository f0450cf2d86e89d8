"""The site's Python blocks, run by pytest-examples against the local lab.

- The client (docs/verification.md) runs as a reader runs it: in the lab's PKI
  folder with lab.env's variables, printing the status it got (``#>`` checked).
- The application (docs/authorization.md) is imported, not served, and gets the
  X-Forwarded-Client-Cert header that the lab's Envoy set for client-a, then
  headers it must refuse.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from pytest_examples import CodeExample, EvalExample

from mtls_guide.blocks import Block, collect
from mtls_guide.checkers import owner
from mtls_guide.lab.client import request
from mtls_guide.lab.runner import Lab

BLOCKS = {b.page: b for b in collect() if owner(b) == "python-lab"}
CLIENT_URI = "spiffe://example.org/client-a"


def example(block: Block) -> CodeExample:
    return CodeExample.create(block.source, path=Path(block.page), start_line=block.line)


def test_each_page_has_its_python_block() -> None:
    assert {"docs/verification.md", "docs/authorization.md"} <= set(BLOCKS)


def test_client_calls_the_gateway(
    shared_lab: Lab, eval_example: EvalExample, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = shared_lab.environment()
    for name in ("GATEWAY_IP", "TERMINATE_PORT"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.chdir(env["PKI_DIR"])
    eval_example.run_print_check(example(BLOCKS["docs/verification.md"]))


@pytest.fixture(scope="module")
def forwarded_header(shared_lab: Lab) -> str:
    """The XFCC header the lab's Envoy sent its echo backend for the lab's client-a."""
    env = shared_lab.environment()
    echo = request(
        shared_lab, int(env["TERMINATE_PORT"]), shared_lab.pki.client, env["TERMINATE_HOST"]
    )
    header = echo["x-forwarded-client-cert"]
    assert header and CLIENT_URI in header
    return header


@pytest.fixture(scope="module")
def identity_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Iterable[bytes]]:
    evaluator = EvalExample(
        tmp_path=tmp_path_factory.mktemp("identity-app"), pytest_request=request
    )
    # Imported under another name, so its `if __name__ == "__main__"` server does not start.
    module = evaluator.run(
        example(BLOCKS["docs/authorization.md"]), module_globals={"__name__": "identity_app"}
    )
    return module["app"]


def call(app: Callable[..., Iterable[bytes]], header: str | None) -> tuple[str, dict[str, Any]]:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    if header is not None:
        environ["HTTP_X_FORWARDED_CLIENT_CERT"] = header
    status: list[str] = []
    body = b"".join(app(environ, lambda s, headers: status.append(s)))
    return status[0], json.loads(body)


def test_app_reads_the_identity_envoy_forwarded(identity_app, forwarded_header: str) -> None:
    status, body = call(identity_app, forwarded_header)
    assert (status, body) == ("200 OK", {"client": CLIENT_URI, "allowed": True})


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("no header", None),
        ("empty", ""),
        ("appended element", "By=x;URI=spiffe://example.org/client-a,URI=spiffe://evil.example/x"),
        ("other trust domain", "Hash=ab;URI=spiffe://evil.example/client-a"),
        ("two URIs", "URI=spiffe://example.org/a;URI=spiffe://example.org/b"),
        ("oversized", "URI=spiffe://example.org/client-a;" + "DNS=x;" * 2000),
    ],
)
def test_app_refuses(identity_app, forwarded_header: str, name: str, header: str | None) -> None:
    status, body = call(identity_app, header)
    assert status == "403 Forbidden" and body["allowed"] is False, name

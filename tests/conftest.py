"""Fixtures shared across test folders."""

from __future__ import annotations

import contextlib
import urllib.request

import pytest

from mtls_guide.checkers import LabRuns, PageRuns
from mtls_guide.lab.client import request
from mtls_guide.lab.runner import Lab


@pytest.fixture(scope="session")
def shared_lab(tmp_path_factory: pytest.TempPathFactory):
    """One lab with the guide's default manifests for every test that does not change its trust.

    Tests that count refusals compare Envoy's counters before and after, so sharing is safe;
    tests that rotate CAs or load other manifests start their own.
    """
    with Lab(tmp_path_factory.mktemp("shared-lab")) as lab:
        yield lab


@pytest.fixture(scope="session")
def lab_prometheus(shared_lab: Lab) -> str:
    """The lab's /stats/prometheus text after one good request, one refused, one unknown SNI."""
    lab = shared_lab
    env = lab.environment()
    port, passthrough = int(env["TERMINATE_PORT"]), int(env["PASSTHROUGH_PORT"])
    request(lab, port, lab.pki.client, env["TERMINATE_HOST"])
    for target, client, host in (
        (port, None, env["TERMINATE_HOST"]),
        (passthrough, lab.pki.client, "unknown.example.com"),
    ):
        with contextlib.suppress(OSError):  # refused, as intended
            request(lab, target, client, host)
    url = f"http://127.0.0.1:{lab.admin_port}/stats/prometheus"
    with urllib.request.urlopen(url, timeout=5) as response:  # loopback admin port
        return response.read().decode()


@pytest.fixture(scope="session")
def page_runs(tmp_path_factory: pytest.TempPathFactory) -> PageRuns:
    """Each page's plain bash blocks, run once per session by the runner the registry names."""
    return PageRuns(tmp_path_factory.mktemp)


@pytest.fixture(scope="session")
def lab_runs(tmp_path_factory: pytest.TempPathFactory) -> LabRuns:
    """Every `lab` block of the site, run once per session against one lab of its own."""
    return LabRuns(tmp_path_factory.mktemp("lab-blocks"))

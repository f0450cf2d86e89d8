"""Fixtures shared across test folders."""

from __future__ import annotations

import contextlib
import urllib.request

import pytest

from guidetools.lab.client import request
from guidetools.lab.runner import Lab


@pytest.fixture(scope="session")
def lab_prometheus(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The lab's /stats/prometheus text after one good request, one refused, one unknown SNI."""
    with Lab(tmp_path_factory.mktemp("metrics-lab")) as lab:
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

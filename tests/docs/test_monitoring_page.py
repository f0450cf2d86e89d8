"""The monitoring page's access-log format is one Envoy accepts."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from mtls_guide.blocks import ROOT
from mtls_guide.lab.runner import envoy_rejects

SNIPPET = ROOT / "snippets" / "monitoring" / "envoy-proxy-access-log.yaml"


def test_access_log_format_loads_into_envoy(tmp_path: Path) -> None:
    fmt = yaml.safe_load(SNIPPET.read_text())["spec"]["telemetry"]["accessLog"]["settings"][0][
        "format"
    ]["text"]
    manager = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "log",
        "route_config": {"virtual_hosts": [{"name": "a", "domains": ["*"], "routes": []}]},
        "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}],
        "access_log": [{
            "name": "envoy.access_loggers.stdout",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog",
                "log_format": {"text_format_source": {"inline_string": fmt}},
            },
        }],
    }  # fmt: skip
    listener = {
        "name": "l",
        "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
        "filter_chains": [{"filters": [{"name": "hcm", "typed_config": manager}]}],
    }
    config = tmp_path / "envoy.json"
    config.write_text(json.dumps({"static_resources": {"listeners": [listener]}}))
    assert envoy_rejects(config) is None
    broken = config.read_text().replace("%DOWNSTREAM_PEER_URI_SAN%", "%DOWNSTREAM_PEER_NONSENSE%")
    config.write_text(broken)
    assert envoy_rejects(config) is not None

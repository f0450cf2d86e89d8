"""A lab plan as an Envoy v3 bootstrap, close to what Envoy Gateway v1.9.0 programs.

Certificates and client-CA trust are delivered by file-based SDS (a watched
folder), so the lab can rotate them under load without a restart, as Envoy
Gateway does over xDS.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mtls_guide.files import write_atomically
from mtls_guide.lab.translate import ClientCheck, Passthrough, Plan, Terminate

TLS_INSPECTOR = {
    "name": "envoy.filters.listener.tls_inspector",
    "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"
    },
}
SECRET_TYPE = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"
MATCH = {"Exact": "exact", "Prefix": "prefix", "Suffix": "suffix"}


def _address(port: int) -> dict[str, Any]:
    return {"socket_address": {"address": "127.0.0.1", "port_value": port}}


def _cluster(name: str, port: int) -> dict[str, Any]:
    return {
        "name": name,
        "type": "STATIC",
        "connect_timeout": "2s",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": _address(port)}}]}],
        },
    }


def _sds(name: str, sds_dir: Path) -> dict[str, Any]:
    return {
        "name": name,
        "sds_config": {
            "path_config_source": {
                "path": str(sds_dir / f"{name}.json"),
                "watched_directory": {"path": str(sds_dir)},
            },
            "resource_api_version": "V3",
        },
    }


def write_secret(sds_dir: Path, name: str, secret: dict[str, Any]) -> None:
    """Publish one SDS secret: written aside, then moved into the watched folder in one step."""
    document = json.dumps({"resources": [{"@type": SECRET_TYPE, "name": name, **secret}]})
    write_atomically(sds_dir / f"{name}.json", document.encode(), 0o600, scratch=sds_dir.parent)


def server_secret(cert_pem: bytes, key_pem: bytes) -> dict[str, Any]:
    return {
        "tls_certificate": {
            "certificate_chain": {"inline_bytes": _b64(cert_pem)},
            "private_key": {"inline_bytes": _b64(key_pem)},
        }
    }


def validation_secret(client: ClientCheck, ca_pem: bytes, crl_pem: bytes | None) -> dict[str, Any]:
    context: dict[str, Any] = {"trusted_ca": {"inline_bytes": _b64(ca_pem)}}
    if not client.verified:
        context["trust_chain_verification"] = "ACCEPT_UNTRUSTED"
    if client.san_matchers:
        context["match_typed_subject_alt_names"] = [
            {"san_type": kind, "matcher": _matcher(match, value)}
            for kind, match, value in client.san_matchers
        ]
    if client.spki_hashes:
        context["verify_certificate_spki"] = client.spki_hashes
    if client.cert_hashes:
        context["verify_certificate_hash"] = client.cert_hashes
    if client.crl and crl_pem:
        context["crl"] = {"inline_bytes": _b64(crl_pem)}
    if client.allow_expired:
        context["allow_expired_certificate"] = True
    return {"validation_context": context}


def _matcher(match: str, value: str) -> dict[str, Any]:
    if match == "RegularExpression":
        return {"safe_regex": {"regex": value}}
    return {MATCH[match]: value}


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def _http_manager(entry: Terminate) -> dict[str, Any]:
    manager: dict[str, Any] = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": f"terminate_{entry.key}",
        # AllowInsecureFallback forwards no identity: the header is stripped whatever a policy says.
        "forward_client_cert_details": entry.xfcc_mode
        if entry.client.forward_identity
        else "SANITIZE",
        "route_config": {
            "virtual_hosts": [
                {
                    "name": "echo",
                    "domains": ["*"],
                    "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "echo"}}],
                }
            ]
        },
        "http_filters": [
            {
                "name": "envoy.filters.http.router",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
                },
            }
        ],
    }
    if entry.xfcc_details and entry.client.forward_identity:
        # Envoy Gateway's Subject/Cert/Chain/DNS/URI are the same switches in lower case.
        manager["set_current_client_cert_details"] = {d.lower(): True for d in entry.xfcc_details}
    return manager


def _terminate_chain(entry: Terminate, sds_dir: Path) -> dict[str, Any]:
    common: dict[str, Any] = {
        "tls_certificate_sds_secret_configs": [_sds(f"cert_{entry.key}", sds_dir)]
    }
    if entry.client.requested:
        common["validation_context_sds_secret_config"] = _sds(f"client_ca_{entry.key}", sds_dir)
    chain: dict[str, Any] = {
        "transport_socket": {
            "name": "envoy.transport_sockets.tls",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
                "require_client_certificate": entry.client.required,
                "common_tls_context": common,
            },
        },
        "filters": [
            {
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": _http_manager(entry),
            }
        ],
    }
    if entry.hostname != "*":
        chain["filter_chain_match"] = {"server_names": [entry.hostname]}
    return chain


def _passthrough_chain(entry: Passthrough) -> dict[str, Any]:
    return {
        "filter_chain_match": {"server_names": entry.hostnames},
        "filters": [
            {
                "name": "envoy.filters.network.tcp_proxy",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                    "stat_prefix": f"passthrough_{entry.key}",
                    "cluster": "passthrough_backend",
                },
            }
        ],
    }


def bootstrap(
    plan: Plan, ports: dict[str, int], backend_ports: dict[str, int], admin_port: int, sds_dir: Path
) -> dict[str, Any]:
    """``ports`` maps each listener's key (gateway_listener) to the loopback port the lab bound for it."""
    listeners = []
    by_port: dict[int, list[dict[str, Any]]] = {}
    for entry in plan.terminate:
        by_port.setdefault(ports[entry.key], []).append(_terminate_chain(entry, sds_dir))
    for passthrough in plan.passthrough:
        by_port.setdefault(ports[passthrough.key], []).append(_passthrough_chain(passthrough))
    for port, chains in sorted(by_port.items()):
        listeners.append(
            {
                "name": f"lab_{port}",
                "address": _address(port),
                "listener_filters": [TLS_INSPECTOR],
                "filter_chains": chains,
            }
        )
    return {
        "node": {"id": "mtls-lab", "cluster": "mtls-lab"},  # SDS needs a node identity
        "admin": {"address": _address(admin_port)},
        "static_resources": {
            "listeners": listeners,
            "clusters": [_cluster(name, port) for name, port in sorted(backend_ports.items())],
        },
    }

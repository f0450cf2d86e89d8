"""A lab plan as Envoy v3 resources, close to what Envoy Gateway v1.9.0 programs.

Envoy reads listeners (LDS), clusters (CDS) and secrets (SDS) from files in watched
folders, so the lab changes them at run time without a restart, as Envoy Gateway does
over xDS: a new CA bundle is an SDS update (open connections stay), a new route or
listener is an LDS update that Envoy applies in place, chain by chain. Listeners bind
``port_value: 0``; the lab reads the ports back from Envoy's admin endpoint.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from mtls_guide.lab import files
from mtls_guide.lab.translate import (
    ClientCheck,
    HttpRoute,
    Passthrough,
    Plan,
    Terminate,
    UpstreamTls,
)

Json = dict[str, Any]
TLS_INSPECTOR = {
    "name": "envoy.filters.listener.tls_inspector",
    "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"
    },
}
SECRET_TYPE = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"
LISTENER_TYPE = "type.googleapis.com/envoy.config.listener.v3.Listener"
CLUSTER_TYPE = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
MATCH = {"Exact": "exact", "Prefix": "prefix", "Suffix": "suffix"}
ALPN = ["h2", "http/1.1"]  # Envoy Gateway's default for HTTPS listeners
# A port whose listeners are all invalid keeps its Envoy listener (and so its port) with a
# chain no client can reach: Envoy needs one, and the listener fails closed.
UNREACHABLE = "listener-not-programmed.invalid"


def _address(port: int) -> Json:
    return {"socket_address": {"address": "127.0.0.1", "port_value": port}}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def listener_name(namespace: str, gateway: str, port: int) -> str:
    return f"{namespace}/{gateway}/{port}"


def cluster(name: str, port: int) -> Json:
    return {
        "@type": CLUSTER_TYPE,
        "name": name,
        "type": "STATIC",
        "connect_timeout": "2s",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": _address(port)}}]}],
        },
    }


def clusters(plan: Plan, echo_port: int, tls_backend_port: int) -> list[Json]:
    """The echo and passthrough clusters, and one TLS cluster per BackendTLSPolicy in use:
    all of them to the lab's own backends (the mTLS one behind a BackendTLSPolicy)."""
    out = [cluster("echo", echo_port), cluster("passthrough_backend", tls_backend_port)]
    upstreams = {
        r.upstream.name: r.upstream for e in plan.terminate for r in e.routes if r.upstream
    }
    for name, upstream in sorted(upstreams.items()):
        tls_cluster = cluster(name, tls_backend_port)
        tls_cluster["transport_socket"] = {
            "name": "envoy.transport_sockets.tls",
            "typed_config": upstream_tls(upstream),
        }
        out.append(tls_cluster)
    return out


def upstream_tls(upstream: UpstreamTls) -> Json:
    """Envoy's UpstreamTlsContext for a BackendTLSPolicy (as Envoy Gateway v1.9.0 sets it: SNI
    is the policy's hostname, the SANs or else the hostname must match)."""
    common: Json = {
        "validation_context": {
            "trusted_ca": {"inline_bytes": _b64(upstream.ca_pem)},
            "match_typed_subject_alt_names": [
                _san(kind, "Exact", value) for kind, value in upstream.sans
            ],
        }
    }
    if upstream.client_cert is not None:
        cert, key = upstream.client_cert
        common["tls_certificates"] = [
            {
                "certificate_chain": {"inline_bytes": _b64(cert)},
                "private_key": {"inline_bytes": _b64(key)},
            }
        ]
    return {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
        "sni": upstream.sni,
        "common_tls_context": common,
    }


def _sds(name: str, sds_dir: Path) -> Json:
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


def publish(path: Path, resources: list[Json]) -> None:
    """Write one xDS file: aside, then moved into the watched folder in one step."""
    files.write(path, json.dumps({"resources": resources}))


def secrets(plan: Plan) -> dict[str, Json]:
    """Every SDS secret the plan's listeners read, by name."""
    out: dict[str, Json] = {}
    for entry in plan.terminate:
        if entry.cert is None:
            continue
        cert, key = entry.cert
        out[f"cert_{entry.key}"] = {
            "tls_certificate": {
                "certificate_chain": {"inline_bytes": _b64(cert)},
                "private_key": {"inline_bytes": _b64(key)},
            }
        }
        if entry.client.requested and entry.client.ca_pem:
            out[f"client_ca_{entry.key}"] = validation_secret(entry.client)
    return out


def validation_secret(client: ClientCheck) -> Json:
    """The SDS half of client validation: what rotates (the CA bundle and its CRL)."""
    context: Json = {"trusted_ca": {"inline_bytes": _b64(client.ca_pem)}}
    if client.crl_pem:
        context["crl"] = {"inline_bytes": _b64(client.crl_pem)}
        context["only_verify_leaf_cert_crl"] = True
    return {"validation_context": context}


def default_validation(client: ClientCheck) -> Json:
    """The listener half of client validation: what a policy pins (Envoy Gateway puts it in a
    combined validation context, beside the SDS secret)."""
    context: Json = {}
    if not client.verified:
        context["trust_chain_verification"] = "ACCEPT_UNTRUSTED"
    if client.san_matchers:
        context["match_typed_subject_alt_names"] = [
            _san(kind, match, value) for kind, match, value in client.san_matchers
        ]
    if client.spki_hashes:
        context["verify_certificate_spki"] = client.spki_hashes
    if client.cert_hashes:
        context["verify_certificate_hash"] = client.cert_hashes
    if client.allow_expired:
        context["allow_expired_certificate"] = True
    return context


def _san(kind: str, match: str, value: str) -> Json:
    san_type, _, oid = kind.partition(":")
    out: Json = {"san_type": san_type, "matcher": _matcher(match, value)}
    if oid:
        out["oid"] = oid
    return out


def _matcher(match: str, value: str) -> Json:
    if match == "RegularExpression":
        return {"safe_regex": {"regex": value}}
    return {MATCH[match]: value}


def _route(route: HttpRoute) -> Json:
    kind, value = route.path
    out: Json = {
        "name": route.name,
        "match": {"path" if kind == "Exact" else "prefix": value},
    }
    if route.has_backend:
        out["route"] = {"cluster": route.upstream.name if route.upstream else "echo"}
    else:  # Envoy Gateway answers 500 for a rule without backends
        out["direct_response"] = {"status": 500}
    if route.rbac is not None:
        out["typed_per_filter_config"] = {"envoy.filters.http.rbac": route.rbac}
    return out


def _http_manager(entry: Terminate) -> Json:
    filters: list[Json] = []
    if any(r.rbac is not None for r in entry.routes):
        filters.append(
            {
                "name": "envoy.filters.http.rbac",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"
                },
            }
        )
    filters.append(
        {
            "name": "envoy.filters.http.router",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
            },
        }
    )
    manager: Json = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": f"terminate_{entry.key}",
        # AllowInsecureFallback forwards no identity: the header is stripped whatever a policy says.
        "forward_client_cert_details": entry.xfcc_mode
        if entry.client.forward_identity
        else "SANITIZE",
        "route_config": {
            "name": entry.key,
            "virtual_hosts": [
                {"name": entry.key, "domains": ["*"], "routes": [_route(r) for r in entry.routes]}
            ],
        },
        "http_filters": filters,
    }
    if entry.xfcc_details and entry.client.forward_identity:
        # Envoy Gateway's Subject/Cert/Chain/DNS/URI are the same switches in lower case.
        manager["set_current_client_cert_details"] = {d.lower(): True for d in entry.xfcc_details}
    return manager


def downstream_tls(entry: Terminate, sds_dir: Path) -> Json:
    """The listener's DownstreamTlsContext, in the shape Envoy Gateway v1.9.0 gives it
    (internal/xds/translator/testdata/out/xds-ir/*.listeners.yaml)."""
    common: Json = {
        "tls_certificate_sds_secret_configs": [_sds(f"cert_{entry.key}", sds_dir)],
        "alpn_protocols": ALPN,
    }
    client = entry.client
    if client.requested:
        inline = default_validation(client)
        if client.ca_pem:
            sds = _sds(f"client_ca_{entry.key}", sds_dir)
            if inline:
                common["combined_validation_context"] = {
                    "default_validation_context": inline,
                    "validation_context_sds_secret_config": sds,
                }
            else:
                common["validation_context_sds_secret_config"] = sds
        else:
            common["validation_context"] = inline or {
                "trust_chain_verification": "ACCEPT_UNTRUSTED"
            }
    return {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
        "require_client_certificate": client.required,
        # Resuming a session would skip the client certificate check Envoy Gateway relies on.
        "disable_stateful_session_resumption": True,
        "disable_stateless_session_resumption": True,
        "common_tls_context": common,
    }


def _terminate_chain(entry: Terminate, sds_dir: Path) -> Json:
    manager = {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": _http_manager(entry),
    }
    chain: Json = {"name": entry.key, "filters": [manager]}
    if entry.cert is None:  # plain HTTP: no TLS, so no SNI to match on
        return chain
    tls = downstream_tls(entry, sds_dir)
    chain["transport_socket"] = {"name": "envoy.transport_sockets.tls", "typed_config": tls}
    if entry.hostname != "*":
        chain["filter_chain_match"] = {"server_names": [entry.hostname]}
    return chain


def _passthrough_chain(entry: Passthrough) -> Json:
    return {
        "name": entry.key,
        "filter_chain_match": {"server_names": entry.hostnames},
        "filters": [_tcp_proxy(f"passthrough_{entry.key}", "passthrough_backend")],
    }


def _tcp_proxy(prefix: str, cluster_name: str) -> Json:
    return {
        "name": "envoy.filters.network.tcp_proxy",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
            "stat_prefix": prefix,
            "cluster": cluster_name,
        },
    }


def listeners(plan: Plan, sds_dir: Path) -> list[Json]:
    """One Envoy listener per (Gateway, port), a filter chain per valid Gateway listener."""
    chains: dict[str, list[Json]] = {listener_name(*p): [] for p in sorted(plan.ports)}
    for entry in plan.terminate:
        chains[listener_name(entry.namespace, entry.gateway, entry.port)].append(
            _terminate_chain(entry, sds_dir)
        )
    for passthrough in plan.passthrough:
        chains[listener_name(passthrough.namespace, passthrough.gateway, passthrough.port)].append(
            _passthrough_chain(passthrough)
        )
    out = []
    for name, found in chains.items():
        if not found:
            found = [
                {
                    "name": "not-programmed",
                    "filter_chain_match": {"server_names": [UNREACHABLE]},
                    "filters": [_tcp_proxy("not_programmed", "echo")],
                }
            ]
        out.append(
            {
                "@type": LISTENER_TYPE,
                "name": name,
                "address": _address(0),
                "listener_filters": [TLS_INSPECTOR],
                "filter_chains": found,
            }
        )
    return out


def bootstrap(xds_dir: Path) -> Json:
    """Envoy's bootstrap: admin on a free loopback port, listeners and clusters from files."""

    def source(name: str) -> Json:
        return {
            "path_config_source": {
                "path": str(xds_dir / name),
                "watched_directory": {"path": str(xds_dir)},
            },
            "resource_api_version": "V3",
        }

    return {
        "node": {"id": "mtls-lab", "cluster": "mtls-lab"},  # xDS needs a node identity
        "admin": {"address": _address(0)},
        "dynamic_resources": {"lds_config": source("lds.json"), "cds_config": source("cds.json")},
    }

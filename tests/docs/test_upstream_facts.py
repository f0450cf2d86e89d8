"""Facts the pages state about upstream, pinned to the upstream files themselves.

Each test reads the fact from a pinned file (a CRD from the lock, Envoy Gateway's golden
test data, the Gateway API install policy) and checks that the page says it. If upstream
changes at the next pin, the test names the page sentence to revisit.

Golden data: set UPSTREAM_GOLDEN to Envoy Gateway v1.9.0's golden files (.ci/run does);
unset, one skip names the variable. The safe-upgrades policy is read from CRDS_MIRROR
(it is not a CRD, so the CRD lock does not list it); unset, one skip names that variable.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from cel_expr_python import cel

from mtls_guide.paths import ROOT
from mtls_guide.pinned import crd_pins, read_crd

DOCS = ROOT / "docs"
GOLDEN = "UPSTREAM_GOLDEN"
XDS_IN = "internal/xds/translator/testdata/in/xds-ir"
XDS_OUT = "internal/xds/translator/testdata/out/xds-ir"
GATEWAY_API_OUT = "internal/gatewayapi/testdata"
SAFE_UPGRADES = "gateway-api/v1.6.1/standard/gateway.networking.k8s.io_vap_safeupgrades.yaml"


def page(name: str) -> str:
    """A page's text with line breaks folded, so a phrase may wrap anywhere."""
    return " ".join((DOCS / name).read_text().split())


def crd_text(project: str, channel: str, filename: str) -> str:
    (pin,) = [
        p
        for p in crd_pins()
        if p.project == project and p.channel == channel and p.path.endswith(filename)
    ]
    return read_crd(pin).decode()


def gateways_crd() -> str:
    return " ".join(
        crd_text("gateway-api", "standard", "gateway.networking.k8s.io_gateways.yaml").split()
    )


def golden_root() -> Path:
    value = os.environ.get(GOLDEN)
    if not value:
        pytest.skip(f"set {GOLDEN} to Envoy Gateway v1.9.0's golden test data")
    root = Path(value)
    assert (root / "MANIFEST.txt").is_file(), f"{GOLDEN}={root}: no MANIFEST.txt"
    return root


# --- Gateway API v1.6.1 CRD text ---------------------------------------------


def test_insecure_fallback_accepts_failed_verification_too() -> None:
    phrase = "is not presented or fails verification"
    assert phrase in gateways_crd()
    assert phrase in page("terminate.md")


def test_frontend_validation_covers_https_listeners_only() -> None:
    assert "for all Listeners handling HTTPS traffic" in gateways_crd()
    assert "applies to `protocol: HTTPS` listeners only" in page("terminate.md")


def test_status_reasons_on_the_troubleshooting_page_are_the_crds() -> None:
    crd, text = gateways_crd(), page("troubleshooting.md")
    for reason in (
        "InvalidCACertificateRef",
        "InvalidCACertificateKind",
        "RefNotPermitted",
        "NoValidCACertificate",
    ):
        assert f"`{reason}`" in crd and f"`{reason}`" in text, reason


def test_misdirected_request_is_the_specs_421() -> None:
    assert "HTTP 421 Misdirected Request" in gateways_crd()
    assert "421 Misdirected Request" in page("terminate.md")
    assert "421 Misdirected Request" in page("troubleshooting.md")


def test_reference_grant_v1_is_served_and_used() -> None:
    crd = yaml.safe_load(
        crd_text("gateway-api", "standard", "gateway.networking.k8s.io_referencegrants.yaml")
    )
    served = {v["name"] for v in crd["spec"]["versions"] if v["served"]}
    assert "v1" in served
    snippet = (ROOT / "snippets" / "terminate" / "cross-namespace-ca.yaml").read_text()
    grants = [d for d in yaml.safe_load_all(snippet) if d["kind"] == "ReferenceGrant"]
    assert grants and all(g["apiVersion"] == "gateway.networking.k8s.io/v1" for g in grants)


# --- cert-manager v1.21.1 CRD text -------------------------------------------


def test_cert_manager_defaults_the_pages_restate() -> None:
    crd = " ".join(crd_text("cert-manager", "all", "cert-manager.io_certificates.yaml").split())
    assert "Default is `Always`." in crd  # rotationPolicy
    assert "If unset, this defaults to 90 days." in crd  # duration
    assert "defaults to 1/3 of the issued certificate's lifetime" in crd  # renewBefore
    text = page("certificates.md")
    assert "`Always` since cert-manager v1.18.0" in text
    assert "`duration: 2160h` (90 days), `renewBefore: 720h` (a third of the lifetime)" in text


def test_the_ca_certificate_keeps_its_key() -> None:
    snippet = (ROOT / "snippets" / "cert-manager" / "ca-issuer.yaml").read_text()
    (ca,) = [d for d in yaml.safe_load_all(snippet) if d["spec"].get("isCA")]
    assert ca["spec"]["privateKey"]["rotationPolicy"] == "Never"


# --- Envoy Gateway v1.9.0 golden test data (one test: one skip when unset) ---


def test_envoy_gateway_golden_data_agrees_with_the_pages() -> None:
    root = golden_root()
    insecure_fallback_is_accept_untrusted(root)
    frontend_conditions_are_set(root)
    http3_is_turned_off_with_client_validation(root)
    overlapping_listeners_offer_only_http1(root)


def insecure_fallback_is_accept_untrusted(root: Path) -> None:
    listeners = yaml.safe_load((root / XDS_OUT / "gateway-tls-frontend.listeners.yaml").read_text())
    (fallback,) = [
        chain["transportSocket"]["typedConfig"]
        for listener in listeners
        for chain in listener.get("filterChains", [])
        if chain["name"].endswith("/https-with-hostname")
    ]
    context = fallback["commonTlsContext"]["combinedValidationContext"]
    assert context["defaultValidationContext"]["trustChainVerification"] == "ACCEPT_UNTRUSTED"
    assert fallback["requireClientCertificate"] is False
    text = page("terminate.md")
    assert "`requireClientCertificate: false`" in text
    assert "`trustChainVerification: ACCEPT_UNTRUSTED`" in text


def frontend_conditions_are_set(root: Path) -> None:
    found = conditions_in(root / GATEWAY_API_OUT / "gateway-tls-frontend-backend.out.yaml")
    assert {
        ("InsecureFrontendValidationMode", "ConfigurationChanged"),
        ("ResolvedRefs", "InvalidCACertificateRef"),
        ("ResolvedRefs", "InvalidCACertificateKind"),
        ("Accepted", "NoValidCACertificate"),
    } <= found
    text = page("troubleshooting.md")
    assert "`InsecureFrontendValidationMode=True`, `ConfigurationChanged`" in text


def http3_is_turned_off_with_client_validation(root: Path) -> None:
    found = conditions_in(
        root / GATEWAY_API_OUT / "clienttrafficpolicy-http3-client-validation.out.yaml"
    )
    assert ("Warning", "UnsupportedHTTP3ClientValidation") in found
    assert "`UnsupportedHTTP3ClientValidation`" in page("terminate.md")


def overlapping_listeners_offer_only_http1(root: Path) -> None:
    # IR listeners flagged tlsOverlaps: without their own ALPN they get HTTP/1.1 only.
    name = "listener-overlapping-tls-config"
    ir = yaml.safe_load((root / XDS_IN / f"{name}.yaml").read_text())["http"]
    listeners = yaml.safe_load((root / XDS_OUT / f"{name}.listeners.yaml").read_text())
    alpn = {
        chain["name"]: chain["transportSocket"]["typedConfig"]["commonTlsContext"]["alpnProtocols"]
        for listener in listeners
        for chain in listener.get("filterChains", [])
    }
    defaulted = [h["name"] for h in ir if h.get("tlsOverlaps") and not h["tls"]["alpnProtocols"]]
    assert defaulted and all(alpn[n] == ["http/1.1"] for n in defaulted), alpn
    assert "only HTTP/1.1 on those listeners" in page("terminate.md")


def conditions_in(path: Path) -> set[tuple[str, str]]:
    """(type, reason) of every status condition in one golden .out.yaml, at any depth."""
    found: set[tuple[str, str]] = set()
    pending: list[object] = [yaml.safe_load(path.read_text())]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if {"type", "reason", "status"} <= node.keys():
                found.add((node["type"], node["reason"]))
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def test_conditions_in_reads_nested_status(tmp_path: Path) -> None:
    # The reader the golden check relies on: it must find a condition at any depth, and only there.
    sample = tmp_path / "sample.out.yaml"
    sample.write_text("a: [{status: {conditions: [{type: T, reason: R, status: 'True'}]}}]\n")
    assert conditions_in(sample) == {("T", "R")}
    sample.write_text("a: [{type: T, reason: R}]\n")
    assert conditions_in(sample) == set()


# --- Gateway API v1.6.1 safe-upgrades admission policy (one test) ------------


def version_gate() -> str:
    """The CEL expression of the policy's version check (the one about older versions)."""
    mirror = os.environ.get("CRDS_MIRROR")
    if not mirror:
        pytest.skip("set CRDS_MIRROR to read the safe-upgrades policy of Gateway API v1.6.1")
    path = Path(mirror) / SAFE_UPGRADES
    assert path.is_file(), f"CRDS_MIRROR={mirror}: no {SAFE_UPGRADES}"
    policy = next(yaml.safe_load_all(path.read_text()))
    (check,) = [v for v in policy["spec"]["validations"] if "before v1.5.0" in v["message"]]
    return str(check["expression"])


def admits(expression: str, bundle_version: str) -> bool:
    env = cel.NewEnv(variables={"object": cel.Type.DYN, "oldObject": cel.Type.DYN})
    crd = {
        "spec": {"group": "gateway.networking.k8s.io"},
        "metadata": {"annotations": {"gateway.networking.k8s.io/bundle-version": bundle_version}},
    }
    result = env.compile(expression).eval(env.Activation({"object": crd, "oldObject": None}))
    return result.value() is True


def test_safe_upgrades_refuses_every_v1_5_bundle() -> None:
    gate = version_gate()
    verdicts = {v: admits(gate, v) for v in ("v1.4.1", "v1.5.0", "v1.5.1", "v1.6.0", "v1.6.1")}
    assert verdicts == {
        "v1.4.1": False,
        "v1.5.0": False,
        "v1.5.1": False,
        "v1.6.0": True,
        "v1.6.1": True,
    }
    assert "up to and including v1.5.x" in page("helm.md")


def test_the_version_gate_can_refuse() -> None:
    # The checker itself: an expression that refuses everything must read as refusing.
    assert admits("false", "v1.6.1") is False
    assert admits("true", "v1.6.1") is True

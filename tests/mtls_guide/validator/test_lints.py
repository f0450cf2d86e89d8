"""mTLS lints: references the API server accepts but a controller would report."""

from __future__ import annotations

from mtls_guide.checks import validator
from mtls_guide.validator.lints import lint_objects

GATEWAY = """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: gateway}
spec:
  gatewayClassName: example
  tls:
    frontend:
      default:
        validation:
          caCertificateRefs:
            - {group: "", kind: ConfigMap, name: client-ca, namespace: %(ca_ns)s}
  listeners:
    - name: https
      protocol: HTTPS
      port: 443
      tls:
        certificateRefs:
          - name: server-tls
    - name: tls
      protocol: TLS
      port: 8443
      tls: {mode: Passthrough}
"""
SECRET = """apiVersion: v1
kind: Secret
metadata: {name: server-tls, namespace: gateway}
type: %(type)s
data: {tls.crt: YQ==, tls.key: YQ==}
"""
CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata: {name: client-ca, namespace: %(ns)s}
data: {%(key)s: "pem"}
"""
GRANT = """apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: allow, namespace: pki}
spec:
  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: gateway}]
  to: [{group: "", kind: ConfigMap}]
"""
ROUTE = """apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: r, namespace: gateway}
spec:
  parentRefs: [{name: gw, sectionName: %(section)s}]
  hostnames: [secure.example.com]
  rules: [{backendRefs: [{name: backend, port: 8443}]}]
"""
POLICY = """apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: {name: p, namespace: gateway}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw, sectionName: %(section)s}]
"""


def lints(*docs: str) -> list[str]:
    objects = validator().check_text("---\n".join(docs), "set.yaml")
    assert all(not o.problems for o in objects), [str(p) for o in objects for p in o.problems]
    return [f"{p.field}: {p.message}" for p in lint_objects(objects)]


def complete(**overrides: str) -> list[str]:
    values = {
        "ca_ns": "gateway",
        "type": "kubernetes.io/tls",
        "ns": "gateway",
        "key": "ca.crt",
        "section": "tls",
    }
    values.update(overrides)
    return [GATEWAY % values, SECRET % values, CONFIGMAP % values, ROUTE % values, POLICY % values]


def test_a_complete_set_has_no_lints() -> None:
    assert lints(*complete()) == []


def test_missing_ca_configmap() -> None:
    found = lints(*[d for d in complete() if not d.startswith("apiVersion: v1\nkind: ConfigMap")])
    assert found == [
        "spec.tls.frontend.default.validation.caCertificateRefs[0]: ConfigMap gateway/client-ca is not among these manifests"
    ]


def test_ca_configmap_without_ca_crt() -> None:
    assert lints(*complete(key="ca.pem")) == [
        "spec.tls.frontend.default.validation.caCertificateRefs[0]: ConfigMap gateway/client-ca has no key ca.crt (the key Gateway API Core reads)"
    ]


def test_server_secret_of_the_wrong_type() -> None:
    assert lints(*complete(type="Opaque")) == [
        "spec.listeners[0].tls.certificateRefs[0]: Secret gateway/server-tls is not of type kubernetes.io/tls"
    ]


def test_cross_namespace_ca_needs_a_reference_grant() -> None:
    docs = complete(ca_ns="pki", ns="pki")
    assert lints(*docs) == [
        "spec.tls.frontend.default.validation.caCertificateRefs[0]: ConfigMap pki/client-ca is in another namespace and no ReferenceGrant in pki allows it"
    ]
    assert lints(*docs, GRANT) == []


def test_tlsroute_must_attach_to_a_passthrough_listener() -> None:
    docs = complete()
    docs[3] = ROUTE % {"section": "https"}
    assert lints(*docs) == ["spec.parentRefs[0]: no TLS listener in Passthrough mode to attach to"]


def test_policy_section_must_name_a_listener() -> None:
    docs = complete()
    docs[-1] = POLICY % {"section": "nope"}
    assert lints(*docs) == ["spec.targetRefs[0].sectionName: Gateway gw has no listener 'nope'"]


CA_CERTIFICATE = """apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: client-ca, namespace: cert-manager}
spec:
  isCA: true
  commonName: Example client CA
  secretName: client-ca
  issuerRef: {kind: Issuer, name: selfsigned}
%(private_key)s
"""


def test_a_ca_certificate_must_keep_its_key() -> None:
    default = lints(CA_CERTIFICATE % {"private_key": ""})
    always = lints(CA_CERTIFICATE % {"private_key": "  privateKey: {rotationPolicy: Always}"})
    never = lints(CA_CERTIFICATE % {"private_key": "  privateKey: {rotationPolicy: Never}"})
    assert len(default) == 1 and "rotationPolicy Always" in default[0]
    assert len(always) == 1 and "spec.privateKey.rotationPolicy" in always[0]
    assert never == []

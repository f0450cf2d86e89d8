"""Built-in kinds judged by the API server's own rules (Kubernetes 1.35 pkg/apis/core/validation,
pkg/apis/apps/validation, apimachinery util/validation), each shown failing on bad input."""

from __future__ import annotations

import base64
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mtls_guide.checks import validator
from mtls_guide.validator.corekinds import base64_problem


def problems(text: str) -> list[str]:
    return [
        f"{p.field}: {p.message}" if p.field else p.message
        for obj in validator("standard").check_text(text, "test.yaml")
        for p in obj.problems
    ]


PEM = "-----BEGIN CERTIFICATE-----\n" + "QUJD" * 100 + "\n-----END CERTIFICATE-----\n"


def tls_secret(crt: str) -> str:
    return (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\n"
        f"data:\n  tls.crt: |\n{textwrap.indent(crt, '    ')}\n  tls.key: a2V5\n"
    )


def test_base64_wrapped_at_76_columns_is_accepted() -> None:
    wrapped = "\n".join(textwrap.wrap(base64.b64encode(PEM.encode()).decode(), 76))
    assert "\n" in wrapped
    assert problems(tls_secret(wrapped)) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [  # offsets as Go's encoding/base64 (StdEncoding) reports them
        ("YWJj", None),
        ("YWJj\r\nZGVm\n", None),  # CR and LF are skipped anywhere
        ("YW Jj", "illegal base64 data at input byte 2"),  # a space is not
        ("YWJ", "illegal base64 data at input byte 0"),  # padding is required
        ("YQ==YQ==", "illegal base64 data at input byte 4"),  # nothing after the padding
        ("YQ=", "illegal base64 data at input byte 3"),  # "=" needs its second "="
        ("YQ=a", "illegal base64 data at input byte 2"),
        ("Y===", "illegal base64 data at input byte 1"),
        ("-----BEGIN", "illegal base64 data at input byte 0"),
    ],
)
def test_base64_as_go_decodes_bytes(text: str, message: str | None) -> None:
    assert base64_problem(text) == message


def test_pem_in_binary_data_is_not_base64() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nbinaryData:\n"
        f"  ca.crt: |\n{textwrap.indent(PEM, '    ')}"
    )
    (problem,) = problems(text)
    assert problem.startswith("binaryData[ca.crt]: illegal base64 data at input byte 0")


def test_tls_secret_needs_both_keys_and_string_data_counts() -> None:
    base = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\n"
    assert problems(base + "data: {tls.crt: YWJj}\n") == ["data[tls.key]: Required value"]
    assert problems(base + "data: {tls.crt: YWJj}\nstringData: {tls.key: k}\n") == []


def test_config_keys_and_duplicates_between_data_and_binary_data() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
        "data: {ca.crt: x, ..hidden: y}\nbinaryData: {ca.crt: YWJj}\n"
    )
    assert problems(text) == [
        'data[ca.crt]: Invalid value: "ca.crt": duplicate of key present in binaryData',
        "data[..hidden]: Invalid value: \"..hidden\": must not start with '..'",
    ]  # once, on data: ValidateConfigMap looks for the other bag only from data


SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: NAME}
spec:
  selector: {app: backend}
  ports:
PORTS"""


def service(name: str = "backend", ports: str = "  - {port: 443}\n") -> str:
    return SERVICE.replace("NAME", name).replace("PORTS", ports)


def test_a_plain_service_passes() -> None:
    assert problems(service()) == []


def test_service_name_is_a_dns_1035_label() -> None:
    (problem,) = problems(service(name="1-backend"))
    assert problem.startswith('metadata.name: Invalid value: "1-backend": a DNS-1035 label must')


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        ("  - {port: 443}\n  - {port: 80}\n", "spec.ports[0].name: Required value"),
        (
            "  - {name: HTTPS, port: 443}\n",
            'spec.ports[0].name: Invalid value: "HTTPS": a lowercase RFC 1123 label',
        ),
        (
            "  - {name: a, port: 443}\n  - {name: a, port: 80}\n",
            'spec.ports[1].name: Duplicate value: "a"',
        ),
        (
            "  - {port: 70000}\n",
            "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
        ),
        (
            "  - {port: 443, protocol: HTTP}\n",
            'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        ),
        (
            "  - {port: 443, targetPort: https--alt}\n",
            'spec.ports[0].targetPort: Invalid value: "https--alt": must not contain consecutive hyphens',
        ),
        (
            "  - {name: a, port: 443}\n  - {name: b, port: 443}\n",
            "spec.ports[1]: Duplicate value:",
        ),
    ],
)
def test_service_port_rules(ports: str, expected: str) -> None:
    assert any(p.startswith(expected) for p in problems(service(ports=ports))), problems(
        service(ports=ports)
    )


def test_label_value_only_too_long_is_reported_as_too_long() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {a: " + "x" * 64 + "}}\n"
    (problem,) = problems(text)
    assert problem.endswith(": must be no more than 63 characters")
    bad = problems(text.replace("x" * 64, "-x"))
    assert bad and "a valid label must be an empty string" in bad[0]


def test_namespace_name_is_a_dns_1123_label() -> None:
    text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: NAME}\n"
    assert problems(text.replace("NAME", "gateway")) == []
    assert problems(text.replace("NAME", "a.b")) == [
        'metadata.name: Invalid value: "a.b": must not contain dots'
    ]  # IsDNS1123Label: a valid subdomain that is no label can only be wrong by its dots
    (upper,) = problems(text.replace("NAME", "A.b"))
    assert "a lowercase RFC 1123 label" in upper
    (long,) = problems(text.replace("NAME", "a" * 64))
    assert long.endswith("must be no more than 63 characters")


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend}
spec:
  selector: {matchLabels: {app: SELECTED}}
  template:
    metadata: {labels: {app: backend}}
    spec:
      containers: [{name: backend, image: example.com/backend:1}]
"""


def test_deployment_selector_must_match_template_labels() -> None:
    assert problems(DEPLOYMENT.replace("SELECTED", "backend")) == []
    (problem,) = problems(DEPLOYMENT.replace("SELECTED", "other"))
    assert problem.startswith('spec.template.metadata.labels: Invalid value: {"app":"backend"}:')
    assert problem.endswith("`selector` does not match template `labels`")


def test_deployment_container_needs_an_image() -> None:
    text = DEPLOYMENT.replace("SELECTED", "backend").replace(", image: example.com/backend:1", "")
    assert problems(text) == ["spec.template.spec.containers[0].image: Required value"]


def test_wrong_types_stop_at_decoding() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: [1]\n"
    (problem,) = problems(text)
    assert problem.startswith("data: Invalid value:")


@given(st.binary(max_size=200), st.integers(min_value=1, max_value=80))
def test_what_base64_writes_wrapped_anywhere_decodes(data: bytes, width: int) -> None:
    encoded = base64.b64encode(data).decode()
    wrapped = "\n".join(encoded[i : i + width] for i in range(0, len(encoded), width))
    assert base64_problem(wrapped) is None


@given(st.text(alphabet="AB=+/ \n-", max_size=12))
def test_a_text_go_refuses_python_refuses_too(text: str) -> None:
    stripped = text.replace("\n", "")
    try:
        base64.b64decode(stripped, validate=True)
        python_accepts = len(stripped) % 4 == 0
    except ValueError:
        python_accepts = False
    assert (base64_problem(text) is None) == python_accepts

"""The Helm page against the real helm and the real chart (dev2prod gateway-api 1.0.5).

The block check (`helm-rendered`) compares the page's rendering with helm's. Here:
every value on the page matters to that rendering, the page's certificates cover the
listeners the values name, and what the page says about the chart holds.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from cryptography import x509

from mtls_guide import checks
from mtls_guide.checkers import PageRun, PageRuns
from mtls_guide.helm import HelmError, Template
from mtls_guide.paths import ROOT
from mtls_guide.pinned import CHARTS, chart_pins, read_crd

PAGE = "docs/helm.md"
VALUES = ROOT / "snippets" / "helm" / "values.yaml"
RENDERED = ROOT / "snippets" / "helm" / "rendered.yaml"
TEMPLATE = Template("mtls-gateway", "gateway-api", "1.0.5", "gateway")


def key_paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every mapping key in ``node``, lists included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key)
            yield from key_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from key_paths(item, (*path, index))


def without(values: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    trimmed = copy.deepcopy(values)
    node: Any = trimmed
    for step in path[:-1]:
        node = node[step]
    del node[path[-1]]
    return trimmed


VALUE_TREE = yaml.safe_load(VALUES.read_text())
PATHS = list(key_paths(VALUE_TREE))


@pytest.mark.parametrize("path", PATHS, ids=[".".join(map(str, p)) for p in PATHS])
def test_every_value_changes_the_rendering(path: tuple[Any, ...]) -> None:
    # A value the rendering does not need would be noise a reader copies; deleting any one
    # must change what helm prints (or make helm refuse the values).
    try:
        rendered = TEMPLATE.render(yaml.safe_dump(without(VALUE_TREE, path)))
    except HelmError:
        return  # helm refusing the values (its schema) is a change too
    assert rendered.strip() != RENDERED.read_text().strip()


def test_template_drops_tls_options() -> None:
    values = copy.deepcopy(VALUE_TREE)
    values["gateway"]["listeners"][1]["tls"]["options"] = {"example.com/mode": "mutual"}
    assert TEMPLATE.render(yaml.safe_dump(values)).strip() == RENDERED.read_text().strip()


def test_chart_example_is_rejected_as_the_page_says() -> None:
    (example,) = [p for p in chart_pins() if p.path.endswith("mutual-tls/values.yaml")]
    rendered = TEMPLATE.render(read_crd(example, CHARTS).decode())
    objects = checks.validator().check_text(rendered, "chart-example.yaml")
    messages = [p.message for o in objects for p in o.problems]
    assert any("tls mode must be Terminate for protocol HTTPS" in m for m in messages), messages


@pytest.fixture(scope="module")
def page_run(page_runs: PageRuns) -> PageRun:
    return page_runs.of(PAGE)


def test_every_listener_certificate_is_made_on_the_page(page_run: PageRun) -> None:
    secrets = {
        doc["metadata"]["name"]: doc
        for doc in yaml.safe_load_all((page_run.workdir / "api-secret.yaml").read_text())
    }
    for listener in VALUE_TREE["gateway"]["listeners"]:
        for ref in listener.get("tls", {}).get("certificateRefs", []):
            secret = secrets[ref["name"]]
            cert = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"]))
            names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            assert listener["hostname"] in names.get_values_for_type(x509.DNSName)


@pytest.mark.parametrize("output", ["api-secret.yaml", "client-ca.yaml"])
def test_page_objects_pass_the_validator(page_run: PageRun, output: str) -> None:
    objects = checks.validator().check_text((page_run.workdir / output).read_text(), output)
    assert objects and all(not o.problems for o in objects)


def test_bundled_crds_are_v1_4_1_without_tlsroute_v1() -> None:
    # The page's reason for --skip-crds, read from the chart's own CRD files.
    crds = [p for p in chart_pins() if p.chart == "gateway-api" and "/crds/" in p.path]
    docs = [yaml.safe_load(read_crd(p, CHARTS)) for p in crds]
    versions = {
        d["metadata"]["annotations"]["gateway.networking.k8s.io/bundle-version"] for d in docs
    }
    assert versions == {"v1.4.1"}
    (tlsroute,) = [d for d in docs if d["spec"]["names"]["kind"] == "TLSRoute"]
    served = {v["name"] for v in tlsroute["spec"]["versions"] if v["served"]}
    assert "v1" not in served


INSTALL = ROOT / "snippets" / "helm" / "install.sh"
# The Quick start step that installs the Gateway API CRDs and Envoy Gateway.
INSTALL_STEP = "quickstart.md#2-gateway-api-v161-and-envoy-gateway-v190"


def install_problems(script: str) -> list[str]:
    """What the page's install command lacks for a reader on a fresh cluster (issue 13)."""
    words = " ".join(script.replace("\\\n", " ").split())
    needed = {
        "helm repo add dev2prod https://charts.cdnn.host/": "the chart's repository",
        "dev2prod/gateway-api --version 1.0.5": "the chart version the page renders",
        "--skip-crds": "skipping the chart's Gateway API v1.4.1 CRDs",
        "--create-namespace": "the namespace",
    }
    return [f"no {why} ({text!r})" for text, why in needed.items() if text not in words]


def test_the_install_command_is_complete() -> None:
    assert not install_problems(INSTALL.read_text())


def test_the_install_check_finds_a_bare_install() -> None:
    bare = "helm install mtls-gateway dev2prod/gateway-api --values values.yaml\n"
    assert len(install_problems(bare)) == 4


def test_the_page_sends_the_reader_to_install_envoy_gateway_first() -> None:
    # The chart's GatewayClass names Envoy Gateway's controller: without it nothing serves.
    page = (ROOT / PAGE).read_text()
    assert page.count(f"]({INSTALL_STEP})") >= 2  # under the values and under Install
    quickstart = (ROOT / "docs" / "quickstart.md").read_text()
    heading = "## 2. Gateway API v1.6.1 and Envoy Gateway v1.9.0"
    assert heading in quickstart, "the Quick start's install step moved: fix the Helm page's link"
    install = quickstart.split(heading, 1)[1].split("\n## ", 1)[0]
    assert "install-envoy-gateway.sh" in install and "install-gateway-api.sh" in install

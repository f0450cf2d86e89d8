"""The mTLS lints hold for the objects of each page: every reference resolves on the page.

Objects a page refers to but creates elsewhere are listed here with the reason,
so the exceptions stay few and visible.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from mtls_guide import checks
from mtls_guide.blocks import collect
from mtls_guide.checkers import owner
from mtls_guide.validator.lints import lint_objects

CREATED_ELSEWHERE = {
    "Secret gateway/secure-example-com-tls": "made by `kubectl create secret tls` on docs/certificates.md",
    "ConfigMap gateway/client-ca": "made by `kubectl create configmap` on docs/certificates.md",
    "Secret gateway/partners-example-com-tls": "a second server certificate, made like the first",
    "ConfigMap gateway/partner-ca": "a second client CA, published like client-ca",
    "ConfigMap pki/client-ca": "the PKI team's copy of client-ca, in their namespace",
    "Secret gateway/gateway-client-tls": "the gateway's client certificate, made with `mtls_certs.py client`",
    "Gateway mtls-terminate": "the Gateway of docs/terminate.md and docs/quickstart.md, which docs/authorization.md builds on",
    # helm template leaves the namespace out; helm install puts the objects where the page's
    # kubectl commands make these two.
    "Secret default/api-example-com-tls": "made by `kubectl create secret tls` on docs/helm.md",
    "ConfigMap default/client-ca": "made by `kubectl create configmap` on docs/helm.md",
}


def objects_by_page() -> dict[str, list]:
    pages: dict[str, list] = defaultdict(list)
    for block in collect():
        if owner(block) in {"manifest", "helm-rendered"}:
            pages[block.page] += checks.validated(block)
    return pages


PAGES = objects_by_page()


def allowed(message: str) -> bool:
    return any(message.startswith(f"{name} is not among") for name in CREATED_ELSEWHERE)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_references_resolve(page: str) -> None:
    problems = [str(p) for p in lint_objects(PAGES[page]) if not allowed(p.message)]
    assert not problems, "\n".join(problems)


def test_exceptions_are_still_needed() -> None:
    # An entry no page refers to any more must be removed, so the list cannot rot.
    used = {
        name
        for objects in PAGES.values()
        for p in lint_objects(objects)
        for name in CREATED_ELSEWHERE
        if p.message.startswith(f"{name} is not among")
    }
    assert used == set(CREATED_ELSEWHERE)

"""Whatever the text, the engine answers with problems, never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtls_guide.checks import validator

HEADS = [
    "apiVersion: v1\nkind: Secret\n",
    "apiVersion: v1\nkind: ConfigMap\n",
    "apiVersion: v1\nkind: Service\n",
    "apiVersion: apps/v1\nkind: Deployment\n",
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n",
    "",
]
TOKENS = [
    "metadata:", "spec:", "data:", "binaryData:", "ports:", "selector:", "listeners:",
    "name:", "port:", "- ", "  ", "\n", "{", "}", "[", "]", ",", ":", "&a ", "*a", "<<: ",
    "!!binary ", "!!timestamp ", "!!set ", "~", "true", "1", "-1", "70000", "x", "a.b",
    "'q'", '"\\u00ff"', "\ufeff", "---\n", "...\n", "#c", "\t", "|\n  ", "?",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(HEADS), st.lists(st.sampled_from(TOKENS), max_size=40))
def test_any_text_gives_problems_not_exceptions(head: str, tokens: list[str]) -> None:
    for obj in validator("standard").check_text(head + "".join(tokens), "fuzz.yaml"):
        for problem in obj.problems:
            assert str(problem)

"""cert-manager's own validation tests, run against our webhook stage.

tests/fixtures/upstream-certmanager/*.yaml hold every case of the table-driven
tests in cert-manager v1.21.1's internal/apis/certmanager/validation/*_test.go
(test function, case name, the Go function called, its input as v1 JSON, the
expected field errors as Go renders them). Each case must give exactly those
errors (in order where the Go test compares in order), or be listed in
DISAGREEMENTS with the reason. The score is printed.
"""

from __future__ import annotations

import base64
import datetime
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mtls_guide.validator.errors import FieldError
from mtls_guide.validator.webhooks import certmanager_certificate as certificate
from mtls_guide.validator.webhooks import certmanager_issuer as issuer

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "upstream-certmanager"
Run = Callable[[Any, Any, frozenset[str]], tuple[list[FieldError], list[str]]]


def _errors(check: Callable[..., list[FieldError]], use_spec: bool = False) -> Run:
    def run(value: Any, path: Any, _features: frozenset[str]) -> tuple[list[FieldError], list[str]]:
        return check(value["spec"] if use_spec else value, path), []

    return run


FUNCTIONS: dict[str, Run] = {
    "ValidateCertificate": lambda v, _p, f: (certificate.validate_certificate(v, f), []),
    "ValidateDuration": _errors(certificate.validate_duration, use_spec=True),
    "validateAdditionalOutputFormats": _errors(certificate.additional_output_formats),
    "ValidateVaultIssuerConfig": _errors(issuer.vault_issuer),
    "ValidateVaultIssuerAuth": _errors(issuer.vault_auth),
    "ValidateACMEIssuerConfig": lambda v, p, _f: (
        issuer.acme_issuer(v, p),
        issuer.acme_warnings(v),
    ),
    "ValidateIssuerSpec": lambda v, p, _f: (issuer.issuer_config(v, p), issuer.issuer_warnings(v)),
    "ValidateACMEIssuerChallengeSolverHTTP01Config": _errors(issuer.http01),
    "ValidateACMEChallengeSolverDNS01": _errors(issuer.dns01),
    "ValidateSecretKeySelector": _errors(issuer.secret_key_selector),
    "ValidateVenafiIssuerConfig": _errors(issuer.venafi_issuer),
    "ValidateVenafiTPP": _errors(issuer.venafi_tpp),
    "ValidateVenafiNGTS": _errors(issuer.venafi_ngts),
}

# (test function, case name) -> why we differ, proven from the Go source.
DISAGREEMENTS: dict[tuple[str, str], str] = {}


def load_cases() -> list[dict[str, Any]]:
    cases = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        cases += [dict(c, file=path.name) for c in data["cases"]]
    return cases


CASES = load_cases()


def ca_bundle() -> str:
    """A CA certificate made now, base64 as a []byte field is in JSON (no key is kept)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode()


def expand(value: Any) -> Any:
    """Fixture shorthands: ``$generate: ca-bundle`` and ``$repeat`` (a 256 KiB value)."""
    if isinstance(value, dict):
        if value.get("$generate") == "ca-bundle":
            return ca_bundle()
        if "$repeat" in value:
            return value["$repeat"] * value["times"]
        return {k: expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v) for v in value]
    return value


def features(case: dict[str, Any]) -> frozenset[str]:
    gates = set(certificate.DEFAULT_FEATURES)
    for gate, enabled in (case.get("features") or {}).items():
        (gates.add if enabled else gates.discard)(gate)
    return frozenset(gates)


def run_case(case: dict[str, Any]) -> tuple[list[str], list[str]]:
    path = None if case["path"] is None else (case["path"],)
    errors, warnings = FUNCTIONS[case["function"]](expand(case["input"]), path, features(case))
    return [f"{e.field}: {e.detail}" for e in errors], warnings


def _pattern(expected: str) -> re.Pattern[str]:
    # Go prints internal struct values with %#v; the fixtures write <struct> for them.
    return re.compile(".*".join(re.escape(part) for part in expected.split("<struct>")) + "$")


def agrees(case: dict[str, Any]) -> tuple[bool, str]:
    found, warnings = run_case(case)
    if "contains" in case:
        return any(case["contains"] in f for f in found), f"found {found}"
    expected = list(case["errors"])
    if not case.get("ordered", True):
        found, expected = sorted(found), sorted(expected)
    same = len(found) == len(expected) and all(
        _pattern(e).match(f) for e, f in zip(expected, found, strict=True)
    )
    same = same and warnings == (case.get("warnings") or [])
    return (
        same,
        f"expected {expected} and warnings {case.get('warnings')}, found {found} and {warnings}",
    )


def _id(case: dict[str, Any]) -> str:
    return f"{case['test']}/{case['case']}"


def _marks(case: dict[str, Any]) -> list[pytest.MarkDecorator]:
    reason = DISAGREEMENTS.get((case["test"], case["case"]))
    return [pytest.mark.xfail(reason=reason, strict=True)] if reason else []


@pytest.mark.parametrize("case", [pytest.param(c, id=_id(c), marks=_marks(c)) for c in CASES])
def test_upstream_case(case: dict[str, Any]) -> None:
    same, detail = agrees(case)
    assert same, detail


def test_score(capsys: pytest.CaptureFixture[str]) -> None:
    results = [agrees(c)[0] for c in CASES]
    agree = sum(results)
    with capsys.disabled():
        print(
            f"\ncert-manager v1.21.1 webhook tables: {agree}/{len(CASES)} cases agree, "
            f"{len(DISAGREEMENTS)} listed with a reason"
        )
    assert len(CASES) >= 230
    assert agree == len(CASES) - len(DISAGREEMENTS)


def test_a_wrong_expectation_is_caught() -> None:
    case = next(c for c in CASES if c["errors"] and c["function"] == "ValidateDuration")
    broken = dict(case, errors=[e.replace("must be", "should be") for e in case["errors"]])
    assert agrees(case)[0]
    assert not agrees(broken)[0]


# Where each Go function's input sits in the pinned CRDs: (kind, JSON path to its schema).
INPUT_SCHEMAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ValidateCertificate": ("Certificate", ()),
    "ValidateDuration": ("Certificate", ()),
    "validateAdditionalOutputFormats": ("Certificate", ("spec",)),
    "ValidateVaultIssuerConfig": ("Issuer", ("spec", "vault")),
    "ValidateVaultIssuerAuth": ("Issuer", ("spec", "vault", "auth")),
    "ValidateACMEIssuerConfig": ("Issuer", ("spec", "acme")),
    "ValidateIssuerSpec": ("Issuer", ("spec",)),
    "ValidateACMEIssuerChallengeSolverHTTP01Config": (
        "Issuer",
        ("spec", "acme", "solvers", "http01"),
    ),
    "ValidateACMEChallengeSolverDNS01": ("Issuer", ("spec", "acme", "solvers", "dns01")),
    "ValidateSecretKeySelector": ("Issuer", ("spec", "acme", "privateKeySecretRef")),
    "ValidateVenafiIssuerConfig": ("Issuer", ("spec", "venafi")),
    "ValidateVenafiTPP": ("Issuer", ("spec", "venafi", "tpp")),
    "ValidateVenafiNGTS": ("Issuer", ("spec", "venafi", "ngts")),
}


def test_fixture_inputs_use_only_fields_of_the_pinned_crds() -> None:
    """The Go-to-JSON field names of the conversion are the CRDs' own (no invented field passes)."""
    from mtls_guide.checks import validator
    from mtls_guide.validator.schema import unknown_fields

    index = validator().index
    unknown = []
    for case in CASES:
        kind, path = INPUT_SCHEMAS[case["function"]]
        crd = index.lookup("cert-manager.io", "v1", kind)
        assert crd is not None
        schema = crd.schema
        for name in path:
            schema = schema["properties"][name]
            schema = schema.get("items", schema)
        unknown += [(_id(case), p) for p in unknown_fields(expand(case["input"]), schema)]
    assert unknown == []
    # and the check sees a Go field name that was not converted (ACMEIssuer.PrivateKey)
    acme = index.lookup("cert-manager.io", "v1", "Issuer").schema["properties"]["spec"]
    assert unknown_fields({"privateKey": {"name": "a"}}, acme["properties"]["acme"]) == [
        ("privateKey",)
    ]

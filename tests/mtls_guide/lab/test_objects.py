"""The lab as the reader's cluster: objects applied at run time take effect (Envoy is not
restarted), status reads like Envoy Gateway v1.9.0's, an invalid CA fails closed, and a
SecurityPolicy authorizes by the client certificate's URI SAN."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mtls_guide import mtls_certs as mc
from mtls_guide.lab import client as lab_client
from mtls_guide.lab import objects
from mtls_guide.lab.runner import Lab, LabError
from mtls_guide.paths import ROOT

HOST = "secure.example.com"
NEW_CLIENT = "spiffe://example.org/client-b"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with Lab(tmp_path_factory.mktemp("objects")) as running:
        yield running


def port(lab: Lab) -> int:
    return int(lab.environment()["TERMINATE_PORT"])


def outcome(lab: Lab, client: mc.Issued | None) -> int | str:
    """The HTTP status, or "refused" when the handshake fails."""
    try:
        status, _ = lab_client.fetch(lab, port(lab), client, HOST)
    except (ssl.SSLError, OSError, http.client.HTTPException):
        return "refused"
    return status


def ca_config_map(*cas: mc.Issued, key: str = "ca.crt") -> str:
    bundle = "".join(ca.cert_pem().decode() for ca in cas)
    return yaml.safe_dump(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "client-ca", "namespace": "gateway"},
         "data": {key: bundle}}
    )  # fmt: skip


def lab_cli(lab: Lab, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lab.py"), *args, "--workdir", str(lab.workdir)],
        input=stdin, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def conditions(obj: dict) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in obj["conditions"]}


@pytest.fixture(scope="module")
def new_ca() -> mc.Issued:
    return mc.make_ca("next CA")


@pytest.fixture(scope="module")
def new_client(new_ca: mc.Issued) -> mc.Issued:
    return mc.issue_leaf(
        new_ca, "client", mc.Names(dns=["client-b.example.com"], uris=[NEW_CLIENT])
    )


def test_get_shows_accepted_programmed_and_the_address(lab: Lab) -> None:
    done = lab_cli(lab, "get", "gateway", "mtls-terminate", "-n", "gateway", "-o", "yaml")
    assert done.returncode == 0, done.stderr
    status = yaml.safe_load(done.stdout)["status"]
    assert status["addresses"] == [{"type": "IPAddress", "value": "127.0.0.1"}]
    assert conditions(status)["Accepted"] == ("True", "Accepted")
    assert conditions(status)["Programmed"] == ("True", "Programmed")
    (listener,) = status["listeners"]
    assert conditions(listener) == {
        "Accepted": ("True", "Accepted"),
        "Programmed": ("True", "Programmed"),
        "ResolvedRefs": ("True", "ResolvedRefs"),
    }
    assert listener["attachedRoutes"] == 1


def test_jsonpath_is_kubectls(lab: Lab) -> None:
    template = '{range .status.listeners[*]}{.name}{"\\t"}{range .conditions[*]}{.type}={.status} {end}{"\\n"}{end}'
    done = lab_cli(
        lab, "get", "gtw", "mtls-terminate", "-n", "gateway", "-o", f"jsonpath={template}"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "https\tProgrammed=True Accepted=True ResolvedRefs=True \n"


def test_rotation_through_applied_config_maps(
    lab: Lab, new_ca: mc.Issued, new_client: mc.Issued
) -> None:
    old_client = lab.pki.client
    done = lab_cli(lab, "apply", "-f", "-", stdin=ca_config_map(lab.pki.ca, new_ca))
    assert done.returncode == 0 and "configmap/client-ca configured" in done.stdout, done.stderr
    assert outcome(lab, old_client) == 200 and outcome(lab, new_client) == 200
    lab.apply_text(json.dumps(yaml.safe_load(ca_config_map(new_ca))), "new-only.json")  # JSON too
    assert outcome(lab, old_client) == "refused" and outcome(lab, new_client) == 200
    lab.apply_text(ca_config_map(lab.pki.ca), "back.yaml")
    assert outcome(lab, old_client) == 200


def ca_text_config_map(text: str, key: str = "ca.crt") -> str:
    return yaml.safe_dump(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "client-ca", "namespace": "gateway"},
         "data": {key: text}}
    )  # fmt: skip


def fails_closed(lab: Lab, config_map: str, message: str) -> None:
    """Applied through `lab apply -f -` as a reader would: the listener is refused with
    Envoy Gateway v1.9.0's reasons (gateway-tls-frontend-backend.out.yaml), its message
    says why, and the lab's own client certificate no longer gets in."""
    done = lab_cli(lab, "apply", "-f", "-", stdin=config_map)
    try:
        assert done.returncode == 0, done.stderr
        listener = lab.get("Gateway", "gateway", "mtls-terminate")["status"]["listeners"][0]
        assert conditions(listener) == {
            "ResolvedRefs": ("False", "InvalidCACertificateRef"),
            "Programmed": ("False", "InvalidCACertificateRef"),
            "Accepted": ("False", "NoValidCACertificate"),
        }
        for condition in listener["conditions"]:
            assert condition["message"].startswith(
                "Listener has invalid caCertificateRef for frontend TLS validation: "
            )
            assert message in condition["message"], condition["message"]
        assert outcome(lab, lab.pki.client) == "refused"  # fails closed
        assert outcome(lab, None) == "refused"
    finally:
        lab.apply_text(ca_config_map(lab.pki.ca), "back.yaml")
    assert outcome(lab, lab.pki.client) == 200


def test_config_map_without_ca_crt_fails_closed(lab: Lab) -> None:
    """The lab reads `ca.crt` only, the key the Gateway API names: no fallback to another key."""
    fails_closed(lab, ca_config_map(lab.pki.ca, key="ca.pem"), "no ca.crt")


def private_key_pem() -> str:
    return mc.make_ca("not a CA").key_pem().decode()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("a private key", "PEM block 1 is a PRIVATE KEY, not a CERTIFICATE"),
        ("the CA and a private key", "PEM block 2 is a PRIVATE KEY, not a CERTIFICATE"),
        ("the CA and a junk block", "PEM block 2 is not a valid X.509 certificate"),
        ("text", "no ca.crt with a PEM block"),
    ],
)
def test_ca_crt_that_is_not_certificates_fails_closed(lab: Lab, case: str, message: str) -> None:
    ca = lab.pki.ca.cert_pem().decode()
    junk = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
    text = {
        "a private key": private_key_pem(),
        "the CA and a private key": ca + private_key_pem(),
        "the CA and a junk block": ca + junk,
        "text": "this is not a certificate\n",
    }[case]
    fails_closed(lab, ca_text_config_map(text), message)


def test_deleted_config_map_names_the_missing_object(lab: Lab) -> None:
    text = ca_config_map(lab.pki.ca)
    lab.delete_text(text, "client-ca.yaml")
    try:
        gateway = lab.get("Gateway", "gateway", "mtls-terminate")["status"]
        assert conditions(gateway)["ResolvedRefs"] == ("False", "InvalidParameters")
        message = gateway["listeners"][0]["conditions"][0]["message"]
        assert message == (
            "Listener has invalid caCertificateRef for frontend TLS validation: "
            "configmap client-ca not found in namespace gateway"
        )
        assert outcome(lab, lab.pki.client) == "refused"
    finally:
        lab.apply_text(text, "client-ca.yaml")


def all_conditions(status: object) -> list[dict]:
    """Every condition anywhere in a status (Gateway, listeners, parents, ancestors)."""
    if isinstance(status, list):
        return [c for item in status for c in all_conditions(item)]
    if not isinstance(status, dict):
        return []
    found = list(status.get("conditions", []))
    return found + [c for k, v in status.items() if k != "conditions" for c in all_conditions(v)]


def gateway_yaml(lab: Lab) -> dict:
    done = lab_cli(lab, "get", "gateway", "mtls-terminate", "-n", "gateway", "-o", "yaml")
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def transition_times(gateway: dict) -> dict[tuple[str, str], str]:
    """(listener name, or "" for the Gateway, condition type) -> lastTransitionTime."""
    status = gateway["status"]
    owners = [("", status), *((lst["name"], lst) for lst in status["listeners"])]
    return {
        (name, c["type"]): c["lastTransitionTime"] for name, o in owners for c in o["conditions"]
    }


GATEWAY = (ROOT / "snippets" / "terminate" / "gateway.yaml").read_text()


def test_conditions_carry_the_generation_and_when_they_last_changed(lab: Lab) -> None:
    """observedGeneration is the object's metadata.generation; lastTransitionTime is an RFC 3339
    time that moves only when the condition's status does."""
    for key in list(lab.store.objects):
        obj = lab.get(*key)
        for condition in all_conditions(obj.get("status")):
            assert condition["observedGeneration"] == obj["metadata"]["generation"], (
                key,
                condition,
            )
            when = dt.datetime.fromisoformat(condition["lastTransitionTime"])
            assert condition["lastTransitionTime"].endswith("Z") and when.tzinfo is not None
            assert abs(dt.datetime.now(dt.UTC) - when) < dt.timedelta(hours=1), condition
    first = gateway_yaml(lab)
    time.sleep(1.1)  # the times have a resolution of a second
    lab_cli(lab, "apply", "-f", "-", stdin=GATEWAY)  # unchanged: nothing moves
    assert gateway_yaml(lab) == first
    changed = GATEWAY.replace("mode: AllowValidOnly", "mode: AllowInsecureFallback")
    assert changed != GATEWAY
    try:
        lab_cli(lab, "apply", "-f", "-", stdin=changed)
        second = gateway_yaml(lab)
        generation = first["metadata"]["generation"] + 1
        assert second["metadata"]["generation"] == generation
        assert {c["observedGeneration"] for c in all_conditions(second["status"])} == {generation}
        before, after = transition_times(first), transition_times(second)
        # The mode adds Envoy Gateway's InsecureFrontendValidationMode condition; no other moves.
        (added,) = set(after) - set(before)
        assert added == ("", "InsecureFrontendValidationMode") and after[added] > max(
            before.values()
        )
        assert {k: v for k, v in after.items() if k != added} == before
        lab.apply_text(ca_config_map(lab.pki.ca, key="ca.pem"), "wrong-key.yaml")
        third = transition_times(gateway_yaml(lab))
        moved = {k for k in third if third[k] != after[k]}
        # The listener's three conditions and the Gateway's ResolvedRefs turn False.
        assert moved == {
            ("", "ResolvedRefs"),
            *(("https", t) for t in ("Accepted", "Programmed", "ResolvedRefs")),
        }, third
    finally:
        lab.apply_text(ca_config_map(lab.pki.ca), "back.yaml")
        lab.apply_text(GATEWAY, "gateway.yaml")
    assert outcome(lab, None) == "refused"


AUTHZ = (ROOT / "snippets" / "lab" / "authorize.yaml").read_text()  # docs/lab.md's policy


def test_security_policy_allows_one_uri_san(
    lab: Lab, new_ca: mc.Issued, new_client: mc.Issued
) -> None:
    lab.apply_text(ca_config_map(lab.pki.ca, new_ca), "both.yaml")
    lab.apply_text(AUTHZ, "authz.yaml")
    try:
        assert outcome(lab, lab.pki.client) == 200  # spiffe://example.org/client-a
        assert outcome(lab, new_client) == 403  # trusted too, but another URI SAN
        (ancestor,) = lab.get("SecurityPolicy", "gateway", "only-client-a")["status"]["ancestors"]
        assert ancestor["ancestorRef"]["name"] == "mtls-terminate"
        assert conditions(ancestor)["Accepted"] == ("True", "Accepted")
        lab.delete_text(AUTHZ, "authz.yaml")
        assert outcome(lab, new_client) == 200  # the policy is gone: both clients again
    finally:
        with contextlib.suppress(LabError):  # already deleted when the test got that far
            lab.delete_text(AUTHZ, "authz.yaml")
        lab.apply_text(ca_config_map(lab.pki.ca), "back.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (AUTHZ.replace("cel: connection", "cel: connection.("), "spec.authorization.rules[0].cel:"),
        (
            AUTHZ.replace(
                "  authorization:",
                "  cors: {allowOrigins: ['https://a.example']}\n  authorization:",
            ),
            "spec.cors: the lab maps authorization only",
        ),
        (
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n",
            "kind Service: the lab maps",
        ),
    ],
    ids=["broken-cel", "unmapped-field", "unkept-kind"],
)
def test_refusals_are_one_line_naming_the_field(lab: Lab, text: str, message: str) -> None:
    done = lab_cli(lab, "apply", "-f", "-", stdin=text)
    assert done.returncode == 1 and message in done.stderr and done.stderr.count("\n") == 1, (
        done.stderr
    )
    with pytest.raises(LabError):
        lab.apply_text(text, "x.yaml")
    assert outcome(lab, lab.pki.client) == 200  # nothing changed


@pytest.mark.parametrize("command", ["apply", "delete"])
def test_invalid_utf8_is_refused_as_the_validator_refuses_it(lab: Lab, command: str) -> None:
    """kubectl's YAML decoder refuses invalid UTF-8; the lab used to replace the byte and apply."""
    body = b'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: latin1, namespace: gateway}\ndata: {a: "\xff"}\n'
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lab.py"), command, "-f", "-", "--workdir", str(lab.workdir)],
        input=body, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert (
        done.returncode == 1
        and done.stderr == b"error: <stdin>: not UTF-8 text (byte 87 is 0xff)\n"
    )
    assert ("ConfigMap", "gateway", "latin1") not in lab.store.objects


def test_cli_without_a_running_lab(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lab.py"), "get", "gateway", "x", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (
        done.returncode == 1 and "no lab is running" in done.stderr and done.stderr.count("\n") == 1
    )


def test_invalid_client_traffic_policy_answers_500(lab: Lab) -> None:
    """Envoy Gateway keeps the listener but fails every request
    (golden case clienttrafficpolicy-mtls-cert-bundle-both-invalid)."""
    original = (ROOT / "snippets" / "terminate" / "envoy-gateway-xfcc.yaml").read_text()
    broken = original.replace(
        "  headers:",
        "  tls:\n    clientValidation:\n      caCertificateRefs: [{kind: ConfigMap, name: nowhere}]\n  headers:",
    )
    lab.apply_text(broken, "broken-policy.yaml")
    try:
        (ancestor,) = lab.get("ClientTrafficPolicy", "gateway", "forward-client-identity")[
            "status"
        ]["ancestors"]
        assert conditions(ancestor)["Accepted"] == ("False", "Invalid")
        assert outcome(lab, lab.pki.client) == 500
    finally:
        lab.apply_text(original, "envoy-gateway-xfcc.yaml")
    assert outcome(lab, lab.pki.client) == 200


def test_oversized_input_is_refused_in_one_line(lab: Lab) -> None:
    done = lab_cli(lab, "apply", "-f", "-", stdin="#" * (5 * 1024 * 1024))
    assert done.returncode == 1 and "more than" in done.stderr and done.stderr.count("\n") == 1, (
        done.stderr[:200]
    )


def test_objects_are_named_as_kubectl_names_them() -> None:
    # kubectl prints `kind.group/name created` (and the bare kind for the core group); the
    # pages show the lab's lines as what a cluster prints, so they must be the same.
    assert objects.kubectl_kind("Gateway") == "gateway.gateway.networking.k8s.io"
    assert (
        objects.kubectl_kind("ClientTrafficPolicy") == "clienttrafficpolicy.gateway.envoyproxy.io"
    )
    assert objects.kubectl_kind("ConfigMap") == "configmap"
    assert objects.kubectl_kind("BackendTLSPolicy") == "backendtlspolicy.gateway.networking.k8s.io"


def test_a_refused_object_names_its_source_once() -> None:
    # The validator's problems already start with `SOURCE:LINE:`; the lab adds nothing to them.
    from mtls_guide.checks import validator

    bad = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: A_b}\n"
    with pytest.raises(LabError) as refused:
        objects.checked(bad, "<stdin>", validator("standard"))
    assert str(refused.value).startswith("<stdin>:3: ConfigMap/A_b: metadata.name: Invalid value")

"""Built-in kinds in the API server's own words, case by case against the Go source of
Kubernetes 1.35 (apimachinery content/kube.go, content/dns.go, util/validation, api/validation
objectmeta.go, meta/v1/validation; pkg/apis/core/validation for Secret, ConfigMap, Service).
Each case is a manifest the server refuses (or accepts), with the exact lines it returns."""

from __future__ import annotations

import pytest

from mtls_guide.checks import validator
from mtls_guide.validator.errors import go_quote
from mtls_guide.validator.gojson import MAP_TYPE, unmarshal_map_error
from mtls_guide.validator.meta import DNS1035_MSG, LABEL_MSG, LABEL_VALUE_MSG, SUBDOMAIN_MSG

KEY_NAME_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
TOO_LONG_63 = "must be no more than 63 characters"


def problems(text: str) -> list[str]:
    return [
        f"{p.field}: {p.message}" if p.field else f": {p.message}"
        for obj in validator("standard").check_text(text, "test.yaml")
        for p in obj.problems
    ]


def service(ports: str, name: str = "web") -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n"
        f"spec:\n  selector: {{app: web}}\n  ports:\n{ports}"
    )


# -- Service: IsValidPortNum, SetDefaults_Service, IsValidPortName, DNS-1035 names ----------------


def test_port_zero_is_out_of_range_not_missing() -> None:
    assert problems(service("  - {port: 0, targetPort: 8080}\n")) == [
        "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"
    ]


def test_a_port_left_out_is_port_zero_to_the_server() -> None:
    # no OpenAPI "required" on built-in kinds: the Go zero value meets the Go rule
    assert problems(service("  - {targetPort: 8080}\n")) == [
        "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"
    ]


def test_the_same_message_is_given_once() -> None:
    # ErrorList.ToAggregate drops repeats (the schema and the Go rule both want a selector)
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n"
        "    metadata: {labels: {app: a}}\n    spec: {containers: [{name: c, image: i}]}\n"
    )
    assert problems(text) == ["spec.selector: Required value"]


@pytest.mark.parametrize("target", ["0", '""'])
def test_target_port_zero_or_empty_defaults_to_the_port(target: str) -> None:
    assert problems(service(f"  - {{port: 80, targetPort: {target}}}\n")) == []
    # with port 0 as well, the defaulted targetPort is out of range too
    assert problems(service(f"  - {{port: 0, targetPort: {target}}}\n")) == [
        "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
    ]


@pytest.mark.parametrize(
    ("target", "messages"),
    [
        ("http", []),
        ("Web", ["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"]),
        (
            "--80",  # Go's order: charset, letter, consecutive hyphens, begin/end
            [
                "must contain at least one letter (a-z)",
                "must not contain consecutive hyphens",
                "must not begin or end with a hyphen",
            ],
        ),
        ("a-very-long-port-name", ["must be no more than 15 characters"]),
    ],
)
def test_named_target_port_rules_in_go_order(target: str, messages: list[str]) -> None:
    assert problems(service(f"  - {{port: 80, targetPort: {target}}}\n")) == [
        f'spec.ports[0].targetPort: Invalid value: "{target}": {m}' for m in messages
    ]


def test_port_names_are_required_unique_dns_labels() -> None:
    ports = (
        "  - {name: http, port: 80}\n  - {name: http, port: 81}\n"
        "  - {name: Bad_Name, port: 82}\n  - {port: 83}\n"
    )
    assert problems(service(ports)) == [
        'spec.ports[1].name: Duplicate value: "http"',
        f'spec.ports[2].name: Invalid value: "Bad_Name": {LABEL_MSG}',
        "spec.ports[3].name: Required value",
    ]


def test_service_name_is_a_dns_1035_label_too_long_first() -> None:
    long_name = "9" + "a" * 63
    assert problems(service("  - {port: 80}\n", name=long_name)) == [
        f'metadata.name: Invalid value: "{long_name}": {TOO_LONG_63}',
        f'metadata.name: Invalid value: "{long_name}": {DNS1035_MSG}',
    ]
    assert problems(service("  - {port: 80}\n", name="web.a")) == [
        f'metadata.name: Invalid value: "web.a": {DNS1035_MSG}'
    ]


# -- names, keys and values too long: the length message alone when only the length is wrong ----

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: NAME\n"


def test_a_name_longer_than_253_is_only_too_long() -> None:
    name = ("a" * 60 + ".") * 4 + "a" * 10  # 254 characters, a valid subdomain otherwise
    assert problems(CONFIGMAP.replace("NAME", name)) == [
        f'metadata.name: Invalid value: "{name}": must be no more than 253 characters'
    ]
    bad = name.upper()
    assert problems(CONFIGMAP.replace("NAME", bad)) == [
        f'metadata.name: Invalid value: "{bad}": must be no more than 253 characters',
        f'metadata.name: Invalid value: "{bad}": {SUBDOMAIN_MSG}',
    ]


def test_label_keys_and_values_report_at_the_map_with_the_bad_text() -> None:
    value, key = "v" * 64, "k" * 64
    text = CONFIGMAP.replace("NAME", "c") + f"  labels: {{{key}: ok, app: {value}, a/b/c: x}}\n"
    assert problems(text) == [
        f'metadata.labels: Invalid value: "{key}": name part {TOO_LONG_63}',
        f'metadata.labels: Invalid value: "{value}": {TOO_LONG_63}',
        'metadata.labels: Invalid value: "a/b/c": a valid label key '
        + KEY_NAME_MSG.removeprefix("name part ")
        + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ]
    bad = CONFIGMAP.replace("NAME", "c") + "  labels: {app: -bad}\n"
    assert problems(bad) == [f'metadata.labels: Invalid value: "-bad": {LABEL_VALUE_MSG}']


def test_label_key_prefix_and_name_parts() -> None:
    text = CONFIGMAP.replace("NAME", "c") + "  labels: {/x: a, Example.com/y: b, 'z/': c}\n"
    assert problems(text) == [
        'metadata.labels: Invalid value: "/x": prefix part must be non-empty',
        f'metadata.labels: Invalid value: "Example.com/y": prefix part {SUBDOMAIN_MSG}',
        'metadata.labels: Invalid value: "z/": name part must be non-empty',
        f'metadata.labels: Invalid value: "z/": {KEY_NAME_MSG}',
    ]


def test_annotations_keys_ignore_case_and_the_total_is_256_kib() -> None:
    text = CONFIGMAP.replace("NAME", "c") + "  annotations: {Example.COM/Key: v, 'bad key': v}\n"
    assert problems(text) == [f'metadata.annotations: Invalid value: "bad key": {KEY_NAME_MSG}']
    big = CONFIGMAP.replace("NAME", "c") + f"  annotations: {{a: {'x' * (256 * 1024)}}}\n"
    assert problems(big) == ["metadata.annotations: Too long: must have at most 262144 bytes"]
    fits = CONFIGMAP.replace("NAME", "c") + f"  annotations: {{a: {'x' * (256 * 1024 - 1)}}}\n"
    assert problems(fits) == []


def test_config_keys_too_long_or_badly_formed() -> None:
    key = "k" * 254
    text = CONFIGMAP.replace("NAME", "c") + f"data: {{{key}: v, 'a b': v}}\n"
    assert problems(text) == [
        f'data[{key}]: Invalid value: "{key}": must be no more than 253 characters',
        'data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric '
        "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex "
        "used for validation is '[-._a-zA-Z0-9]+')",
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("team.a", "must not contain dots"),  # a subdomain that is no label: only its dots
        ("Team.a", LABEL_MSG),
        ("t" * 64, TOO_LONG_63),
    ],
)
def test_namespace_names_with_dots(name: str, message: str) -> None:
    text = f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n"
    assert problems(text) == [f'metadata.name: Invalid value: "{name}": {message}']
    namespaced = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, namespace: {name}}}\n"
    assert problems(namespaced) == [f'metadata.namespace: Invalid value: "{name}": {message}']


# -- ConfigMap and Secret --------------------------------------------------------------------------


def test_configmap_key_in_both_bags_is_reported_once() -> None:
    text = CONFIGMAP.replace("NAME", "c") + "data: {k: v}\nbinaryData: {k: dg==}\n"
    assert problems(text) == ['data[k]: Invalid value: "k": duplicate of key present in binaryData']


def test_configmap_and_secret_over_one_mebibyte() -> None:
    blob = "x" * (1024 * 1024 + 1)
    assert problems(CONFIGMAP.replace("NAME", "c") + f"data: {{k: {blob}}}\n") == [
        ": Too long: must have at most 1048576 bytes"  # the whole object: an empty path
    ]
    secret = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\nstringData: {{k: {blob}}}\n"
    assert problems(secret) == ["data: Too long: must have at most 1048576 bytes"]


SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: TYPE\n"


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        (
            "kubernetes.io/tls",
            "",
            ["data[tls.crt]: Required value", "data[tls.key]: Required value"],
        ),
        ("kubernetes.io/tls", "stringData: {tls.crt: c}\n", ["data[tls.key]: Required value"]),
        # Go builds these two paths with NewPath("data[%s]"), so the server prints it literally
        (
            "kubernetes.io/basic-auth",
            "",
            ["data[%s][username]: Required value", "data[%s][password]: Required value"],
        ),
        ("kubernetes.io/basic-auth", "stringData: {password: p}\n", []),
        (
            "kubernetes.io/ssh-auth",
            "stringData: {ssh-privatekey: ''}\n",
            ["data[%s][ssh-privatekey]: Required value"],
        ),
        ("kubernetes.io/ssh-auth", "stringData: {ssh-privatekey: k}\n", []),
        ("kubernetes.io/dockerconfigjson", "", ["data[.dockerconfigjson]: Required value"]),
        ("kubernetes.io/dockercfg", "", ["data[.dockercfg]: Required value"]),
        (
            "kubernetes.io/dockerconfigjson",
            "stringData: {.dockerconfigjson: '{auths: {}}'}\n",
            [
                'data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": '
                "invalid character 'a' looking for beginning of object key string"
            ],
        ),
        (
            "kubernetes.io/dockercfg",
            "data: {.dockercfg: W10=}\n",  # "[]"
            [
                'data[.dockercfg]: Invalid value: "<secret contents redacted>": '
                f"json: cannot unmarshal array into Go value of type {MAP_TYPE}"
            ],
        ),
        ("kubernetes.io/dockerconfigjson", "stringData: {.dockerconfigjson: '{}'}\n", []),
        ("Opaque", "", []),
    ],
)
def test_secret_type_rules(kind: str, body: str, expected: list[str]) -> None:
    assert problems(SECRET.replace("TYPE", kind) + body) == expected


# -- values quoted as Go's %q quotes them ---------------------------------------------------------


@pytest.mark.parametrize(
    ("yaml_name", "quoted"),
    [
        ('"a\\nb"', '"a\\nb"'),
        ('"a\\0b"', '"a\\x00b"'),
        ('"caf\\u00e9"', '"café"'),
        ("'say \"hi\"'", '"say \\"hi\\""'),
        ('"tab\\there"', '"tab\\there"'),
        ('"zero\\u200bwidth"', '"zero\\u200bwidth"'),
        ('"del\\x7f"', '"del\\x7f"'),
    ],
)
def test_names_are_quoted_as_go_quotes_them(yaml_name: str, quoted: str) -> None:
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {yaml_name}}}\n"
    assert problems(text) == [f"metadata.name: Invalid value: {quoted}: {SUBDOMAIN_MSG}"]


def test_a_name_with_a_newline_keeps_the_report_on_one_line() -> None:
    text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "a\\nb"}\n'
    (problem,) = [p for o in validator("standard").check_text(text, "t.yaml") for p in o.problems]
    assert "\n" not in str(problem) and problem.subject == "ConfigMap/a\\nb"


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("plain", '"plain"'),
        ("\a\b\f\n\r\t\v", '"\\a\\b\\f\\n\\r\\t\\v"'),
        ("\x01\x1f\x7f", '"\\x01\\x1f\\x7f"'),
        ("back\\slash", '"back\\\\slash"'),
        ("日本 é", '"日本 é"'),
        ("\u2028\u00ad", '"\\u2028\\u00ad"'),
        ("\U000e0001", '"\\U000e0001"'),
        ("\U0001f600", '"\U0001f600"'),
    ],
)
def test_go_quote(text: str, quoted: str) -> None:
    assert go_quote(text) == quoted


# -- encoding/json's messages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"auths": {"r": {"auth": "eDp5"}}}', None),
        (b"null", None),
        (b"", "unexpected end of JSON input"),
        (b'{"a": [1, 2', "unexpected end of JSON input"),
        (b"x", "invalid character 'x' looking for beginning of value"),
        (b"{'a': 1}", "invalid character '\\'' looking for beginning of object key string"),
        (b'{"a" 1}', "invalid character '1' after object key"),
        (b'{"a": 1 "b"}', "invalid character '\"' after object key:value pair"),
        (b"[1 2]", "invalid character '2' after array element"),
        (b'{"a": 1} {}', "invalid character '{' after top-level value"),
        (b'{"a": tru}', "invalid character '}' in literal true (expecting 'e')"),
        (b'{"a": -}', "invalid character '}' in numeric literal"),
        (b'{"a": 1.}', "invalid character '}' after decimal point in numeric literal"),
        (b'{"a": 1e+}', "invalid character '}' in exponent of numeric literal"),
        (b'{"a": "\\x"}', "invalid character 'x' in string escape code"),
        (b'{"a": "\\u12g4"}', "invalid character 'g' in \\u hexadecimal character escape"),
        (b'{"a": "\x01"}', "invalid character '\\x01' in string literal"),
        (b'"s"', f"json: cannot unmarshal string into Go value of type {MAP_TYPE}"),
        (b"12", f"json: cannot unmarshal number into Go value of type {MAP_TYPE}"),
        (b"true", f"json: cannot unmarshal bool into Go value of type {MAP_TYPE}"),
    ],
)
def test_json_errors_are_go_s(data: bytes, message: str | None) -> None:
    assert unmarshal_map_error(data) == message


def test_selector_expressions_check_keys_and_values() -> None:
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n"
        "  selector:\n    matchLabels: {app: a}\n    matchExpressions:\n"
        "    - {key: 'bad key', operator: In, values: [ok, -bad]}\n"
        "  template:\n    metadata: {labels: {app: a}}\n"
        "    spec: {containers: [{name: c, image: i}]}\n"
    )
    where = "spec.selector.matchExpressions[0]"
    assert problems(text) == [
        f'{where}.values[1]: Invalid value: "-bad": {LABEL_VALUE_MSG}',
        f'{where}.key: Invalid value: "bad key": {KEY_NAME_MSG}',
        'spec.template.metadata.labels: Invalid value: {"app":"a"}: '
        "`selector` does not match template `labels`",
    ]

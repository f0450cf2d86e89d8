"""The Go library behaviour the webhook rules rely on: nameserver, IP, mail, cron, RFC 4514, names."""

from __future__ import annotations

import pytest

from mtls_guide.validator.webhooks import k8snames
from mtls_guide.validator.webhooks.cron import cron_error
from mtls_guide.validator.webhooks.gonet import mail_address_error, mail_address_only, parse_ip
from mtls_guide.validator.webhooks.nameserver import valid_nameserver
from mtls_guide.validator.webhooks.rdn import UNKNOWN, parse_rdn_sequence

# cert-manager v1.21.1, internal/apis/certmanager/validation/util/nameserver_test.go,
# TestValidNameserver: (case name, nameserver, sanitised result or None for an error)
NAMESERVERS = [
    ("IPv4 with no port should return port 53", "8.8.8.8", "8.8.8.8:53"),
    ("IPv4 with : but no port number should return port 53", "8.8.8.8:", "8.8.8.8:53"),
    ("IPv4 with port number should return the same", "8.8.8.8:5353", "8.8.8.8:5353"),
    ("IPv6 with no port should return port 53", "[2001:db8::1]", "[2001:db8::1]:53"),
    ("IPv6 with : but no port number should return port 53", "[2001:db8::1]:", "[2001:db8::1]:53"),
    ("IPv6 with port number should return the same", "[2001:db8::1]:5353", "[2001:db8::1]:5353"),
    ("DNS name with no port should return port 53", "nameserver.com", "nameserver.com:53"),
    (
        "DNS name with : but no port number should return port 53",
        "nameserver.com:",
        "nameserver.com:53",
    ),
    (
        "DNS name with port number should return the same",
        "nameserver.com:5353",
        "nameserver.com:5353",
    ),
    ("Non unenclosed IPv6 should error", "2001:db8::1:5353", None),
    ("Port only should error", ":53", None),
    ("Empty nameserver should error", "", None),
]


@pytest.mark.parametrize(("name", "text", "want"), NAMESERVERS, ids=[n[0] for n in NAMESERVERS])
def test_nameserver_like_cert_manager(name: str, text: str, want: str | None) -> None:
    assert valid_nameserver(text) == want


@pytest.mark.parametrize(
    ("text", "ok"),
    [("127.0.0.1", True), ("::1", True), ("::ffff:10.0.0.1", True), ("blah", False),
     ("10.0.0.256", False), ("010.0.0.1", False), ("fe80::1%eth0", False), ("10.0.0.0/8", False)],
)  # fmt: skip
def test_ip_like_go(text: str, ok: bool) -> None:
    assert parse_ip(text) is ok


def test_mail_addresses() -> None:
    assert mail_address_error("alice@example.com") is None
    assert mail_address_only("alice@example.com")
    assert mail_address_error("Alice <alice@example.com>") is None
    assert not mail_address_only("Alice <alice@example.com>")
    assert mail_address_error("alice.example.com") == "mail: missing '@' or angle-addr"
    assert mail_address_error("mailto:alice@example.com") == "mail: expected comma"


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("0 12 * * *", None),
        ("@daily", None),
        ("CRON_TZ=UTC 0 12 * * 1-5", None),
        ("CRON_TZ=UTC", "expected timezone prefix to be followed by a cron spec: CRON_TZ=UTC"),
        ("0 12 * *", "expected exactly 5 fields, found 4: [0 12 * *]"),
        ("0 24 * * *", "end of range (24) above maximum (23): 24"),
        ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ],
)
def test_cron(spec: str, problem: str | None) -> None:
    expected = f"failed to parse cron spec '{spec}': {problem}" if problem else None
    assert cron_error(spec) == expected


def test_rdn_sequence() -> None:
    attributes, problem = parse_rdn_sequence(r"CN=James \"Jim\" Smith\, III,DC=dc,O=Acme+OU=IT")
    assert problem is None
    assert attributes == [
        ("CN", 'James "Jim" Smith, III'), ("DC", "dc"), ("O", "Acme"), ("OU", "IT")
    ]  # fmt: skip
    assert parse_rdn_sequence("C=O,B=TX,CN=foo")[0][1] == (UNKNOWN, "TX")
    assert parse_rdn_sequence("2.5.4.3=foo")[0] == [("2.5.4.3", "foo")]
    assert parse_rdn_sequence("CN")[1] is not None


def test_kubernetes_names() -> None:
    assert k8snames.dns1123_subdomain("my-secret") == []
    assert k8snames.dns1123_subdomain("My_Secret") == [k8snames.SUBDOMAIN_MSG]
    assert k8snames.dns1123_subdomain("a" * 254)[0] == "must be no more than 253 characters"
    assert k8snames.qualified_name("example.com/name") == []
    assert k8snames.qualified_name("a/b/c")[0].startswith("a qualified name must consist of")
    assert k8snames.qualified_name("/name") == ["prefix part must be non-empty"]
    assert k8snames.label_value("invalid=chars") == [k8snames.LABEL_VALUE_MSG]
    assert k8snames.validate_annotations({"k": "v" * 262144}, ("a",))[0].detail == (
        "Too long: may not be more than 262144 bytes"
    )

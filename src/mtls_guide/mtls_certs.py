#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = ["cryptography>=44"]
# ///
"""Make mTLS certificates that strict verifiers accept, and explain the ones you have.

Subcommands (each has --help):
  init DIR --dns HOST    a CA, a server and a client certificate, ready for a demo
                         (the client is the guide's: CN client-a, URI SAN
                         spiffe://example.org/client-a, DNS SAN client-a.example.com)
  ca DIR                 a new CA (ca.crt, ca.key)
  server DIR --dns HOST  a server certificate from DIR's CA
  client DIR --dns NAME  a client certificate from DIR's CA
                         (or --uri spiffe://example.org/client-a)
  rotate-ca DIR          a second CA (ca-next) and a bundle trusting both
  revoke DIR CERT        revoke a client certificate and write DIR/ca.crl
  crl DIR                write DIR/ca.crl again (fresh nextUpdate)
  k8s DIR                print the Kubernetes Secret and ConfigMap the guide uses
  inspect FILE...        explain certificates (every one in a bundle) and flag mTLS mistakes

Profile (RFC 5280, checked by cryptography's verifier and `openssl verify`):
ECDSA P-256 keys (RSA 3072 with --key-type rsa; a CA may also be Ed25519),
SHA-256, random serials. CA: critical CA:TRUE with pathlen 0, critical
keyCertSign and cRLSign, at most 10 years. Leaves: 90 days by default and at
most 398, never past their CA's end, critical CA:FALSE, critical
digitalSignature, a SAN always, one non-critical EKU (serverAuth or
clientAuth), subject and authority key identifiers.

Refused: file names (--name, --ca, --server) that are not plain names; DNS
names that are IP addresses (use --ip); validity out of bounds (CA 1-3652
days, leaf 1-398, CRL 1-366) or a leaf outliving its CA; signing with a
certificate that is not a CA (basicConstraints CA:TRUE, keyUsage keyCertSign,
cRLSign for CRLs) or whose key does not match, or an Ed448 CA key (Envoy cannot
verify Ed448); revoking a CA certificate; Kubernetes names that are not DNS-1123
names.

Files are written with one link each, all at once (an unnamed temporary file
linked into place on Linux), private keys with mode 0600. An existing CA key is
never overwritten. Exit status: 0 done; 1 refused (the input is well formed but
conflicts with what exists: a file exists, the CA cannot sign, a check failed);
2 bad input (an argument or an input file that cannot work as given, or a file
operation the system refused).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import errno
import hashlib
import ipaddress
import json
import os
import re
import secrets
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeAlias, TypeVar
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PublicKeyTypes,
)
from cryptography.x509.oid import (
    ExtendedKeyUsageOID,
    NameOID,
    SignatureAlgorithmOID,
)

CA_DAYS, CA_DAYS_MAX = 3650, 3652  # ten years, leap days included
LEAF_DAYS, LEAF_DAYS_MAX = 90, 398  # 398: the CA/Browser Forum ceiling for leaves
# A CRL past its nextUpdate makes openssl and Envoy refuse every client, so 0 is refused;
# beyond a year, a stale CRL that misses newer revocations would still be accepted that long.
CRL_DAYS, CRL_DAYS_MAX = 7, 366
# Start validity a little in the past so a peer whose clock lags still accepts a new certificate.
BACKDATE = dt.timedelta(minutes=5)
LEAF_KEY_TYPES = ("ecdsa", "rsa")
# EdDSA signs without a separate hash. An Ed25519 CA works: openssl and Envoy 1.40 accept the
# client certificates it signs (Web PKI verifiers such as cryptography's refuse EdDSA, and
# `inspect` says so). Ed448 is for the tests only: Envoy 1.40 rejects what it signs.
CA_KEY_TYPES = (*LEAF_KEY_TYPES, "ed25519")
KEY_TYPES = (*CA_KEY_TYPES, "ed448")
RSA_BITS = 3072
# The guide's client identity, what `init` gives the client unless told otherwise: the common
# name, a SPIFFE ID in the guide's trust domain and a DNS name, the last two made from the first.
CLIENT_CN = "client-a"
CLIENT_URI_FORM = "spiffe://example.org/{}"
CLIENT_DNS_FORM = "{}.example.com"
ROLES = {"server": ExtendedKeyUsageOID.SERVER_AUTH, "client": ExtendedKeyUsageOID.CLIENT_AUTH}
# The largest certificate, key, passphrase or revocation file read: a bundle of every public
# root CA is about 250 KB, so anything bigger is not what the tool was pointed at.
MAX_INPUT_BYTES = 4 * 1024 * 1024

SigningKey: TypeAlias = (
    ec.EllipticCurvePrivateKey
    | rsa.RSAPrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
_EXT = TypeVar("_EXT", bound=x509.ExtensionType)


class UsageError(Exception):
    """Bad input: exit 2."""


class Refused(Exception):
    """The request is understood but refused (a file exists, a check failed): exit 1."""


# --- input rules: every check of what a reader passes in -----------------------------------------

_DNS = re.compile(
    r"^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
)
# A plain file name: no folder part, not hidden, no `..`, so every file lands in DIR.
_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$")
_K8S_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def check_stem(name: str) -> str:
    """A file name stem: letters, digits, `-`, `_` and inner dots, so a file cannot leave DIR."""
    if len(name) > 64 or not _STEM.match(name):
        raise UsageError(
            f"{name!r} is not a plain file name (letters, digits, '-', '_', inner dots; no '/')"
        )
    return name


def check_dns(name: str) -> str:
    lowered = name.lower().rstrip(".")
    if _is_ip(lowered):
        raise UsageError(f"{name!r} is an IP address; pass it with --ip (clients match IP SANs)")
    if len(lowered) > 253 or not _DNS.match(lowered):
        raise UsageError(f"not a valid DNS name: {name!r}")
    if lowered.rsplit(".", 1)[-1].isdigit():
        raise UsageError(f"{name!r} ends in a numeric label, which clients read as an IP address")
    return lowered


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def check_ip(text: str) -> str:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise UsageError(f"not a valid IP address: {text!r}") from None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        raise UsageError(f"not a valid IP address: {text!r} (a zone index has no place in a SAN)")
    return str(address)


def check_uri(text: str) -> str:
    # IA5String: ASCII only; whitespace would make a different identity than the one shown.
    if len(text) > 2048 or not text.isascii() or any(c.isspace() or ord(c) < 32 for c in text):
        raise UsageError(f"not a URI of printable ASCII: {text!r}")
    try:
        parts = urlsplit(text)
    except ValueError:  # an unclosed "[" of an IPv6 host, for one
        raise UsageError(f"not a URI: {text!r}") from None
    if not parts.scheme or not parts.netloc:
        raise UsageError(f"not an absolute URI (like spiffe://example.org/client-a): {text!r}")
    return text


def check_common_name(text: str) -> str:
    # X.520 ub-common-name: 1 to 64 characters.
    if not 1 <= len(text) <= 64 or not text.isprintable():
        raise UsageError(f"a common name needs 1 to 64 printable characters, not {text!r}")
    return text


def check_days(days: int, maximum: int, what: str) -> int:
    if not 1 <= days <= maximum:
        raise UsageError(f"{what} validity must be 1 to {maximum} days, not {days}")
    return days


def check_k8s_label(name: str) -> str:
    """A DNS-1123 label, as Kubernetes wants for a namespace."""
    if len(name) > 63 or not _K8S_LABEL.match(name):
        raise UsageError(
            f"{name!r} is not a DNS-1123 label (lowercase letters, digits, '-'; at most 63)"
        )
    return name


def check_k8s_name(name: str) -> str:
    """A DNS-1123 subdomain, as Kubernetes wants for Secret and ConfigMap names."""
    if len(name) > 253 or not all(_K8S_LABEL.match(part) for part in name.split(".")):
        raise UsageError(
            f"{name!r} is not a Kubernetes name (a DNS-1123 subdomain: lowercase letters,"
            " digits, '-' and '.'; at most 253)"
        )
    return name


def check_path(text: str) -> str:
    if not text or "\0" in text:
        raise UsageError(f"not a usable path: {text!r}")
    return text


# Each argument (by its argparse dest) with its flag and rule; a list is checked item by item.
ARGUMENT_RULES: dict[str, tuple[str, Callable[[str], str]]] = {
    "dir": ("DIR", check_path),
    "cert": ("CERT", check_path),
    "files": ("FILE", check_path),
    "ca_file": ("--ca", check_path),
    "passphrase_file": ("--passphrase-file", check_path),
    "name": ("--name", check_stem),
    "ca": ("--ca", check_stem),
    "server": ("--server", check_stem),
    "dns": ("--dns", check_dns),
    "client_dns": ("--client-dns", check_dns),
    "ip": ("--ip", check_ip),
    "uri": ("--uri", check_uri),
    "client_uri": ("--client-uri", check_uri),
    "cn": ("--cn", check_common_name),
    "ca_cn": ("--ca-cn", check_common_name),
    "client_cn": ("--client-cn", check_common_name),
    "namespace": ("--namespace", check_k8s_label),
    "server_secret": ("--server-secret", check_k8s_name),
    "ca_configmap": ("--ca-configmap", check_k8s_name),
}
# What `--days` means for each command, and its bounds.
DAY_RULES = {
    "init": ("leaf", LEAF_DAYS_MAX),
    "server": ("leaf", LEAF_DAYS_MAX),
    "client": ("leaf", LEAF_DAYS_MAX),
    "ca": ("CA", CA_DAYS_MAX),
    "rotate-ca": ("CA", CA_DAYS_MAX),
    "crl": ("CRL", CRL_DAYS_MAX),
}


def check_args(args: argparse.Namespace) -> None:
    """Check (and normalise) every argument before any command runs; UsageError names the flag."""
    for dest, (flag, rule) in ARGUMENT_RULES.items():
        value = getattr(args, dest, None)
        try:
            if isinstance(value, list):
                setattr(args, dest, [rule(item) for item in value])
            elif isinstance(value, str):
                setattr(args, dest, rule(value))
        except UsageError as exc:
            raise UsageError(f"{flag}: {exc}") from None
    if args.command in DAY_RULES:
        check_days(int(args.days), DAY_RULES[args.command][1], DAY_RULES[args.command][0])
    if args.command == "init":
        _check_init(args)
    if getattr(args, "crl", False):  # k8s --crl adds a ConfigMap named <name>-crl
        check_k8s_name(f"{args.ca_configmap}-crl")


def _check_init(args: argparse.Namespace) -> None:
    ca_days, days = int(args.ca_days), int(args.days)
    check_days(ca_days, CA_DAYS_MAX, "CA")
    if days > ca_days:
        raise UsageError(
            f"{days}-day leaves would outlive the {ca_days}-day CA;"
            f" pass --days {ca_days} or less (or a longer --ca-days)"
        )
    # Names not given come from the common name, in the guide's domains (client-a by default).
    if args.client_dns is None:
        try:
            args.client_dns = check_dns(CLIENT_DNS_FORM.format(args.client_cn))
        except UsageError as exc:
            raise UsageError(f"--client-cn: {exc}; pass --client-dns and --client-uri") from None
    if not args.client_uri:
        try:
            args.client_uri = [check_uri(CLIENT_URI_FORM.format(args.client_cn))]
        except UsageError as exc:
            raise UsageError(f"--client-cn: {exc}; pass --client-uri") from None


def check_signing_ca(cert: x509.Certificate, label: str, crl: bool = False) -> None:
    """Refuse to sign with a certificate that nothing would accept as the issuer."""
    basic = _ext(cert, x509.BasicConstraints)
    usage = _ext(cert, x509.KeyUsage)
    if basic is None or not basic.value.ca:
        raise Refused(f"{label} is not a CA certificate (no basicConstraints CA:TRUE)")
    if usage is not None and not usage.value.key_cert_sign:
        raise Refused(f"{label} may not sign certificates (its keyUsage lacks keyCertSign)")
    if crl and usage is not None and not usage.value.crl_sign:
        raise Refused(f"{label} may not sign CRLs (its keyUsage lacks cRLSign)")
    now = now_utc()
    if cert.not_valid_after_utc < now:
        raise Refused(f"{label} expired on {cert.not_valid_after_utc:%Y-%m-%d}; rotate the CA")
    if cert.not_valid_before_utc > now:
        raise Refused(f"{label} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC")


def check_ca_key(key: SigningKey, label: str) -> None:
    """Refuse a CA key whose signatures the guide's gateway cannot verify."""
    if isinstance(key, ed448.Ed448PrivateKey):
        raise UsageError(
            f"{label} is an Ed448 key: Envoy (BoringSSL) cannot verify what it signs;"
            " use an ECDSA, RSA or Ed25519 CA"
        )


def check_leaf_fits_ca(ca: x509.Certificate, start: dt.datetime, end: dt.datetime) -> None:
    """A leaf that outlives its CA fails verification from the CA's last day on."""
    ca_end = ca.not_valid_after_utc
    if end.replace(microsecond=0) > ca_end:  # certificates keep whole seconds
        left = (ca_end - start).days
        if left < 1:
            raise Refused(f"its CA ends on {ca_end:%Y-%m-%d %H:%M} UTC; rotate the CA first")
        raise UsageError(
            f"the leaf would end after its CA ({ca_end:%Y-%m-%d %H:%M} UTC);"
            f" pass --days {left} or less"
        )


def check_leaf_target(directory: Path, name: str, ca_name: str) -> None:
    """A leaf must not take a CA's file names, not even with --force."""
    target = directory / f"{name}.crt"
    if name == ca_name or (os.path.isfile(target) and any(is_ca(c) for c in read_certs(target))):
        raise Refused(f"{target} is a CA certificate; choose another --name for the leaf")


def check_revocable(cert: x509.Certificate, label: str, ca: Issued, ca_label: str) -> None:
    """Only leaves of this CA go into its CRL; a CA listing its own serial breaks its chains."""
    if is_ca(cert):
        raise Refused(
            f"{label} is a CA certificate; revoke leaves only (to stop trusting a CA,"
            " rotate it and drop it from the bundle)"
        )
    if cert.issuer != ca.cert.subject or not _signed_by(cert, ca.cert):
        raise Refused(f"{label} was not issued by {ca_label}")


# --- certificates -------------------------------------------------------------------------------


@dataclass
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: SigningKey

    def cert_pem(self) -> bytes:
        pem: bytes = self.cert.public_bytes(serialization.Encoding.PEM)
        return pem

    def key_pem(self) -> bytes:
        pem: bytes = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return pem


@dataclass
class Names:
    """Subject alternative names of a leaf."""

    dns: list[str] = field(default_factory=list)
    ips: list[str] = field(default_factory=list)
    uris: list[str] = field(default_factory=list)

    def general_names(self) -> list[x509.GeneralName]:
        names: list[x509.GeneralName] = [x509.DNSName(d) for d in self.dns]
        names += [x509.IPAddress(ipaddress.ip_address(i)) for i in self.ips]
        names += [x509.UniformResourceIdentifier(u) for u in self.uris]
        return names


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_key(key_type: str = "ecdsa") -> SigningKey:
    if key_type == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type == "ed448":
        return ed448.Ed448PrivateKey.generate()
    raise UsageError(f"unknown key type {key_type!r}; choose one of {', '.join(KEY_TYPES)}")


def signature_hash(key: SigningKey) -> hashes.SHA256 | None:
    """SHA-256, except for EdDSA keys, which hash internally and must be given None."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return None
    return hashes.SHA256()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: CertificatePublicKeyTypes,
    start: dt.datetime,
    end: dt.datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(**flags: bool) -> x509.KeyUsage:
    """A KeyUsage with only ``flags`` set."""
    names = (
        "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
        "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
    )  # fmt: skip
    return x509.KeyUsage(**{name: flags.get(name, False) for name in names})


def make_ca(
    common_name: str = "mTLS example CA",
    days: int = CA_DAYS,
    key_type: str = "ecdsa",
    now: dt.datetime | None = None,
) -> Issued:
    """A root CA that may sign leaves only (pathlen 0)."""
    check_days(days, CA_DAYS_MAX, "CA")
    key, start = new_key(key_type), (now or now_utc()) - BACKDATE
    cert = (
        _builder(
            _name(common_name),
            _name(common_name),
            key.public_key(),
            start,
            start + dt.timedelta(days=days),
        )
        # Optional on a self-signed root (RFC 5280 4.2.1.1), but openssl's recipe adds it too.
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        # RFC 5280 4.2.1.9: basicConstraints critical in CA certificates.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        # RFC 5280 4.2.1.3: keyCertSign for certificates, cRLSign for revocation lists.
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .sign(key, signature_hash(key))
    )
    return Issued(cert, key)


def issue_leaf(
    ca: Issued,
    role: str,
    names: Names,
    common_name: str | None = None,
    days: int = LEAF_DAYS,
    key_type: str = "ecdsa",
    now: dt.datetime | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    usages: Iterable[x509.ObjectIdentifier] | None = None,
) -> Issued:
    """A server or client certificate signed by ``ca``.

    ``not_before``/``not_after`` and ``usages`` exist for the tests' negative
    profiles (expired, not yet valid, wrong purpose); the CLI never sets them.
    """
    if role not in ROLES:
        raise UsageError(f"role must be server or client, not {role!r}")
    general = names.general_names()
    if not general:
        raise UsageError(f"a {role} certificate needs a SAN: pass --dns, --ip or --uri")
    check_days(days, LEAF_DAYS_MAX, "leaf")
    start = not_before or (now or now_utc()) - BACKDATE
    end = not_after or start + dt.timedelta(days=days)
    check_leaf_fits_ca(ca.cert, start, end)
    key = new_key(key_type)
    # X.520 caps a common name at 64 characters; a long SPIFFE ID lives in the SAN anyway.
    cn = (common_name or (names.dns or names.uris or names.ips)[0])[:64]
    cert = (
        _builder(_name(cn), ca.cert.subject, key.public_key(), start, end)
        .add_extension(_authority_key_id(ca), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            # RSA key exchange (TLS 1.2 RSA kx) needs keyEncipherment; ECDSA never does.
            _key_usage(digital_signature=True, key_encipherment=isinstance(key, rsa.RSAPrivateKey)),
            critical=True,
        )
        # Non-critical: a critical SAN with a non-empty subject, or a critical EKU, fails
        # RFC 5280 verifiers (cryptography's, for one).
        .add_extension(x509.SubjectAlternativeName(general), critical=False)
        .add_extension(x509.ExtendedKeyUsage(list(usages or [ROLES[role]])), critical=False)
        .sign(ca.key, signature_hash(ca.key))
    )
    return Issued(cert, key)


def _authority_key_id(ca: Issued) -> x509.AuthorityKeyIdentifier:
    """The CA's own subject key identifier when it has one (RFC 5280 4.2.1.1), else its key's."""
    ski = _ext(ca.cert, x509.SubjectKeyIdentifier)
    if ski is not None:
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski.value)
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key())


def make_crl(
    ca: Issued,
    revoked: Iterable[tuple[int, dt.datetime]],
    days: int = CRL_DAYS,
    now: dt.datetime | None = None,
) -> x509.CertificateRevocationList:
    check_days(days, CRL_DAYS_MAX, "CRL")
    start = (now or now_utc()) - BACKDATE
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(start)
        .next_update(start + dt.timedelta(days=days))
        .add_extension(_authority_key_id(ca), critical=False)
        .add_extension(x509.CRLNumber(int(start.timestamp())), critical=False)
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return builder.sign(ca.key, signature_hash(ca.key))


# --- checks shared by `inspect` and the tests ----------------------------------------------------


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


def _ext(cert: x509.Certificate, kind: type[_EXT]) -> x509.Extension[_EXT] | None:
    try:
        return cert.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return None


def is_ca(cert: x509.Certificate) -> bool:
    basic = _ext(cert, x509.BasicConstraints)
    return bool(basic and basic.value.ca)


ED448 = SignatureAlgorithmOID.ED448
_EDDSA = {SignatureAlgorithmOID.ED25519, ED448}
_EDDSA_KEYS = (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)


def findings(
    cert: x509.Certificate, role: str | None = None, now: dt.datetime | None = None
) -> list[Finding]:
    """mTLS mistakes in one certificate, each with its fix. ``role``: server, client, ca or None (guess)."""
    now = now or now_utc()
    out: list[Finding] = []
    role = role or ("ca" if is_ca(cert) else _guess_role(cert))

    def error(message: str) -> None:
        out.append(Finding("error", message))

    if cert.not_valid_after_utc < now:
        error(f"expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC; issue a new certificate")
    if cert.not_valid_before_utc > now:
        error(
            f"not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC; check the issuer's clock"
        )
    digest = cert.signature_hash_algorithm
    if cert.signature_algorithm_oid not in _EDDSA and (
        digest is None or digest.name in {"md5", "sha1"}
    ):
        error("weak signature hash; re-sign with SHA-256")
    key = cert.public_key()
    if isinstance(key, ed448.Ed448PublicKey) or cert.signature_algorithm_oid == ED448:
        error("Ed448 key or signature: Envoy (BoringSSL) cannot verify it; use ECDSA or Ed25519")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        error(f"RSA key of {key.key_size} bits; use at least 2048 (3072 recommended)")
    basic = _ext(cert, x509.BasicConstraints)
    usage = _ext(cert, x509.KeyUsage)
    if role == "ca":
        if not basic or not basic.critical or not basic.value.ca:
            error("a CA needs a critical basicConstraints CA:TRUE")
        if not usage or not usage.value.key_cert_sign:
            error("a CA needs keyUsage keyCertSign")
        return out
    out += _leaf_findings(cert, role, basic, usage)
    return out


def _guess_role(cert: x509.Certificate) -> str | None:
    eku = _ext(cert, x509.ExtendedKeyUsage)
    if (
        eku
        and ExtendedKeyUsageOID.CLIENT_AUTH in eku.value
        and ExtendedKeyUsageOID.SERVER_AUTH not in eku.value
    ):
        return "client"
    if eku and ExtendedKeyUsageOID.SERVER_AUTH in eku.value:
        return "server"
    return None


def _leaf_findings(
    cert: x509.Certificate,
    role: str | None,
    basic: x509.Extension[x509.BasicConstraints] | None,
    usage: x509.Extension[x509.KeyUsage] | None,
) -> list[Finding]:
    out: list[Finding] = []

    def error(message: str) -> None:
        out.append(Finding("error", message))

    def warning(message: str) -> None:
        out.append(Finding("warning", message))

    days = (cert.not_valid_after_utc - cert.not_valid_before_utc).days
    if basic and basic.value.ca:
        error(
            "a leaf marked CA:TRUE could sign certificates your gateway trusts; issue it with CA:FALSE"
        )
    if days > LEAF_DAYS_MAX:
        warning(
            f"valid for {days} days; leaves should last at most {LEAF_DAYS_MAX} (90 is a good default)"
        )
    san = _ext(cert, x509.SubjectAlternativeName)
    if san is None:
        error("no subjectAltName: strict verifiers reject CN-only certificates; add --dns or --uri")
    elif san.critical and len(cert.subject):
        error(
            "subjectAltName is critical although the subject is not empty (RFC 5280 4.2.1.6); make it non-critical"
        )
    eku = _ext(cert, x509.ExtendedKeyUsage)
    if eku is None:
        warning(
            "no extendedKeyUsage: some proxies then accept it for any purpose; set clientAuth or serverAuth"
        )
    else:
        if eku.critical:
            error("extendedKeyUsage is critical; RFC 5280 verifiers want it non-critical")
        if role in ROLES and ROLES[role] not in eku.value:
            want = "clientAuth" if role == "client" else "serverAuth"
            error(
                f"used as a {role} certificate but its extendedKeyUsage lacks {want}; TLS peers answer 'unsupported certificate'"
            )
    if usage and usage.value.key_cert_sign:
        error("a leaf with keyUsage keyCertSign; issue it without")
    if _ext(cert, x509.AuthorityKeyIdentifier) is None:
        warning("no authorityKeyIdentifier; RFC 5280 verifiers require it on leaves")
    return out


def verify_chain(
    leaf: x509.Certificate,
    roots: list[x509.Certificate],
    role: str,
    host: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """RFC 5280 path validation with cryptography's verifier; raises on failure."""
    from cryptography.x509.verification import PolicyBuilder, Store

    builder = PolicyBuilder().store(Store(roots)).time(now or now_utc())
    if role == "server":
        builder.build_server_verifier(x509.DNSName(host or _first_dns(leaf))).verify(leaf, [])
    else:
        builder.build_client_verifier().verify(leaf, [])


def _first_dns(cert: x509.Certificate) -> str:
    san = _ext(cert, x509.SubjectAlternativeName)
    names = san.value.get_values_for_type(x509.DNSName) if san else []
    return names[0] if names else "invalid.invalid"


def spki_hash(cert: x509.Certificate) -> str:
    """base64 SHA-256 of the DER SubjectPublicKeyInfo: Envoy Gateway's clientValidation.spkiHashes."""
    return base64.b64encode(hashlib.sha256(_spki(cert.public_key())).digest()).decode()


def _spki(key: PublicKeyTypes) -> bytes:
    der: bytes = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der


def cert_hash(cert: x509.Certificate) -> str:
    """hex SHA-256 of the DER certificate: Envoy Gateway's clientValidation.certificateHashes."""
    digest: bytes = cert.fingerprint(hashes.SHA256())
    return digest.hex()


# --- files ----------------------------------------------------------------------------------------

# On Linux a file starts as an unnamed inode (O_TMPFILE) and is linked into place complete, so
# no kill, at any instant, leaves a partial file or a second name for a key. Elsewhere, and when
# replacing, a named temporary ".<target>.mtls-tmp.<pid>.<random>" is used; a later run removes
# those whose process is gone (a kill -9 leaves one behind, and between link and unlink it would
# be a second link to a new key).
UNNAMED_TEMPS = hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")
_TEMP = re.compile(r"^\..+\.mtls-tmp\.(\d+)\.[0-9a-f]+$")


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.mtls-tmp.{os.getpid()}.{secrets.token_hex(4)}")


def clean_stale_temps(directory: Path) -> None:
    """Remove temporary files this tool left in ``directory`` when its process was killed."""
    try:
        entries = [e.name for e in os.scandir(directory)]
    except OSError:
        return
    for name in entries:
        match = _TEMP.match(name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):  # another run cleaned it first
                os.unlink(directory / name)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _folder_error(folder: Path, exc: OSError) -> UsageError:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return UsageError(f"{folder}: no such folder")
    return UsageError(f"{folder}: cannot write here: {exc.strerror}")


def _open_unnamed(folder: Path, mode: int) -> int | None:
    """An unnamed file in ``folder``, or None where the system or file system has none."""
    if not UNNAMED_TEMPS:
        return None
    try:
        return os.open(folder, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None
        raise _folder_error(folder, exc) from None


def _fill(fd: int, data: bytes, mode: int) -> None:
    os.fchmod(fd, mode)  # whatever the umask
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


def _link(source: str, target: Path) -> None:
    """Give the file at ``source`` the new name ``target``; FileExistsError if it is taken."""
    folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        # With a folder fd CPython calls linkat(), which honours AT_SYMLINK_FOLLOW and so links
        # the inode behind /proc/self/fd/N; plain link() would link the magic symlink itself.
        os.link(source, target.name, dst_dir_fd=folder, follow_symlinks=True)
        os.fsync(folder)  # the new name survives a power cut
    finally:
        os.close(folder)


def _link_new(source: str, target: Path) -> None:
    try:
        _link(source, target)
    except FileExistsError:
        raise Refused(f"{target} exists; refusing to overwrite it") from None


def _atomic_write(path: Path, data: bytes, mode: int, replace: bool) -> None:
    """Write ``data`` to ``path`` all at once: a crash leaves the old file or none, never half a file.

    Without ``replace`` an existing file is refused, and the check cannot race: the
    finished file is hard-linked into place, which fails if the name exists.
    """
    clean_stale_temps(path.parent)
    fd = _open_unnamed(path.parent, mode)
    if fd is None or not _write_unnamed(fd, path, data, mode, replace):
        _write_named(path, data, mode, replace)


def _write_unnamed(fd: int, path: Path, data: bytes, mode: int, replace: bool) -> bool:
    """Fill the unnamed file ``fd`` and link it in as ``path``; False where the system will
    not link it by its /proc name (then the caller writes a named temporary instead)."""
    source, temp = f"/proc/self/fd/{fd}", _temp_name(path)
    try:
        _fill(fd, data, mode)
        if not replace:
            _link_new(source, path)
            return True
        _link(source, temp)
        _move_over(temp, path)
        return True
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.EXDEV, errno.EPERM):
            return False
        raise
    finally:
        os.close(fd)
        if os.path.lexists(temp):  # a refused replace
            os.unlink(temp)


def _write_named(path: Path, data: bytes, mode: int, replace: bool) -> None:
    temp = _temp_name(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(temp, flags, mode)
    except OSError as exc:
        raise _folder_error(path.parent, exc) from None
    try:
        try:
            _fill(fd, data, mode)
        finally:
            os.close(fd)
        if replace:
            _move_over(temp, path)
        else:
            _link_new(str(temp), path)
    except FileNotFoundError:  # another run took it for a dead run's (a PID from elsewhere)
        raise Refused(f"{temp} vanished while writing {path}; run the command again") from None
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)


def _move_over(temp: Path, path: Path) -> None:
    try:
        os.replace(temp, path)
    except IsADirectoryError:
        raise Refused(f"{path} is a folder; refusing to replace it") from None


def write_key(path: Path, issued: Issued, replace: bool = False) -> None:
    _atomic_write(path, issued.key_pem(), 0o600, replace)


def write_cert(path: Path, pem: bytes, replace: bool = False) -> None:
    _atomic_write(path, pem, 0o644, replace)


def save(directory: Path, name: str, issued: Issued, replace: bool = False) -> None:
    """``name.key`` (0600) then ``name.crt``; a CA key is never replaced."""
    write_key(directory / f"{name}.key", issued, replace=replace)
    write_cert(directory / f"{name}.crt", issued.cert_pem(), replace=replace)


def read_input(path: Path, what: str = "file") -> bytes:
    """The bytes of a regular file of bounded size; one clear UsageError otherwise."""
    try:
        # O_NONBLOCK: opening a FIFO must not hang; regular files ignore the flag.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not a {what}") from None
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = f"is a folder, not a {what}" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise UsageError(f"{path}: {kind}")
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise UsageError(f"{path}: larger than {MAX_INPUT_BYTES // 2**20} MiB; not a {what}")
    return data


def read_certs(path: Path) -> list[x509.Certificate]:
    """Every certificate in a PEM file (a bundle holds several)."""
    data = read_input(path, "certificate")
    try:
        certs: list[x509.Certificate] = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise UsageError(f"{path}: not a PEM certificate") from None
    return certs


def read_cert(path: Path) -> x509.Certificate:
    """The one certificate in a PEM file; a bundle is refused where one certificate is meant."""
    certs = read_certs(path)
    if len(certs) > 1:
        raise UsageError(f"{path}: holds {len(certs)} certificates; give a file with one")
    return certs[0]


def read_passphrase(path: str | None) -> bytes | None:
    if path is None:
        return None
    passphrase = read_input(Path(path), "passphrase file").rstrip(b"\r\n")
    if not passphrase:
        raise UsageError(f"{path}: the passphrase file is empty; put the CA key's passphrase in it")
    return passphrase


def read_key(path: Path, passphrase: bytes | None) -> SigningKey:
    """A private key that can sign, with a message saying what is wrong if it cannot be read."""
    data = read_input(path, "private key")
    encrypted = b"ENCRYPTED" in data
    if encrypted and passphrase is None:
        raise UsageError(f"{path} is encrypted; pass --passphrase-file FILE")
    if not encrypted and passphrase is not None:
        raise UsageError(f"{path} is not encrypted; drop --passphrase-file")
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        if encrypted:
            raise UsageError(f"{path}: wrong passphrase (or a damaged key)") from None
        raise UsageError(f"{path}: not a PEM private key") from None
    if not isinstance(key, SigningKey):
        raise UsageError(f"{path}: a {type(key).__name__} cannot sign certificates here")
    return key


def load_ca(
    directory: Path, name: str = "ca", passphrase: bytes | None = None, crl: bool = False
) -> Issued:
    """The CA ``name`` in ``directory``, refused unless it can sign what is asked (crl: CRLs)."""
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    if not os.path.lexists(key_path):
        raise UsageError(
            f"{key_path}: no CA key here; create one with `mtls_certs.py ca {directory}`"
        )
    key = read_key(key_path, passphrase)
    check_ca_key(key, str(key_path))
    mine = _spki(key.public_key())
    matching = [c for c in read_certs(cert_path) if _spki(c.public_key()) == mine]
    if not matching:
        raise UsageError(f"{cert_path} does not belong to {key_path}")
    check_signing_ca(matching[0], str(cert_path), crl=crl)
    return Issued(matching[0], key)


def revoked_list(directory: Path, name: str) -> list[tuple[int, dt.datetime]]:
    path = directory / f"{name}.revoked.json"
    if not os.path.lexists(path):
        return []
    try:
        return [_revocation(entry) for entry in json.loads(read_input(path, "revocation record"))]
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        raise UsageError(
            f"{path}: not a revocation record of this tool (a list of serial/date entries)"
        ) from None


def _revocation(entry: dict[str, Any]) -> tuple[int, dt.datetime]:
    serial, date = int(entry["serial"], 16), dt.datetime.fromisoformat(entry["date"])
    if serial <= 0 or date.tzinfo is None:
        raise ValueError("bad entry")
    return serial, date


# --- commands -------------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> list[str]:
    directory = _output_dir(args.dir, "ca")
    now = now_utc()  # one start for all three, so leaves of --ca-days fit inside the CA
    ca = make_ca(args.ca_cn, args.ca_days, args.key_type, now=now)
    server_names = Names(dns=args.dns, ips=args.ip)
    # Both SANs, as the guide's client carries them: a SPIFFE URI and a DNS name.
    client_names = Names(dns=[args.client_dns], uris=args.client_uri)
    server = issue_leaf(ca, "server", server_names, days=args.days, key_type=args.key_type, now=now)
    client = issue_leaf(
        ca,
        "client",
        client_names,
        common_name=args.client_cn,
        days=args.days,
        key_type=args.key_type,
        now=now,
    )
    existing = [
        f"{n}.{e}"
        for n in ("ca", "server", "client")
        for e in ("crt", "key")
        if os.path.lexists(directory / f"{n}.{e}")
    ]
    if existing:
        raise Refused(f"{directory} already holds {', '.join(existing)}; choose an empty folder")
    save(directory, "ca", ca)
    save(directory, "server", server)
    save(directory, "client", client)
    return [f"wrote {directory}/{{ca,server,client}}.{{crt,key}}"]


def cmd_ca(args: argparse.Namespace) -> list[str]:
    directory = _output_dir(args.dir, args.name)
    save(directory, args.name, make_ca(args.cn, args.days, args.key_type))
    return [f"wrote {directory}/{args.name}.crt and {args.name}.key"]


def cmd_leaf(args: argparse.Namespace) -> list[str]:
    directory = Path(args.dir)
    ca = load_ca(directory, args.ca, read_passphrase(args.passphrase_file))
    name = args.name or args.role
    check_leaf_target(directory, name, args.ca)
    names = Names(dns=args.dns, ips=args.ip, uris=args.uri)
    issued = issue_leaf(ca, args.role, names, args.cn, args.days, args.key_type)
    save(directory, name, issued, replace=args.force)
    return [f"wrote {directory}/{name}.crt and {name}.key ({args.role}, from {args.ca}.crt)"]


def cmd_rotate_ca(args: argparse.Namespace) -> list[str]:
    directory = Path(args.dir)
    current = read_certs(directory / "ca.crt")
    if not all(is_ca(cert) for cert in current):
        raise Refused(
            f"{directory / 'ca.crt'} holds a certificate that is not a CA; nothing to rotate"
        )
    if os.path.lexists(directory / "ca-next.key"):
        raise Refused(f"{directory}/ca-next.key exists; a rotation is already under way")
    new = make_ca(args.cn, args.days, args.key_type)
    save(directory, "ca-next", new)
    bundle = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [*current, new.cert])
    write_cert(directory / "ca-bundle.crt", bundle, replace=True)
    return [
        f"wrote {directory}/ca-next.crt, ca-next.key and ca-bundle.crt (old + new CA)",
        "next: publish ca-bundle.crt as the gateway's ca.crt, then issue clients with --ca ca-next",
    ]


def cmd_revoke(args: argparse.Namespace) -> list[str]:
    directory = Path(args.dir)
    ca = load_ca(directory, args.ca, read_passphrase(args.passphrase_file), crl=True)
    cert = read_cert(Path(args.cert))
    check_revocable(cert, args.cert, ca, f"{directory}/{args.ca}.crt")
    entries = revoked_list(directory, args.ca)
    if cert.serial_number not in {serial for serial, _ in entries}:
        entries.append((cert.serial_number, now_utc().replace(microsecond=0)))
    record = [{"serial": f"{s:x}", "date": d.isoformat()} for s, d in entries]
    write_cert(
        directory / f"{args.ca}.revoked.json",
        json.dumps(record, indent=2).encode() + b"\n",
        replace=True,
    )
    return [f"revoked serial {cert.serial_number:x}", *_write_crl(directory, ca, args.ca, CRL_DAYS)]


def cmd_crl(args: argparse.Namespace) -> list[str]:
    directory = Path(args.dir)
    ca = load_ca(directory, args.ca, read_passphrase(args.passphrase_file), crl=True)
    return _write_crl(directory, ca, args.ca, args.days)


def _write_crl(directory: Path, ca: Issued, name: str, days: int) -> list[str]:
    crl = make_crl(ca, revoked_list(directory, name), days)
    write_cert(
        directory / f"{name}.crl", crl.public_bytes(serialization.Encoding.PEM), replace=True
    )
    return [f"wrote {directory}/{name}.crl ({len(crl)} revoked, next update in {days} days)"]


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def cmd_k8s(args: argparse.Namespace) -> list[str]:
    directory = Path(args.dir)
    server_crt, server_key = directory / f"{args.server}.crt", directory / f"{args.server}.key"
    cert_pem, key_pem = read_input(server_crt, "certificate"), read_input(server_key, "key")
    _check_tls_pair(read_certs(server_crt)[0], key_pem, server_key)
    ca_pem = b"".join(
        c.public_bytes(serialization.Encoding.PEM) for c in read_certs(directory / f"{args.ca}.crt")
    )
    docs = [
        _secret(args.server_secret, args.namespace, cert_pem, key_pem),
        _configmap(args.ca_configmap, args.namespace, "ca.crt", ca_pem.decode()),
    ]
    if args.crl:
        crl = directory / f"{args.ca}.crl"
        if not os.path.lexists(crl):
            raise UsageError(f"{crl}: no CRL yet; run `mtls_certs.py crl {directory}`")
        text = read_input(crl, "CRL")
        try:
            x509.load_pem_x509_crl(text)
        except ValueError:
            raise UsageError(f"{crl}: not a PEM CRL") from None
        docs.append(_configmap(f"{args.ca_configmap}-crl", args.namespace, "ca.crl", text.decode()))
    return [manifests(docs)]


def _check_tls_pair(cert: x509.Certificate, key_pem: bytes, key_path: Path) -> None:
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError:
        raise UsageError(
            f"{key_path} is encrypted; a kubernetes.io/tls Secret needs it plain"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise UsageError(f"{key_path}: not a PEM private key") from None
    if _spki(key.public_key()) != _spki(cert.public_key()):
        raise UsageError(f"{key_path} does not belong to the server certificate beside it")


def manifests(docs: list[dict[str, Any]]) -> str:
    """Kubernetes objects as a multi-document YAML stream.

    Every document is written by the json module: JSON is YAML (1.2 is a superset of it,
    and these documents are pure ASCII with escapes 1.1 readers also know), so the tool
    needs no PyYAML in the reader's environment, prints the same bytes everywhere, and a
    value such as `on`, `0755` or `a: b` stays a quoted string, never a boolean, a number
    or a new key.
    """
    return "\n---\n".join(json.dumps(doc, indent=2) for doc in docs)


def _meta(kind: str, name: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": namespace}}


def _secret(name: str, namespace: str, cert: bytes, key: bytes) -> dict[str, Any]:
    data = {"tls.crt": base64.b64encode(cert).decode(), "tls.key": base64.b64encode(key).decode()}
    return {**_meta("Secret", name, namespace), "type": "kubernetes.io/tls", "data": data}


def _configmap(name: str, namespace: str, key: str, pem: str) -> dict[str, Any]:
    return {**_meta("ConfigMap", name, namespace), "data": {key: pem}}


def describe(cert: x509.Certificate) -> list[str]:
    """The facts of a certificate that matter for mTLS, one per line."""
    san = _ext(cert, x509.SubjectAlternativeName)
    eku = _ext(cert, x509.ExtendedKeyUsage)
    usage = _ext(cert, x509.KeyUsage)
    basic = _ext(cert, x509.BasicConstraints)
    return [
        f"subject:      {cert.subject.rfc4514_string()}",
        f"issuer:       {cert.issuer.rfc4514_string()}",
        f"serial:       {cert.serial_number:x}",
        f"valid:        {cert.not_valid_before_utc:%Y-%m-%d %H:%M} to {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC",
        f"key:          {_key_text(cert.public_key())}",
        f"SANs:         {', '.join(_san_text(san.value)) if san else '(none)'}",
        f"EKU:          {', '.join(_EKU_NAMES.get(o, o.dotted_string) for o in eku.value) if eku else '(none)'}",
        f"key usage:    {_usage_text(usage.value) if usage else '(none)'}",
        f"CA:           {'yes' if basic and basic.value.ca else 'no'}",
        f"SHA-256:      {cert_hash(cert)}   (Envoy Gateway certificateHashes)",
        f"SPKI SHA-256: {spki_hash(cert)}   (Envoy Gateway spkiHashes)",
    ]


def _key_text(key: CertificatePublicKeyTypes) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ECDSA {key.curve.name}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    return type(key).__name__


_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
}


def _san_text(san: x509.SubjectAlternativeName) -> list[str]:
    out = [f"DNS:{v}" for v in san.get_values_for_type(x509.DNSName)]
    out += [f"IP:{v}" for v in san.get_values_for_type(x509.IPAddress)]
    out += [f"URI:{v}" for v in san.get_values_for_type(x509.UniformResourceIdentifier)]
    out += [f"email:{v}" for v in san.get_values_for_type(x509.RFC822Name)]
    return out


def _usage_text(usage: x509.KeyUsage) -> str:
    names = ["digital_signature", "key_encipherment", "key_agreement", "key_cert_sign", "crl_sign"]
    return ", ".join(n for n in names if getattr(usage, n))


def cmd_inspect(args: argparse.Namespace) -> list[str]:
    lines: list[str] = []
    errors = 0
    roots = read_certs(Path(args.ca_file)) if args.ca_file else []
    for path in args.files:
        certs = read_certs(Path(path))
        for index, cert in enumerate(certs, start=1):
            found = findings(cert, args.role)
            if roots and not is_ca(cert):
                found += _chain_findings(cert, roots, args)
            errors += sum(f.severity == "error" for f in found)
            label = path if len(certs) == 1 else f"{path} [{index} of {len(certs)}]"
            lines += [f"{label}:", *(f"  {line}" for line in describe(cert))]
            lines += [f"  {f}" for f in found] or ["  no problems found"]
    print("\n".join(lines))
    if errors:
        raise Refused(f"{errors} problem(s) found")
    return []


def _chain_findings(
    cert: x509.Certificate, roots: list[x509.Certificate], args: argparse.Namespace
) -> list[Finding]:
    """Path validation against any certificate of the --ca bundle."""
    from cryptography.x509.verification import VerificationError

    issuers = [root for root in roots if _signed_by(cert, root)]
    out = _outliving(cert, issuers[0]) if issuers else []
    if issuers and isinstance(issuers[0].public_key(), _EDDSA_KEYS):
        # cryptography's verifier follows the Web PKI, which forbids EdDSA keys, so check the
        # signature directly and say what each verifier does. Ed448 is already an error.
        if isinstance(issuers[0].public_key(), ed448.Ed448PublicKey):
            return out
        return [
            *out,
            Finding(
                "warning",
                "its CA signs with Ed25519: openssl and Envoy accept that,"
                " Web PKI verifiers (cryptography's) refuse it",
            ),
        ]
    try:
        verify_chain(cert, roots, args.role or _guess_role(cert) or "client")
    except (VerificationError, ValueError, UnsupportedAlgorithm) as exc:
        return [*out, Finding("error", f"does not verify against {args.ca_file}: {exc}")]
    return out


def _outliving(cert: x509.Certificate, issuer: x509.Certificate) -> list[Finding]:
    if cert.not_valid_after_utc <= issuer.not_valid_after_utc:
        return []
    return [
        Finding(
            "error",
            f"outlives its CA, which ends {issuer.not_valid_after_utc:%Y-%m-%d %H:%M} UTC;"
            " from then on nothing verifies it: reissue it to end before its CA",
        )
    ]


def _output_dir(raw: str, ca_name: str) -> Path:
    directory = Path(raw)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"{directory}: cannot create folder: a file is in the way") from None
    except OSError as exc:
        raise UsageError(f"{directory}: cannot create folder: {exc.strerror}") from None
    ca_key = directory / f"{ca_name}.key"
    if os.path.lexists(ca_key):
        raise Refused(f"{ca_key} exists; refusing to touch an existing CA (choose another folder)")
    return directory


# --- command line ---------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line, like every other refusal."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see --help)\n")


Command = Callable[[argparse.Namespace], list[str]]


def parser() -> argparse.ArgumentParser:
    doc = __doc__ or ""
    top = _Parser(
        prog="mtls_certs.py",
        description=doc.split("\n\n")[0],
        epilog="\n\n".join(doc.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.set_defaults(func=func)
        cmd.add_argument("dir", metavar="DIR", help="folder holding the CA and the certificates")
        return cmd

    _init_options(add("init", cmd_init, "make a CA, a server and a client in a new folder"))
    _ca_command_options(add("ca", cmd_ca, "make a new CA"))
    for role in ("server", "client"):
        _leaf_options(add(role, cmd_leaf, f"issue a {role} certificate from DIR's CA"), role)
    _rotate_options(add("rotate-ca", cmd_rotate_ca, "make ca-next beside ca and a bundle of both"))
    revoke = add("revoke", cmd_revoke, "revoke a leaf certificate and write DIR/<ca>.crl")
    revoke.add_argument("cert", metavar="CERT", help="the certificate to revoke (PEM)")
    _signing_options(revoke)
    crl = add("crl", cmd_crl, "write DIR/<ca>.crl with a fresh nextUpdate")
    crl.add_argument("--days", type=int, default=CRL_DAYS, help=_days_help(CRL_DAYS, CRL_DAYS_MAX))
    _signing_options(crl)
    _k8s_options(add("k8s", cmd_k8s, "print the server Secret and the client-CA ConfigMap"))
    _inspect_command(sub)
    return top


def _days_help(default: int, maximum: int, what: str = "validity") -> str:
    return f"{what} in days (default {default}, 1 to {maximum})"


def _key_option(cmd: argparse.ArgumentParser, choices: tuple[str, ...]) -> None:
    cmd.add_argument(
        "--key-type", choices=choices, default="ecdsa", help=f"{', '.join(choices)} (default ecdsa)"
    )


def _signing_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--ca", default="ca", help="stem of the CA files in DIR (default: ca)")
    cmd.add_argument("--passphrase-file", help="file holding the passphrase of an encrypted CA key")


def _init_options(init: argparse.ArgumentParser) -> None:
    init.add_argument("--dns", action="append", required=True, help="server DNS name (repeatable)")
    init.add_argument("--ip", action="append", default=[], help="server IP address (repeatable)")
    init.add_argument(
        "--client-cn", default=CLIENT_CN, help=f"client common name (default: {CLIENT_CN})"
    )
    init.add_argument(
        "--client-dns",
        help=f"client DNS SAN (default: {CLIENT_DNS_FORM.format('CN')},"
        f" so {CLIENT_DNS_FORM.format(CLIENT_CN)})",
    )
    init.add_argument(
        "--client-uri",
        action="append",
        default=[],
        help=f"client URI SAN, repeatable (default: {CLIENT_URI_FORM.format('CN')},"
        f" so {CLIENT_URI_FORM.format(CLIENT_CN)}); for other names use the client command",
    )
    init.add_argument("--ca-cn", default="mTLS example CA", help="CA common name")
    init.add_argument(
        "--ca-days", type=int, default=CA_DAYS, help=_days_help(CA_DAYS, CA_DAYS_MAX, "CA validity")
    )
    init.add_argument(
        "--days", type=int, default=LEAF_DAYS, help=_days_help(LEAF_DAYS, LEAF_DAYS_MAX)
    )
    _key_option(init, LEAF_KEY_TYPES)


def _ca_command_options(ca: argparse.ArgumentParser) -> None:
    ca.add_argument("--cn", default="mTLS example CA", help="common name")
    ca.add_argument("--name", default="ca", help="file name stem (default: ca)")
    ca.add_argument("--days", type=int, default=CA_DAYS, help=_days_help(CA_DAYS, CA_DAYS_MAX))
    _key_option(ca, CA_KEY_TYPES)


def _leaf_options(leaf: argparse.ArgumentParser, role: str) -> None:
    leaf.set_defaults(role=role)
    leaf.add_argument("--dns", action="append", default=[], help="DNS SAN (repeatable)")
    leaf.add_argument("--ip", action="append", default=[], help="IP SAN (repeatable)")
    leaf.add_argument(
        "--uri", action="append", default=[], help="URI SAN, e.g. spiffe://example.org/client-a"
    )
    leaf.add_argument("--cn", help="common name (default: the first SAN)")
    leaf.add_argument("--name", help=f"file name stem (default: {role})")
    leaf.add_argument(
        "--days", type=int, default=LEAF_DAYS, help=_days_help(LEAF_DAYS, LEAF_DAYS_MAX)
    )
    leaf.add_argument("--force", action="store_true", help="replace an existing leaf (never a CA)")
    _key_option(leaf, LEAF_KEY_TYPES)
    _signing_options(leaf)


def _rotate_options(rotate: argparse.ArgumentParser) -> None:
    rotate.add_argument("--cn", default="mTLS example CA (next)", help="common name of the new CA")
    rotate.add_argument("--days", type=int, default=CA_DAYS, help=_days_help(CA_DAYS, CA_DAYS_MAX))
    _key_option(rotate, CA_KEY_TYPES)


def _k8s_options(k8s: argparse.ArgumentParser) -> None:
    k8s.add_argument("--namespace", default="gateway", help="namespace (default: gateway)")
    k8s.add_argument(
        "--server", default="server", help="stem of the server files (default: server)"
    )
    k8s.add_argument("--server-secret", default="secure-example-com-tls", help="Secret name")
    k8s.add_argument(
        "--ca", default="ca", help="stem of the CA certificate (ca-bundle in rotation)"
    )
    k8s.add_argument("--ca-configmap", default="client-ca", help="ConfigMap name (key ca.crt)")
    k8s.add_argument("--crl", action="store_true", help="also a ConfigMap <name>-crl (key ca.crl)")


def _inspect_command(sub: Any) -> None:
    inspect: argparse.ArgumentParser = sub.add_parser(
        "inspect",
        help="explain certificates and flag mTLS mistakes",
        description="explain every certificate in FILEs and flag mTLS mistakes; exit 1 on an error",
    )
    inspect.set_defaults(func=cmd_inspect)
    inspect.add_argument("files", nargs="+", metavar="FILE", help="PEM certificates or bundles")
    inspect.add_argument(
        "--role", choices=("server", "client", "ca"), help="what it is for (default: guessed)"
    )
    inspect.add_argument(
        "--ca", dest="ca_file", help="CA certificate or bundle to verify against (RFC 5280)"
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    func: Command = args.func
    try:
        check_args(args)
        for line in func(args):
            print(line)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # what the rules cannot foresee: a name too long, a full disk, ...
        print(f"error: {exc.filename or 'file system'}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = ["cryptography>=44"]
# ///
"""Make mTLS certificates that strict verifiers accept, and explain the ones you have.

Subcommands (each has --help):
  init DIR --dns HOST    a CA, a server and a client certificate, ready for a demo
  ca DIR                 a new CA (ca.crt, ca.key)
  server DIR --dns HOST  a server certificate from DIR's CA
  client DIR --dns NAME  a client certificate from DIR's CA (or --uri spiffe://...)
  rotate-ca DIR          a second CA (ca-next) and a bundle trusting both
  revoke DIR CERT        revoke a client certificate and write DIR/ca.crl
  crl DIR                write DIR/ca.crl again (fresh nextUpdate)
  k8s DIR                print the Kubernetes Secret and ConfigMap the guide uses
  inspect FILE...        explain certificates and flag mTLS mistakes

Profile (RFC 5280, checked by cryptography's verifier and `openssl verify`):
ECDSA P-256 keys (RSA 3072 with --key-type rsa), SHA-256, random serials. CA:
critical CA:TRUE with pathlen 0, critical keyCertSign and cRLSign, at most 10
years. Leaves: 90 days by default and at most 398, critical CA:FALSE, critical
digitalSignature, a SAN always, one non-critical EKU (serverAuth or clientAuth),
subject and authority key identifiers.

Private keys are written with mode 0600, atomically. An existing CA key is
never overwritten. Exit status: 0 done, 1 refused (a file exists, a check
failed), 2 bad input.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import ipaddress
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

CA_DAYS, CA_DAYS_MAX = 3650, 3652  # ten years, leap days included
LEAF_DAYS, LEAF_DAYS_MAX = 90, 398  # 398: the CA/Browser Forum ceiling for leaves
CRL_DAYS = 7
# Start validity a little in the past so a peer whose clock lags still accepts a new certificate.
BACKDATE = dt.timedelta(minutes=5)
KEY_TYPES = ("ecdsa", "rsa")
RSA_BITS = 3072
ROLES = {"server": ExtendedKeyUsageOID.SERVER_AUTH, "client": ExtendedKeyUsageOID.CLIENT_AUTH}
_DNS = re.compile(
    r"^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
)


class UsageError(Exception):
    """Bad input: exit 2."""


class Refused(Exception):
    """The request is understood but refused (a file exists, a check failed): exit 1."""


# --- certificates -------------------------------------------------------------------------------


@dataclass
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


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


def new_key(key_type: str = "ecdsa") -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    if key_type == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    raise UsageError(f"unknown key type {key_type!r}; choose one of {', '.join(KEY_TYPES)}")


def check_dns(name: str) -> str:
    lowered = name.lower().rstrip(".")
    if len(lowered) > 253 or not _DNS.match(lowered):
        raise UsageError(f"not a valid DNS name: {name!r}")
    return lowered


def check_ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise UsageError(f"not a valid IP address: {text!r}") from None


def check_uri(text: str) -> str:
    parts = urlsplit(text)
    if not parts.scheme or not parts.netloc:
        raise UsageError(f"not an absolute URI (like spiffe://example.org/client): {text!r}")
    return text


def check_days(days: int, maximum: int, what: str) -> int:
    if not 1 <= days <= maximum:
        raise UsageError(f"{what} validity must be 1 to {maximum} days, not {days}")
    return days


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key, start: dt.datetime, end: dt.datetime
):
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
        .sign(key, hashes.SHA256())
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
    key = new_key(key_type)
    start = not_before or (now or now_utc()) - BACKDATE
    end = not_after or start + dt.timedelta(days=days)
    # X.520 caps a common name at 64 characters; a long SPIFFE ID lives in the SAN anyway.
    cn = (common_name or (names.dns or names.uris or names.ips)[0])[:64]
    ca_ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        _builder(_name(cn), ca.cert.subject, key.public_key(), start, end)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
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
        .sign(ca.key, hashes.SHA256())
    )
    return Issued(cert, key)


def make_crl(
    ca: Issued,
    revoked: Iterable[tuple[int, dt.datetime]],
    days: int = CRL_DAYS,
    now: dt.datetime | None = None,
) -> x509.CertificateRevocationList:
    start = (now or now_utc()) - BACKDATE
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(start)
        .next_update(start + dt.timedelta(days=days))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        .add_extension(x509.CRLNumber(int(start.timestamp())), critical=False)
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return builder.sign(ca.key, hashes.SHA256())


# --- checks shared by `inspect` and the tests ----------------------------------------------------


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


def _ext(cert: x509.Certificate, oid: x509.ObjectIdentifier):
    try:
        return cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None


def is_ca(cert: x509.Certificate) -> bool:
    basic = _ext(cert, ExtensionOID.BASIC_CONSTRAINTS)
    return bool(basic and basic.value.ca)


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
    if cert.signature_hash_algorithm is None or cert.signature_hash_algorithm.name in {
        "md5",
        "sha1",
    }:
        error("weak signature hash; re-sign with SHA-256")
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        error(f"RSA key of {key.key_size} bits; use at least 2048 (3072 recommended)")
    basic = _ext(cert, ExtensionOID.BASIC_CONSTRAINTS)
    usage = _ext(cert, ExtensionOID.KEY_USAGE)
    if role == "ca":
        if not basic or not basic.critical or not basic.value.ca:
            error("a CA needs a critical basicConstraints CA:TRUE")
        if not usage or not usage.value.key_cert_sign:
            error("a CA needs keyUsage keyCertSign")
        return out
    out += _leaf_findings(cert, role, basic, usage)
    return out


def _guess_role(cert: x509.Certificate) -> str | None:
    eku = _ext(cert, ExtensionOID.EXTENDED_KEY_USAGE)
    if (
        eku
        and ExtendedKeyUsageOID.CLIENT_AUTH in eku.value
        and ExtendedKeyUsageOID.SERVER_AUTH not in eku.value
    ):
        return "client"
    if eku and ExtendedKeyUsageOID.SERVER_AUTH in eku.value:
        return "server"
    return None


def _leaf_findings(cert: x509.Certificate, role: str | None, basic, usage) -> list[Finding]:
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
    san = _ext(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    if san is None:
        error("no subjectAltName: strict verifiers reject CN-only certificates; add --dns or --uri")
    elif san.critical and len(cert.subject):
        error(
            "subjectAltName is critical although the subject is not empty (RFC 5280 4.2.1.6); make it non-critical"
        )
    eku = _ext(cert, ExtensionOID.EXTENDED_KEY_USAGE)
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
    if _ext(cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER) is None:
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
        verifier = builder.build_server_verifier(x509.DNSName(host or _first_dns(leaf)))
    else:
        verifier = builder.build_client_verifier()
    verifier.verify(leaf, [])


def _first_dns(cert: x509.Certificate) -> str:
    san = _ext(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    names = san.value.get_values_for_type(x509.DNSName) if san else []
    return names[0] if names else "invalid.invalid"


def spki_hash(cert: x509.Certificate) -> str:
    """base64 SHA-256 of the DER SubjectPublicKeyInfo: Envoy Gateway's clientValidation.spkiHashes."""
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def cert_hash(cert: x509.Certificate) -> str:
    """hex SHA-256 of the DER certificate: Envoy Gateway's clientValidation.certificateHashes."""
    return cert.fingerprint(hashes.SHA256()).hex()


# --- files ----------------------------------------------------------------------------------------


def _atomic_write(path: Path, data: bytes, mode: int, replace: bool) -> None:
    """Write ``data`` to ``path`` all at once: a crash leaves the old file or none, never half a file.

    Without ``replace`` an existing file is refused, and the check cannot race: the
    finished temporary file is hard-linked into place, which fails if the name exists.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except FileNotFoundError:
        raise UsageError(f"{path.parent}: no such folder") from None
    except PermissionError:
        raise UsageError(f"{path.parent}: folder is not writable") from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise Refused(f"{path} exists; refusing to overwrite it") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_key(path: Path, issued: Issued, replace: bool = False) -> None:
    _atomic_write(path, issued.key_pem(), 0o600, replace)


def write_cert(path: Path, pem: bytes, replace: bool = False) -> None:
    _atomic_write(path, pem, 0o644, replace)


def save(directory: Path, name: str, issued: Issued, replace: bool = False) -> None:
    """``name.key`` (0600) then ``name.crt``; a CA key is never replaced."""
    write_key(directory / f"{name}.key", issued, replace=replace)
    write_cert(directory / f"{name}.crt", issued.cert_pem(), replace=replace)


def read_cert(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except ValueError:
        raise UsageError(f"{path}: not a PEM certificate") from None


def read_passphrase(path: str | None) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes().rstrip(b"\r\n")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read passphrase file: {exc.strerror}") from None


def load_ca(directory: Path, name: str = "ca", passphrase: bytes | None = None) -> Issued:
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    if not key_path.exists():
        raise UsageError(
            f"{key_path}: no CA key here; create one with `mtls_certs.py ca {directory}`"
        )
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=passphrase)
    except TypeError:
        if passphrase is None:
            raise UsageError(f"{key_path} is encrypted; pass --passphrase-file FILE") from None
        raise UsageError(f"{key_path} is not encrypted; drop --passphrase-file") from None
    except ValueError:
        raise UsageError(f"{key_path}: not a PEM private key, or the passphrase is wrong") from None
    cert = read_cert(cert_path)
    if cert.public_key() != key.public_key():
        raise UsageError(f"{cert_path} does not belong to {key_path}")
    return Issued(cert, key)


def revoked_list(directory: Path, name: str) -> list[tuple[int, dt.datetime]]:
    path = directory / f"{name}.revoked.json"
    if not path.exists():
        return []
    return [
        (int(e["serial"], 16), dt.datetime.fromisoformat(e["date"]))
        for e in json.loads(path.read_text())
    ]


# --- commands -------------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> list[str]:
    directory = _output_dir(args.dir)
    ca = make_ca(args.ca_cn, args.ca_days, args.key_type)
    server_names = Names(dns=[check_dns(d) for d in args.dns], ips=[check_ip(i) for i in args.ip])
    client_names = Names(uris=[check_uri(u) for u in args.client_uri])
    if not client_names.uris:
        client_names.dns = [check_dns(args.client_dns or args.client_cn)]
    server = issue_leaf(ca, "server", server_names, days=args.days, key_type=args.key_type)
    client = issue_leaf(
        ca,
        "client",
        client_names,
        common_name=args.client_cn,
        days=args.days,
        key_type=args.key_type,
    )
    existing = [
        f"{n}.{e}"
        for n in ("ca", "server", "client")
        for e in ("crt", "key")
        if (directory / f"{n}.{e}").exists()
    ]
    if existing:
        raise Refused(f"{directory} already holds {', '.join(existing)}; choose an empty folder")
    save(directory, "ca", ca)
    save(directory, "server", server)
    save(directory, "client", client)
    return [f"wrote {directory}/{{ca,server,client}}.{{crt,key}}"]


def cmd_ca(args: argparse.Namespace) -> list[str]:
    directory = _output_dir(args.dir)
    save(directory, args.name, make_ca(args.cn, args.days, args.key_type))
    return [f"wrote {directory}/{args.name}.crt and {args.name}.key"]


def cmd_leaf(args: argparse.Namespace) -> list[str]:
    directory = Path(args.dir)
    ca = load_ca(directory, args.ca, read_passphrase(args.passphrase_file))
    names = Names(
        dns=[check_dns(d) for d in args.dns],
        ips=[check_ip(i) for i in args.ip],
        uris=[check_uri(u) for u in args.uri],
    )
    name = args.name or args.role
    issued = issue_leaf(ca, args.role, names, args.cn, args.days, args.key_type)
    save(directory, name, issued, replace=args.force)
    return [f"wrote {directory}/{name}.crt and {name}.key ({args.role}, from {args.ca}.crt)"]


def cmd_rotate_ca(args: argparse.Namespace) -> list[str]:
    directory = Path(args.dir)
    current = read_cert(directory / "ca.crt")
    if (directory / "ca-next.key").exists():
        raise Refused(f"{directory}/ca-next.key exists; a rotation is already under way")
    save(directory, "ca-next", make_ca(args.cn, args.days, args.key_type))
    bundle = (
        current.public_bytes(serialization.Encoding.PEM) + (directory / "ca-next.crt").read_bytes()
    )
    write_cert(directory / "ca-bundle.crt", bundle, replace=True)
    return [
        f"wrote {directory}/ca-next.crt, ca-next.key and ca-bundle.crt (old + new CA)",
        "next: publish ca-bundle.crt as the gateway's ca.crt, then issue clients with --ca ca-next",
    ]


def cmd_revoke(args: argparse.Namespace) -> list[str]:
    directory = Path(args.dir)
    ca = load_ca(directory, args.ca, read_passphrase(args.passphrase_file))
    cert = read_cert(Path(args.cert))
    if cert.issuer != ca.cert.subject or not _signed_by(cert, ca.cert):
        raise Refused(f"{args.cert} was not issued by {directory}/{args.ca}.crt")
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
    ca = load_ca(directory, args.ca, read_passphrase(args.passphrase_file))
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
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def cmd_k8s(args: argparse.Namespace) -> list[str]:
    directory = Path(args.dir)
    for filename in (f"{args.server}.crt", f"{args.server}.key", f"{args.ca}.crt"):
        if not (directory / filename).is_file():
            raise UsageError(f"{directory / filename}: no such file")
    read_cert(directory / f"{args.server}.crt")
    docs = [
        _secret_yaml(
            args.server_secret,
            args.namespace,
            directory / f"{args.server}.crt",
            directory / f"{args.server}.key",
        ),
        _configmap_yaml(
            args.ca_configmap, args.namespace, "ca.crt", (directory / f"{args.ca}.crt").read_text()
        ),
    ]
    crl = directory / f"{args.ca}.crl"
    if args.crl:
        if not crl.exists():
            raise UsageError(f"{crl}: no CRL yet; run `mtls_certs.py crl {directory}`")
        docs.append(
            _configmap_yaml(f"{args.ca_configmap}-crl", args.namespace, "ca.crl", crl.read_text())
        )
    return ["---\n".join(docs).rstrip("\n")]


def _meta(kind: str, api_version: str, name: str, namespace: str) -> str:
    return f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"


def _secret_yaml(name: str, namespace: str, cert: Path, key: Path) -> str:
    data = {
        k: base64.b64encode(p.read_bytes()).decode()
        for k, p in (("tls.crt", cert), ("tls.key", key))
    }
    lines = "".join(f"  {k}: {v}\n" for k, v in data.items())
    return _meta("Secret", "v1", name, namespace) + "type: kubernetes.io/tls\ndata:\n" + lines


def _configmap_yaml(name: str, namespace: str, key: str, pem: str) -> str:
    body = "".join(f"    {line}\n" for line in pem.strip("\n").split("\n"))
    return _meta("ConfigMap", "v1", name, namespace) + f"data:\n  {key}: |\n" + body


def describe(cert: x509.Certificate) -> list[str]:
    """The facts of a certificate that matter for mTLS, one per line."""
    san = _ext(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    eku = _ext(cert, ExtensionOID.EXTENDED_KEY_USAGE)
    usage = _ext(cert, ExtensionOID.KEY_USAGE)
    basic = _ext(cert, ExtensionOID.BASIC_CONSTRAINTS)
    key = cert.public_key()
    key_text = (
        f"RSA {key.key_size}"
        if isinstance(key, rsa.RSAPublicKey)
        else f"ECDSA {key.curve.name}"
        if isinstance(key, ec.EllipticCurvePublicKey)
        else type(key).__name__
    )
    return [
        f"subject:      {cert.subject.rfc4514_string()}",
        f"issuer:       {cert.issuer.rfc4514_string()}",
        f"serial:       {cert.serial_number:x}",
        f"valid:        {cert.not_valid_before_utc:%Y-%m-%d %H:%M} to {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC",
        f"key:          {key_text}",
        f"SANs:         {', '.join(_san_text(san.value)) if san else '(none)'}",
        f"EKU:          {', '.join(_EKU_NAMES.get(o, o.dotted_string) for o in eku.value) if eku else '(none)'}",
        f"key usage:    {_usage_text(usage.value) if usage else '(none)'}",
        f"CA:           {'yes' if basic and basic.value.ca else 'no'}",
        f"SHA-256:      {cert_hash(cert)}   (Envoy Gateway certificateHashes)",
        f"SPKI SHA-256: {spki_hash(cert)}   (Envoy Gateway spkiHashes)",
    ]


_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
}


def _san_text(san: x509.SubjectAlternativeName) -> list[str]:
    kinds = (
        (x509.DNSName, "DNS"),
        (x509.IPAddress, "IP"),
        (x509.UniformResourceIdentifier, "URI"),
        (x509.RFC822Name, "email"),
    )
    return [f"{label}:{value}" for cls, label in kinds for value in san.get_values_for_type(cls)]


def _usage_text(usage: x509.KeyUsage) -> str:
    names = ["digital_signature", "key_encipherment", "key_agreement", "key_cert_sign", "crl_sign"]
    return ", ".join(n for n in names if getattr(usage, n))


def cmd_inspect(args: argparse.Namespace) -> list[str]:
    lines, errors = [], 0
    roots = [read_cert(Path(args.ca))] if args.ca else []
    for path in args.files:
        cert = read_cert(Path(path))
        found = findings(cert, args.role)
        if roots and not is_ca(cert):
            try:
                verify_chain(cert, roots, args.role or _guess_role(cert) or "client")
            except Exception as exc:  # VerificationError, with the verifier's reason
                found.append(Finding("error", f"does not verify against {args.ca}: {exc}"))
        errors += sum(f.severity == "error" for f in found)
        lines += [f"{path}:", *(f"  {line}" for line in describe(cert))]
        lines += [f"  {f}" for f in found] or ["  no problems found"]
    print("\n".join(lines))
    if errors:
        raise Refused(f"{errors} problem(s) found")
    return []


def _output_dir(raw: str) -> Path:
    directory = Path(raw)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{directory}: cannot create folder: {exc.strerror}") from None
    if (directory / "ca.key").exists():
        raise Refused(
            f"{directory / 'ca.key'} exists; refusing to touch an existing CA (choose another folder)"
        )
    return directory


# --- command line ---------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="mtls_certs.py",
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help_text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.set_defaults(func=func)
        cmd.add_argument("dir", metavar="DIR", help="folder holding the CA and the certificates")
        return cmd

    def key_options(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument(
            "--key-type",
            choices=KEY_TYPES,
            default="ecdsa",
            help="ecdsa (P-256, default) or rsa (3072 bits)",
        )

    def ca_options(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument(
            "--ca",
            default="ca",
            help="name of the CA files in DIR (default: ca; ca-next during rotation)",
        )
        cmd.add_argument(
            "--passphrase-file", help="file holding the passphrase of an encrypted CA key"
        )

    init = add("init", cmd_init, "make a CA, a server and a client certificate in a new folder")
    init.add_argument("--dns", action="append", required=True, help="server DNS name (repeatable)")
    init.add_argument("--ip", action="append", default=[], help="server IP address (repeatable)")
    init.add_argument("--client-cn", default="client", help="client common name (default: client)")
    init.add_argument("--client-dns", help="client DNS SAN (default: the common name)")
    init.add_argument(
        "--client-uri",
        action="append",
        default=[],
        help="client URI SAN such as spiffe://example.org/client",
    )
    init.add_argument("--ca-cn", default="mTLS example CA", help="CA common name")
    init.add_argument(
        "--ca-days",
        type=int,
        default=CA_DAYS,
        help=f"CA validity (default {CA_DAYS}, at most {CA_DAYS_MAX})",
    )
    init.add_argument(
        "--days",
        type=int,
        default=LEAF_DAYS,
        help=f"leaf validity (default {LEAF_DAYS}, at most {LEAF_DAYS_MAX})",
    )
    key_options(init)

    ca = add("ca", cmd_ca, "make a new CA")
    ca.add_argument("--cn", default="mTLS example CA", help="common name")
    ca.add_argument("--name", default="ca", help="file name stem (default: ca)")
    ca.add_argument(
        "--days",
        type=int,
        default=CA_DAYS,
        help=f"validity (default {CA_DAYS}, at most {CA_DAYS_MAX})",
    )
    key_options(ca)

    for role in ("server", "client"):
        leaf = add(role, cmd_leaf, f"issue a {role} certificate from DIR's CA")
        leaf.set_defaults(role=role)
        leaf.add_argument("--dns", action="append", default=[], help="DNS SAN (repeatable)")
        leaf.add_argument("--ip", action="append", default=[], help="IP SAN (repeatable)")
        leaf.add_argument(
            "--uri", action="append", default=[], help="URI SAN, e.g. spiffe://... (repeatable)"
        )
        leaf.add_argument("--cn", help="common name (default: the first SAN)")
        leaf.add_argument("--name", help=f"file name stem (default: {role})")
        leaf.add_argument(
            "--days",
            type=int,
            default=LEAF_DAYS,
            help=f"validity (default {LEAF_DAYS}, at most {LEAF_DAYS_MAX})",
        )
        leaf.add_argument(
            "--force", action="store_true", help="replace an existing leaf (never a CA)"
        )
        key_options(leaf)
        ca_options(leaf)

    rotate = add("rotate-ca", cmd_rotate_ca, "make ca-next beside ca and a bundle trusting both")
    rotate.add_argument("--cn", default="mTLS example CA (next)", help="common name of the new CA")
    rotate.add_argument("--days", type=int, default=CA_DAYS, help="validity of the new CA")
    key_options(rotate)

    revoke = add("revoke", cmd_revoke, "revoke a certificate and write DIR/<ca>.crl")
    revoke.add_argument("cert", metavar="CERT", help="the certificate to revoke (PEM)")
    ca_options(revoke)

    crl = add("crl", cmd_crl, "write DIR/<ca>.crl with a fresh nextUpdate")
    crl.add_argument(
        "--days", type=int, default=CRL_DAYS, help=f"until nextUpdate (default {CRL_DAYS})"
    )
    ca_options(crl)

    k8s = add("k8s", cmd_k8s, "print the server Secret and the client-CA ConfigMap as YAML")
    k8s.add_argument("--namespace", default="gateway", help="namespace (default: gateway)")
    k8s.add_argument(
        "--server", default="server", help="stem of the server files (default: server)"
    )
    k8s.add_argument("--server-secret", default="secure-example-com-tls", help="Secret name")
    k8s.add_argument(
        "--ca", default="ca", help="stem of the CA certificate (ca-bundle during rotation)"
    )
    k8s.add_argument("--ca-configmap", default="client-ca", help="ConfigMap name (key ca.crt)")
    k8s.add_argument(
        "--crl", action="store_true", help="also a ConfigMap <name>-crl with key ca.crl"
    )

    inspect = sub.add_parser(
        "inspect",
        help="explain certificates and flag mTLS mistakes",
        description="explain certificates and flag mTLS mistakes; exit 1 if any error is found",
    )
    inspect.set_defaults(func=cmd_inspect)
    inspect.add_argument("files", nargs="+", metavar="FILE", help="PEM certificates")
    inspect.add_argument(
        "--role",
        choices=("server", "client", "ca"),
        help="what the certificate is for (default: guessed)",
    )
    inspect.add_argument("--ca", help="CA certificate to verify against (RFC 5280 path validation)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        for line in args.func(args):
            print(line)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

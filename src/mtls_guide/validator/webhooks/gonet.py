"""The parts of Go's ``net`` and ``net/mail`` parsers that cert-manager's webhook relies on.

``ip`` follows ``net.ParseIP`` (no zones, no leading zeros). ``mail_address_error``
covers the address forms people actually write; where Go's RFC 5322 parser would
need replicating in full, it accepts rather than refuse with a guessed message.
"""

from __future__ import annotations

import ipaddress
import re

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATOM}(?:\.{_ATOM})*"
_ADDR_SPEC = re.compile(rf"^({_DOT_ATOM}|\"[^\"\\]*\")@({_DOT_ATOM}|\[[^\]\\]*\])$")
_NAME_ADDR = re.compile(r"^[^<>]*<([^<>]*)>\s*$")
_GROUP = re.compile(rf"^\s*{_ATOM}(?:\s+{_ATOM})*\s*:")


def parse_ip(text: str) -> bool:
    """Whether ``net.ParseIP`` accepts the text (IPv4, IPv6, IPv4-in-IPv6; no ``%zone``)."""
    if "%" in text:
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def mail_address_error(text: str) -> str | None:
    """Why ``mail.ParseAddress(text)`` fails, or None when it would succeed (or we cannot tell)."""
    if _ADDR_SPEC.match(text):
        return None
    if _NAME_ADDR.match(text):
        return None  # parsed, but more than the address itself: mail_address_only says so
    if _GROUP.match(text):
        # "mailto:a@b" reads as a group named "mailto" that lacks its closing ";"
        return None if text.rstrip().endswith(";") else "mail: expected comma"
    if "@" not in text:
        return "mail: missing '@' or angle-addr"
    return None


def mail_address_only(text: str) -> bool:
    """Whether the parsed address is the whole text (not ``Name <addr>`` or a group)."""
    return _ADDR_SPEC.match(text) is not None

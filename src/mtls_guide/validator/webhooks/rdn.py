"""RFC 4514 subject strings, as cert-manager reads ``literalSubject`` (the parser in cert-manager's pki package).

Only what the webhook needs: the attribute types in order (unknown names marked),
their unescaped values, and whether the string parses at all.
"""

from __future__ import annotations

import re

# The short names cert-manager maps to OIDs (pkg/util/pki/subject.go); anything else must be an OID.
KNOWN_TYPES = frozenset(
    {"C", "O", "OU", "CN", "SERIALNUMBER", "L", "ST", "STREET", "POSTALCODE", "UID", "DC"}
)
UNKNOWN = None
_OID = re.compile(r"^[0-9]+(\.[0-9]+)+$")


def _split(text: str, separators: str) -> list[str]:
    """Split at unescaped separators, keeping escapes for the next step."""
    parts, current, escaped = [], "", False
    for char in text:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            current += char
            escaped = True
        elif char in separators:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _unescape(value: str) -> str:
    out = re.sub(r"\\([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), value)
    return re.sub(r"\\(.)", r"\1", out)


def parse_rdn_sequence(text: str) -> tuple[list[tuple[str | None, str]], str | None]:
    """[(type or UNKNOWN, value)] in order, and a parse error (or None)."""
    attributes: list[tuple[str | None, str]] = []
    for rdn in _split(text, ",;"):
        for pair in _split(rdn, "+"):
            name, equals, value = pair.partition("=")
            name = name.strip()
            if not equals or not name:
                return attributes, f"DN ended with incomplete type, value pair: {text}"
            known = name if name in KNOWN_TYPES or _OID.match(name) else UNKNOWN
            attributes.append((known, _unescape(value.strip())))
    return attributes, None

"""cert-manager's RFC2136 nameserver check (validation/util/nameserver.go), over Go's net.SplitHostPort."""

from __future__ import annotations

DEFAULT_PORT = "53"


def _split_host_port(text: str) -> tuple[str, str] | str:
    """net.SplitHostPort: (host, port), or the error's reason."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return "missing ']' in address"
        host, rest = text[1:end], text[end + 1 :]
        if not rest:
            return "missing port in address"
        if not rest.startswith(":") or ":" in rest[1:]:
            return "too many colons in address" if ":" in rest[1:] else "missing port in address"
        return host, rest[1:]
    colon = text.rfind(":")
    if colon < 0:
        return "missing port in address"
    host, port = text[:colon], text[colon + 1 :]
    if ":" in host:
        return "too many colons in address"
    if "[" in host or "]" in host or "[" in port or "]" in port:
        return "unexpected '[' or ']' in address"
    return host, port


def valid_nameserver(nameserver: str) -> str | None:
    """The sanitised ``host:port``, or None when cert-manager refuses the nameserver."""
    text = nameserver.strip()
    if not text:
        return None
    split = _split_host_port(text)
    if isinstance(split, str):
        if "missing port" not in split:
            return None
        host, port = text.strip("[]"), ""
    else:
        host, port = split
    if not host:
        return None
    port = port or DEFAULT_PORT
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

"""Who called? The client identity Envoy Gateway forwards in X-Forwarded-Client-Cert."""

import json
import re

TRUSTED_PREFIX = "spiffe://example.org/"
# A described certificate is far smaller: refuse anything larger.
MAX_HEADER_BYTES = 8192
# key=value pairs of one XFCC element; a value may be quoted: Subject="CN=a,O=b".
PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^;,"]*)')


def client_identity(header: str | None) -> str | None:
    """The URI SAN of the one client certificate the gateway described, else None.

    Trust this header only behind a gateway that sets it (SanitizeSet replaces
    whatever the client sent) and only on a port the gateway alone can reach.
    A comma outside quotes means a second element: someone appended to the
    header, so it is refused rather than guessed.
    """
    if not header or len(header) > MAX_HEADER_BYTES:
        return None
    if PAIR.sub("", header).strip(";"):
        return None  # text that is not a pair: a second element or garbage
    uris = [value.strip('"') for key, value in PAIR.findall(header) if key == "URI"]
    return uris[0] if len(uris) == 1 else None


def app(environ, start_response):
    """A WSGI application: 200 for clients of our trust domain, 403 for anyone else."""
    identity = client_identity(environ.get("HTTP_X_FORWARDED_CLIENT_CERT"))
    allowed = identity is not None and identity.startswith(TRUSTED_PREFIX)
    body = json.dumps({"client": identity, "allowed": allowed}).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response("200 OK" if allowed else "403 Forbidden", headers)
    return [body]


if __name__ == "__main__":
    from wsgiref.simple_server import make_server

    make_server("", 8080, app).serve_forever()

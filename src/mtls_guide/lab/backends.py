"""The lab's backends: an HTTP echo behind the terminating listeners, and an mTLS
backend behind the passthrough listener. Both answer with what the application
received, including the client identity, as JSON."""

from __future__ import annotations

import json
import re
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_XFCC_FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^;,]*)')


def parse_xfcc(header: str) -> list[dict[str, str]]:
    """``x-forwarded-client-cert`` elements (comma separated) as dicts of their key=value pairs."""
    elements = []
    for element in re.split(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', header):
        pairs = {key: value.strip('"') for key, value in _XFCC_FIELD.findall(element)}
        if pairs:
            elements.append(pairs)
    return elements


class _Echo(BaseHTTPRequestHandler):
    server: EchoServer  # the server that made this handler
    server_version = "mtls-lab-echo"
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid 40 ms ACK stalls
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = {
            "backend": self.server.label,
            "method": self.command,
            "path": self.path,
            "host": self.headers.get("host"),
            "x-forwarded-client-cert": self.headers.get("x-forwarded-client-cert"),
            "client-identity": parse_xfcc(self.headers.get("x-forwarded-client-cert") or ""),
        }
        body.update(self.server.describe_peer(self))
        data = (json.dumps(body, indent=2) + "\n").encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass  # the lab prints its own summary


class EchoServer(ThreadingHTTPServer):
    """Plain HTTP on loopback: what Envoy forwards after terminating TLS."""

    daemon_threads = True
    label = "echo"

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Echo)

    def describe_peer(self, handler: BaseHTTPRequestHandler) -> dict[str, Any]:
        return {}

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> None:
        threading.Thread(target=self.serve_forever, daemon=True, name=self.label).start()


class MutualTLSBackend(EchoServer):
    """A backend that terminates TLS itself and requires a client certificate (passthrough)."""

    label = "passthrough-backend"

    def __init__(self, cert: str, key: str, client_ca: str) -> None:
        super().__init__()
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.context.load_verify_locations(client_ca)
        self.context.verify_mode = ssl.CERT_REQUIRED

    def get_request(self) -> tuple[ssl.SSLSocket, Any]:
        sock, address = self.socket.accept()
        # Handshake in the request thread, so one slow client cannot stall the others.
        return self.context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False
        ), address

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(10)
            request.do_handshake()
        except (ssl.SSLError, OSError):
            self.shutdown_request(request)
            return
        super().process_request_thread(request, client_address)

    def describe_peer(self, handler: BaseHTTPRequestHandler) -> dict[str, Any]:
        peer = handler.connection.getpeercert() or {}
        subject = ",".join(f"{k}={v}" for rdn in peer.get("subject", ()) for k, v in rdn)
        return {
            "tls_version": handler.connection.version(),
            "peer_subject": subject,
            "peer_sans": [f"{kind}:{value}" for kind, value in peer.get("subjectAltName", ())],
        }

"""A client for the lab's listeners (new connection per request), and CA rotation under load."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from mtls_guide import mtls_certs as mc
from mtls_guide.lab.runner import Lab


def _context(lab: Lab, client: mc.Issued | None) -> ssl.SSLContext:
    """One client TLS context per certificate of the lab's PKI, built once even under concurrent use."""
    key = client.cert.serial_number if client else None
    contexts = lab.pki.client_contexts
    with lab.pki.contexts_lock:
        if key not in contexts:
            context = ssl.create_default_context(cadata=lab.pki.ca_pem().decode())
            if client is not None:
                stem = f"client-{client.cert.serial_number:x}"
                mc.write_cert(lab.workdir / f"{stem}.crt", client.cert_pem(), replace=True)
                mc.write_key(lab.workdir / f"{stem}.key", client, replace=True)
                context.load_cert_chain(lab.workdir / f"{stem}.crt", lab.workdir / f"{stem}.key")
            contexts[key] = context
        return contexts[key]


def fetch(
    lab: Lab, port: int, client: mc.Issued | None, host: str, path: str = "/"
) -> tuple[int, bytes]:
    """One HTTPS request on a new connection with SNI ``host``: (status, body), or an exception."""
    context = _context(lab, client)
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=5)
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms delayed-ACK stalls
        connection.sock = context.wrap_socket(raw, server_hostname=host)
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def request(lab: Lab, port: int, client: mc.Issued | None, host: str) -> dict[str, Any]:
    """The echo's JSON for one request; an exception for a refused handshake or another status."""
    status, body = fetch(lab, port, client, host)
    if status != 200:
        raise http.client.HTTPException(f"HTTP {status}: {body[:200]!r}")
    answer: dict[str, Any] = json.loads(body)
    return answer


@dataclass
class RotationResult:
    requests: int = 0
    failures: list[str] = field(default_factory=list)


def rotate_under_load(
    lab: Lab, port: int, host: str, new_client_names: mc.Names, pause: float = 0.3, workers: int = 4
) -> RotationResult:
    """Old CA -> old+new bundle -> clients move to the new CA -> new CA only, while ``workers``
    clients send requests without pause (bounded: 30 s, 5,000 requests, loopback only)."""
    result, stop = RotationResult(), threading.Event()
    current = {"client": lab.pki.client}

    lock = threading.Lock()

    def load() -> None:
        deadline = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < deadline and result.requests < 5000:
            try:
                request(lab, port, current["client"], host)
            except Exception as exc:  # any failure of a trusted client is a finding
                with lock:
                    result.failures.append(
                        f"{exc!r} at {traceback.extract_tb(exc.__traceback__)[-1]}"
                    )
            with lock:
                result.requests += 1

    threads = [threading.Thread(target=load) for _ in range(workers)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(pause)
        new_ca = mc.make_ca("mTLS lab CA (next)")
        lab.set_client_ca(lab.pki.ca_pem() + new_ca.cert_pem())  # 1. trust both
        time.sleep(pause)
        current["client"] = mc.issue_leaf(new_ca, "client", new_client_names)  # 2. clients move
        time.sleep(pause)
        lab.set_client_ca(new_ca.cert_pem())  # 3. retire the old CA
        time.sleep(pause)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return result

"""The running lab's control endpoint: `lab apply/delete/get` talk to it over loopback HTTP.

The lab writes its address and a random token to ``control.json`` in the workdir (mode
0600, so only the reader's user can drive the lab) and removes it when it stops.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from mtls_guide.lab import files
from mtls_guide.lab.objects import LabError

MAX_BODY = 4 * 1024 * 1024  # manifests, not data: refuse anything bigger before reading it
CONTROL_FILE = "control.json"

Handler = Callable[[str, dict[str, str], bytes], Any]


class _Request(BaseHTTPRequestHandler):
    server: ControlServer
    protocol_version = "HTTP/1.1"

    def _answer(self, code: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        token = self.headers.get("x-lab-token", "")
        if not hmac.compare_digest(token, self.server.token):
            self._answer(403, {"error": "wrong or missing token"})
            return
        try:
            size = int(self.headers.get("content-length") or 0)
        except ValueError:
            size = -1
        if size < 0 or size > MAX_BODY:
            self._answer(413, {"error": f"a body of 0 to {MAX_BODY} bytes, please"})
            self.close_connection = True
            return
        body = self.rfile.read(size) if size else b""
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        try:
            self._answer(200, self.server.handler(url.path, query, body))
        except LabError as exc:
            self._answer(422, {"error": str(exc)})

    do_GET = _handle
    do_POST = _handle

    def log_message(self, format: str, *args: object) -> None:
        pass


class ControlServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: Handler) -> None:
        super().__init__(("127.0.0.1", 0), _Request)
        self.handler = handler
        self.token = secrets.token_hex(16)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True, name="lab-control")

    def start(self, workdir: Path) -> None:
        self.thread.start()
        url = f"http://127.0.0.1:{self.server_address[1]}"
        files.write(
            workdir / CONTROL_FILE, json.dumps({"url": url, "token": self.token}), mode=0o600
        )

    def stop(self, workdir: Path) -> None:
        files.remove(workdir / CONTROL_FILE)
        self.shutdown()
        self.server_close()


def call(
    workdir: Path, path: str, query: dict[str, str] | None = None, body: bytes | None = None
) -> Any:
    """Ask the lab running in ``workdir``; LabError with its one-line answer when it refuses."""
    try:
        control = json.loads((workdir / CONTROL_FILE).read_text())
    except (OSError, ValueError):
        raise LabError(
            f"no lab is running in {workdir} (start one with: lab.py up --workdir {workdir})"
        ) from None
    url = control["url"] + path + ("?" + urllib.parse.urlencode(query) if query else "")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST" if body is not None else "GET",
        headers={"x-lab-token": control["token"]},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # loopback only
            return json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            message = json.load(exc).get("error", str(exc))
        except ValueError:
            message = str(exc)
        raise LabError(message) from None
    except OSError:
        raise LabError(f"the lab in {workdir} does not answer (stopped or killed?)") from None


def running(workdir: Path) -> bool:
    try:
        call(workdir, "/ping")
    except LabError:
        return False
    return True

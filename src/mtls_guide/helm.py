"""Render the Helm page's chart with the real helm (pinned in locks/tools.json) and the real
chart (pinned file by file in locks/charts.json; never committed, since it has no licence)."""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mtls_guide.pinned import PinError, copy_chart, read_asset

# The command a page names in a `helm-rendered` directive, with the repository's chart reference.
TEMPLATE_COMMAND = re.compile(
    r"helm template (?P<release>[a-z0-9-]+) (?P<repo>[a-z0-9-]+)/(?P<chart>[a-z0-9-]+)"
    r" --version (?P<version>[0-9.]+) --namespace (?P<namespace>[a-z0-9-]+)"
    r" --values (?P<values>\S+)"
)


class HelmError(Exception):
    """helm refused the chart or the values; the message is helm's own."""


@dataclass(frozen=True)
class Template:
    """One `helm template` run: which release of which pinned chart, with which values."""

    release: str
    chart: str
    version: str
    namespace: str

    def render(self, values: str) -> str:
        """What helm prints for ``values`` (YAML text), rendered from a fresh verified copy."""
        with tempfile.TemporaryDirectory(prefix="helm-") as scratch:
            folder = Path(scratch)
            chart = copy_chart(self.chart, folder / "chart")
            version = _chart_version(chart)
            if version != self.version:
                raise PinError(
                    f"{self.chart}: the lock pins {version}, the page asks {self.version}"
                )
            values_file = folder / "values.yaml"
            values_file.write_text(values)
            return _helm(
                "template", self.release, str(chart), "--namespace", self.namespace,
                "--values", str(values_file), home=folder,
            )  # fmt: skip


def _chart_version(chart: Path) -> str:
    match = re.search(r"^version:\s*(\S+)", (chart / "Chart.yaml").read_text(), re.MULTILINE)
    return match.group(1).strip("\"'") if match else ""


def _helm(*args: str, home: Path) -> str:
    # A private HOME/XDG folder: helm reads no repository list or plugin of the user's.
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data")}  # fmt: skip
    done = subprocess.run(
        [str(read_asset("helm")), *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise HelmError(done.stderr.strip() or f"helm exited {done.returncode}")
    return done.stdout

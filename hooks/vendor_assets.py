"""MkDocs hook: serve pinned front-end assets (mermaid) from the site itself.

The files are fetched and verified by `scripts/fetch_pins.py assets` (run by
`nox -s docs`); the build itself never touches the network.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

# Hooks are loaded by path, so the guide's package is not importable by default.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from guidetools.pinned import PinError, read_asset

VENDORED = {"mermaid": "assets/vendor/mermaid.min.js"}


def on_files(files: Files, config, **kwargs) -> Files:
    for name, dest in VENDORED.items():
        try:
            source = read_asset(name)
        except PinError as exc:
            raise PluginError(str(exc)) from None
        files.append(File.generated(config, dest, abs_src_path=str(source)))
    return files

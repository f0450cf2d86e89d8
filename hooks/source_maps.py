"""MkDocs hook: ship no source maps (``mtls_guide.site.drop_source_maps`` says why)."""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig

from mtls_guide.site import drop_source_maps


def on_post_build(config: MkDocsConfig) -> None:
    drop_source_maps(Path(config["site_dir"]))

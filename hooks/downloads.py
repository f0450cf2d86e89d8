"""MkDocs hook: serve the downloads (the certificate script, every snippet in one zip).

Diagrams are pre-rendered SVG (`nox -s diagrams`), so the site ships no Mermaid;
the build never touches the network.
"""

from __future__ import annotations

from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from mtls_guide.paths import CERT_TOOL, ROOT

# Files readers download from the site, served straight from the repository.
DOWNLOADS = {CERT_TOOL: "downloads/mtls_certs.py"}


def examples_zip() -> bytes:
    """Every snippet the pages show, in one archive, with stable timestamps (reproducible bytes)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((ROOT / "snippets").rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(
                    f"mtls-guide-examples/{path.relative_to(ROOT / 'snippets').as_posix()}",
                    (2026, 1, 1, 0, 0, 0),
                )
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def on_files(files: Files, config: MkDocsConfig, **kwargs: Any) -> Files:
    for source, dest in DOWNLOADS.items():
        files.append(File.generated(config, dest, abs_src_path=str(source)))
    files.append(File.generated(config, "downloads/examples.zip", content=examples_zip()))
    return files

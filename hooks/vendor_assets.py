"""MkDocs hook: serve pinned front-end assets (mermaid) and the downloads from the site itself.

The files are fetched and verified by `scripts/fetch_pins.py assets` (run by
`nox -s docs`); the build itself never touches the network.
"""

from __future__ import annotations

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from mtls_guide.paths import CERT_TOOL, ROOT
from mtls_guide.pinned import PinError, read_asset

VENDORED = {"mermaid": "assets/vendor/mermaid.min.js"}
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


def on_post_page(output: str, page, config, **kwargs) -> str:
    """Load mermaid (3.5 MB) only on pages that have a diagram, before Material's own script.

    With `mermaid` defined, Material renders the diagrams with it instead of fetching
    mermaid from a CDN.
    """
    if 'class="mermaid"' not in output:
        return output
    src = page.url.count("/") * "../" + VENDORED["mermaid"]
    marker = '<script src="'
    bundle = output.find(marker, output.find("assets/javascripts/bundle") - 40)
    return output[:bundle] + f'<script src="{src}"></script>\n      ' + output[bundle:]


def on_files(files: Files, config, **kwargs) -> Files:
    for name, dest in VENDORED.items():
        try:
            source = read_asset(name)
        except PinError as exc:
            raise PluginError(str(exc)) from None
        files.append(File.generated(config, dest, abs_src_path=str(source)))
    for source, dest in DOWNLOADS.items():
        files.append(File.generated(config, dest, abs_src_path=str(source)))
    files.append(File.generated(config, "downloads/examples.zip", content=examples_zip()))
    return files

"""Sessions of the mTLS guide. `nox -l` lists them; arguments after `--` go to the tool."""

from __future__ import annotations

import os

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "tests", "docs"]

DOCS_ENV = {"NO_MKDOCS_2_WARNING": "1"}  # silences Material's end-of-life banner, not warnings


def sync(session: nox.Session, extras: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> None:
    """Install the package (editable) with exactly the locked versions (uv.lock) of its
    dependencies, the given extras (pyproject's optional-dependencies) and dev groups."""
    session.run_install(
        "uv",
        "sync",
        "--locked",
        "--no-default-groups",
        *(f"--extra={e}" for e in extras),
        *(f"--group={g}" for g in groups),
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )


def fetch(session: nox.Session, what: str) -> None:
    session.run("mtls-fetch-pins", what)


@nox.session
def schemas(session: nox.Session) -> None:
    """Fetch the pinned CRDs (or read CRDS_MIRROR) and verify their sha256."""
    sync(session)
    fetch(session, "crds")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site into site/ with `mkdocs build --strict`."""
    sync(session, extras=("docs",))
    session.run("mkdocs", "build", "--strict", *session.posargs, env=DOCS_ENV)


@nox.session
def serve(session: nox.Session) -> None:
    """Live preview on http://127.0.0.1:8000 (`mkdocs serve`)."""
    sync(session, extras=("docs",))
    session.run("mkdocs", "serve", *session.posargs, env=DOCS_ENV)


@nox.session
def tests(session: nox.Session) -> None:
    """The full test suite: every code block, the validator, the scripts, the lab."""
    sync(session, extras=("docs", "lab"), groups=("tests",))
    fetch(session, "all")
    # Browser tests need Chromium from Debian; `nox -s browser` runs them.
    session.run("pytest", *(session.posargs or ("tests", "--ignore=tests/browser")), env=DOCS_ENV)


@nox.session
def browser(session: nox.Session) -> None:
    """The built site in Debian's Chromium: console, offline, diagrams, copy, a11y, search."""
    sync(session, extras=("docs", "browser"), groups=("tests",))
    fetch(session, "all")
    session.run("pytest", *(session.posargs or ("tests/browser",)), env=DOCS_ENV)


@nox.session(default=False)
def diagrams(session: nox.Session) -> None:
    """Render diagrams/*.mmd to docs/diagrams/*.svg with the pinned Mermaid in Chromium."""
    sync(session, extras=("browser",))
    fetch(session, "assets")
    session.run("python", "scripts/render_diagrams.py")


@nox.session(default=False)
def lab(session: nox.Session) -> None:
    """Run the local lab (Envoy on loopback) until Ctrl-C; lab.env lands in .lab/."""
    sync(session, extras=("docs", "lab"), groups=("tests",))
    fetch(session, "crds")
    fetch(session, "tools")  # `mtls-lab get -o jsonpath=...` formats with the pinned kubectl
    session.run("mtls-lab", "up", "--workdir", ".lab", *session.posargs)


@nox.session(default=False)
def quickstart(session: nox.Session) -> None:
    """Run docs/quickstart.md in page order: `-- --mode cluster --workdir DIR` on the current
    kubectl context (the workflow's kind cluster), or `--mode offline` against the lab."""
    sync(session, extras=("docs", "lab"))  # docs: the page's includes expand as the site does
    fetch(session, "crds")
    session.run("python", "-m", "mtls_guide.walkthrough", "docs/quickstart.md", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff and mypy (strict) on Python; yamllint and shellcheck on snippets; zizmor on the workflows."""
    # Every extra, so the type checker sees the real types of mkdocs, Playwright and Envoy.
    sync(session, extras=("docs", "lab", "browser"), groups=("lint",))
    session.run(
        "ruff",
        "check",
        "src",
        "scripts",
        "tests",
        "hooks",
        "benchmarks",
        "noxfile.py",
        *session.posargs,
    )
    session.run(
        "ruff", "format", "--check", "src", "scripts", "tests", "hooks", "benchmarks", "noxfile.py"
    )
    session.run("mypy")  # strict over src/, hooks/ and scripts/ (pyproject's [tool.mypy])
    session.run("yamllint", "--strict", "snippets", "mkdocs.yml", ".github/workflows")
    # Workflows: actions pinned by commit, least privilege. (actionlint's PyPI package
    # downloads its binary from GitHub at install time, which this project cannot rely on.)
    session.run("zizmor", "--offline", ".github/workflows")
    shell_snippets = sorted(
        os.path.join(d, f) for d, _, fs in os.walk("snippets") for f in fs if f.endswith(".sh")
    )
    session.run("shellcheck", "--shell=bash", *shell_snippets)


@nox.session(default=False)
def locks(session: nox.Session) -> None:
    """Move a pin to a new upstream version (`-- crds gateway-api v1.6.2`), or, with no
    arguments, check every pinned file against upstream. Needs network."""
    sync(session)
    session.run("python", "-m", "mtls_guide.relock", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Print the speed figures: validator, certificate init, lab start and lab tests."""
    sync(session, extras=("docs", "lab", "browser"), groups=("tests",))
    fetch(session, "all")
    session.run("python", "benchmarks/bench_validator.py", *session.posargs)
    session.run("python", "benchmarks/bench_certs.py")
    session.run("python", "benchmarks/bench_lab.py")
    session.run("python", "benchmarks/bench_site.py")

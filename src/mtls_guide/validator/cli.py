"""Validate Kubernetes manifests offline, the way the API server would judge them on create.

Each object is checked against the pinned CRDs (Gateway API v1.6.1, Envoy Gateway
v1.9.0, cert-manager v1.21.1, trust-manager v0.24.0, AWS Load Balancer Controller
v3.5.0): OpenAPI schema with defaults, unknown fields (kubectl's strict field
validation), list-type uniqueness and the CEL rules. Built-in kinds (Secret,
ConfigMap, Service, ...) are checked against Kubernetes 1.35's schemas plus the
server's Secret and ConfigMap rules.

Each problem is one line:  FILE:LINE: Kind/name: field.path: message

After the API errors come mTLS lints across all the objects given (a CA
ConfigMap with key ca.crt exists, certificateRefs name a kubernetes.io/tls
Secret, cross-namespace references have a ReferenceGrant, ...). They print as
warnings and leave the exit code alone unless --lint-errors is given, since a
manifest often refers to objects kept in other files.

Exit status: 0 all objects valid, 1 some object invalid, 2 usage or read error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mtls_guide.pinned import PinError
from mtls_guide.validator.crds import CHANNELS
from mtls_guide.validator.engine import Validator
from mtls_guide.validator.lints import lint_objects

MAX_BYTES = 50 * 1024 * 1024  # far above any manifest; stops a mistaken path to a huge file


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="validate_manifests.py",
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a YAML file, a folder (all *.yaml, *.yml), or - for stdin",
    )
    parser.add_argument(
        "--channel",
        choices=CHANNELS,
        default="standard",
        help="Gateway API CRD channel (default: standard)",
    )
    parser.add_argument(
        "--lint-errors", action="store_true", help="treat mTLS lint warnings as errors (exit 1)"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print problems only, no summary line"
    )
    return parser.parse_args(argv)


def read_inputs(paths: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """(source name, text) pairs, and one message per path that could not be read."""
    inputs, errors = [], []
    for raw in paths:
        if raw == "-":
            inputs.append(("<stdin>", sys.stdin.read()))
            continue
        path = Path(raw)
        files = (
            sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
            if path.is_dir()
            else [path]
        )
        if path.is_dir() and not files:
            errors.append(f"{raw}: no *.yaml or *.yml files in this folder")
        for file in files:
            try:
                if file.stat().st_size > MAX_BYTES:
                    errors.append(f"{file}: larger than {MAX_BYTES // 1024 // 1024} MB; not read")
                    continue
                inputs.append((str(file), file.read_text(encoding="utf-8")))
            except FileNotFoundError:
                errors.append(f"{file}: no such file or folder")
            except UnicodeDecodeError:
                errors.append(f"{file}: not UTF-8 text")
            except OSError as exc:
                errors.append(f"{file}: cannot read: {exc.strerror}")
    return inputs, errors


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    inputs, read_errors = read_inputs(args.paths)
    for message in read_errors:
        print(f"error: {message}", file=sys.stderr)
    try:
        validator = Validator(args.channel)
    except PinError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    objects = [obj for source, text in inputs for obj in validator.check_text(text, source)]
    problems = [p for obj in objects for p in obj.problems]
    lints = lint_objects(objects)
    for problem in [*problems, *lints]:
        print(problem)
    invalid = {(o.source, o.line) for o in objects if o.problems}
    sys.stdout.flush()  # keep the summary after the problems when both streams share a terminal
    if not args.quiet:
        print(
            f"{len(objects)} objects, {len(invalid)} invalid, {len(lints)} lint warnings "
            f"({args.channel} channel)",
            file=sys.stderr,
        )
    if read_errors:
        return 2
    return 1 if invalid or (args.lint_errors and lints) else 0


if __name__ == "__main__":
    sys.exit(main())

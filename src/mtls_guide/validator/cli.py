"""Validate Kubernetes manifests offline, the way the API server would judge them on create.

Each object is checked against the pinned CRDs (Gateway API v1.6.1, Envoy Gateway
v1.9.0, cert-manager v1.21.1, trust-manager v0.24.0, AWS Load Balancer Controller
v3.5.0): OpenAPI schema with defaults, unknown fields (kubectl's strict field
validation), list-type uniqueness and the CEL rules. Built-in kinds (Secret,
ConfigMap, Service, Deployment, Namespace, ...) are checked against Kubernetes
1.35's schemas plus the server's own rules for them.

Each problem is one line:  FILE:LINE: Kind/name: field.path: message
(--output json prints one JSON document, each problem with a "stage": apiserver,
webhook or lint; --output github prints GitHub Actions annotations,
::error file=FILE,line=LINE,title=Kind/name::field.path: message).

After the API errors come mTLS lints across all the objects given (a CA
ConfigMap with key ca.crt exists, certificateRefs name a kubernetes.io/tls
Secret, cross-namespace references have a ReferenceGrant, ...). They print as
warnings and leave the exit code alone unless --lint-errors is given, since a
manifest often refers to objects kept in other files.

Hostile input is refused, not followed: YAML alias bombs (the API server's
"excessive aliasing" rule), nesting deeper than 100 levels, more than 16 MiB per
input or 64 MiB per run, more than 20,000 documents or 500,000 YAML nodes.

Exit status: 0 all objects valid, 1 some object invalid, 2 usage or read error
(a path that cannot be read, input over the limits, missing pinned CRDs, or no
objects at all unless --allow-empty is given), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import os
import sys

from mtls_guide.pinned import PinError, fetch_crds
from mtls_guide.validator.crds import CHANNELS
from mtls_guide.validator.engine import CheckedObject, Problem, Validator
from mtls_guide.validator.inputs import Input, ReadError, read_inputs
from mtls_guide.validator.lints import lint_objects
from mtls_guide.validator.loader import Budget, LimitExceeded
from mtls_guide.validator.output import FORMATS, Summary, render

OK, INVALID, USAGE = 0, 1, 2
NO_OBJECTS = 'no objects in the input (kubectl says "no objects passed to apply"); --allow-empty accepts that'


def parse_args(argv: list[str]) -> argparse.Namespace:
    doc = __doc__ or ""
    parser = argparse.ArgumentParser(
        prog="mtls-validate",
        description=doc.split("\n\n")[0],
        epilog="\n\n".join(doc.split("\n\n")[1:]),
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
        "--output",
        choices=FORMATS,
        default="text",
        help="text lines (default), one JSON document, or GitHub Actions annotations",
    )
    parser.add_argument(
        "--lint-errors", action="store_true", help="treat mTLS lint warnings as errors (exit 1)"
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="exit 0 when the input holds no objects (empty files, only comments)",
    )
    parser.add_argument(
        "--fetch",
        action="store_true",
        help="first download the pinned CRDs that are missing (each checked against its sha256)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print problems only, no summary line"
    )
    return parser.parse_args(argv)


def _validate(
    validator: Validator, paths: list[str]
) -> tuple[list[CheckedObject], list[str], bool]:
    """Every object of every input, the input errors, and whether the run was stopped."""
    objects: list[CheckedObject] = []
    errors: list[str] = []
    budget = Budget()
    for item in read_inputs(paths):
        if isinstance(item, str):
            print(f"note: {item}", file=sys.stderr)
        elif isinstance(item, ReadError):
            errors.append(item.message)
            if item.fatal:
                return objects, errors, True
        else:
            assert isinstance(item, Input)
            try:
                objects += validator.check_text(item.text, item.source, budget)
            except LimitExceeded as exc:
                errors.append(f"{item.source}: {exc}")
                return objects, errors, True
    return objects, errors, False


def _status(args: argparse.Namespace, objects: list[CheckedObject], errors: list[str]) -> int:
    if errors:
        return USAGE
    if not objects and not args.allow_empty:
        errors.append(NO_OBJECTS)
        return USAGE
    invalid = any(o.problems for o in objects)
    return INVALID if invalid else OK


def _print(
    args: argparse.Namespace, problems: list[Problem], errors: list[str], summary: Summary
) -> None:
    if args.output == "text":
        for message in errors:
            print(f"error: {message}", file=sys.stderr)
    for line in render(args.output, problems, errors, summary):
        print(line)
    sys.stdout.flush()  # keep the summary after the problems when both streams share a terminal
    if not args.quiet:
        print(summary, file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    try:
        if args.fetch:
            fetch_crds()
        validator = Validator(args.channel)
    except PinError as exc:
        message = f"{exc}{'' if args.fetch else ' (or pass --fetch)'}"
        print(f"error: {message}", file=sys.stderr)
        if args.output != "text":  # CI still gets a document it can parse
            print("\n".join(render(args.output, [], [message], None)))
        return USAGE
    objects, errors, _ = _validate(validator, args.paths)
    lints = lint_objects(objects)
    status = _status(args, objects, errors)
    if status == OK and args.lint_errors and lints:
        status = INVALID
    problems = [p for obj in objects for p in obj.problems] + lints
    invalid = len({(o.source, o.line) for o in objects if o.problems})
    summary = Summary(len(objects), invalid, len(lints), args.channel)
    try:
        _print(args, problems, errors, summary)
    except BrokenPipeError:  # `mtls-validate ... | head`: the reader has seen enough
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return status


def _tolerant_streams() -> None:
    """A terminal or pipe that cannot encode a character (``LC_ALL=C``,
    ``PYTHONIOENCODING=ascii``) gets a ``\\xe9``-style escape instead of a traceback."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def main(argv: list[str] | None = None) -> int:
    _tolerant_streams()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

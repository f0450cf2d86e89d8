"""The validator's report in three forms: text lines, one JSON document, GitHub annotations."""

from __future__ import annotations

import json
from dataclasses import dataclass

from mtls_guide.validator.engine import Problem

FORMATS = ("text", "json", "github")


@dataclass(frozen=True)
class Summary:
    objects: int
    invalid: int
    lint_warnings: int
    channel: str

    def as_json(self) -> dict[str, object]:
        return {
            "objects": self.objects,
            "invalid": self.invalid,
            "lintWarnings": self.lint_warnings,
            "channel": self.channel,
        }

    def __str__(self) -> str:
        return (
            f"{_count(self.objects, 'object')}, {self.invalid} invalid, "
            f"{_count(self.lint_warnings, 'lint warning')} ({self.channel} channel)"
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _github_data(text: str) -> str:
    """GitHub's escaping of a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    """GitHub's escaping of a workflow command's property (file, title)."""
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(problem: Problem) -> str:
    """``::error file=F,line=L,title=Kind/name::field: message`` (``::warning`` for a lint)."""
    level = "warning" if problem.lint else "error"
    where = f"{problem.field}: " if problem.field else ""
    denied = (
        f'admission webhook "{problem.webhook}" denied the request: ' if problem.webhook else ""
    )
    return (
        f"::{level} file={_github_property(problem.source)},line={problem.line},"
        f"title={_github_property(problem.subject)}::"
        f"{_github_data(denied + where + problem.message)}"
    )


def stage_of(problem: Problem) -> str:
    """Who raised it: the API server's own validation, an admission webhook, or a lint."""
    if problem.lint:
        return "lint"
    return "webhook" if problem.webhook else "apiserver"


def _as_dict(problem: Problem) -> dict[str, object]:
    return {
        "file": problem.source,
        "line": problem.line,
        "object": problem.subject,
        "field": problem.field,
        "message": problem.message,
        "severity": "warning" if problem.lint else "error",
        "stage": stage_of(problem),
        "webhook": problem.webhook or None,
    }


def render(
    form: str, problems: list[Problem], errors: list[str], summary: Summary | None
) -> list[str]:
    """The lines to print on standard output. ``errors`` are input errors (text: on stderr)."""
    if form == "json":
        document = {
            "problems": [_as_dict(p) for p in problems],
            "inputErrors": errors,
            "summary": None if summary is None else summary.as_json(),
        }
        return [json.dumps(document, indent=2)]  # ASCII: valid JSON whatever the terminal encodes
    if form == "github":
        return [github_line(p) for p in problems] + [
            f"::error::{_github_data(message)}" for message in errors
        ]
    return [str(p) for p in problems]

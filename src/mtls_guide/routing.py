"""Which checker owns a code block. A block nobody owns is an error, never a pass."""

from __future__ import annotations

from mtls_guide.blocks import Block

# Language of the fence -> checker. Anything else needs a directive.
BY_LANGUAGE = {
    "yaml": "manifest",
    "yml": "manifest",
    "bash": "shell",
    "sh": "shell",
    "shell": "shell",
    "python": "python",
    "py": "python",
    "mermaid": "mermaid",
    "promql": "promql",
}

# Checkers a directive may name. `skip` and `illustrative` carry a reason instead of a check.
DIRECTIVES = {
    "skip",
    "illustrative",
    "manifest",  # validated against the standard channel (the default for yaml)
    "manifest-experimental",  # validated against the experimental channel
    "rejected",  # must be rejected; the reason is the expected message
    "shell",
    "python",
    "mermaid",
    "yaml-syntax",  # YAML that is not a Kubernetes object: it must parse
    "validator-output",  # the validator's exact output for the file named after ';'
    "envoy-config",  # an Envoy bootstrap: `envoy --mode validate` must accept it
    "promql",  # metric and label names must exist in the lab's Prometheus output
    "unvalidated",  # a manifest whose schema is not public; the page shows a visible note
    "lab",  # run against the local lab; the reason states the outcome: "exit 0|55; prints "...""
    "python-lab",  # Python run against the lab by tests/docs/test_python_blocks.py (linted here)
    "step",  # a walkthrough step (mtls_guide.walkthrough): "cluster|both[; prints "..."]"
    "output",  # what the block before it prints, compared with the real run (mtls_guide.outputs)
}
# A reader's pre-commit config and GitHub Actions step for the validator
# (mtls_guide.validator.reader_snippets).
DIRECTIVES |= {"pre-commit-config", "github-step"}


class Unaccounted(Exception):
    """No checker owns this block."""


def route(block: Block) -> str:
    """The name of the checker for ``block``; raises :class:`Unaccounted` if there is none."""
    if block.directive is not None:
        if block.directive.name == "rejected" and not block.directive.reason:
            raise Unaccounted(f"{block.id}: 'rejected' needs the expected message after ';'")
        if block.directive.name not in DIRECTIVES:
            raise Unaccounted(
                f"{block.id}: unknown directive 'check: {block.directive.name}' "
                f"(known: {', '.join(sorted(DIRECTIVES))})"
            )
        return block.directive.name
    try:
        return BY_LANGUAGE[block.lang]
    except KeyError:
        shown = block.lang or "(none)"
        raise Unaccounted(
            f"{block.id}: a '{shown}' block has no checker; add "
            "<!-- check: illustrative; what it shows --> or <!-- check: skip; why --> "
            "before the fence, or use a checked language"
        ) from None

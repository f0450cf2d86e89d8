"""Helpers shared by test modules (test modules never import each other)."""

from __future__ import annotations

import os

from mtls_guide.outputs import Expected, rewrite
from mtls_guide.paths import ROOT


def output_problems(found: list[tuple[Expected, str]]) -> list[str]:
    """Compare each output block with what its command printed.

    With ``UPDATE_OUTPUTS=1`` the pages are rewritten with the real output instead (then
    rerun without it, and review the diff).
    """
    if os.environ.get("UPDATE_OUTPUTS") == "1":
        # Only blocks that no longer match: the rest keep their hashes and ports (no churn).
        rewrite(ROOT, [(e, printed) for e, printed in found if e.mismatch(printed)])
        return []
    return [m for expected, printed in found if (m := expected.mismatch(printed))]

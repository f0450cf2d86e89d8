"""kubectl wait against the lab: durations, conditions, and one-line refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from mtls_guide.lab import kubectl_wait
from mtls_guide.lab.objects import LabError


@pytest.mark.parametrize(("text", "expected"), [("30s", 30), ("1m", 60), ("5m", 60), ("0s", 0)])
def test_timeouts_are_kubectl_durations_capped(text: str, expected: float) -> None:
    assert kubectl_wait.seconds(text) == expected


@pytest.mark.parametrize("text", ["", "5", "five minutes", "1d"])
def test_a_bad_timeout_is_refused(text: str) -> None:
    with pytest.raises(LabError, match="not a duration"):
        kubectl_wait.seconds(text)


def test_condition_status_reads_the_named_condition() -> None:
    gateway = {"status": {"conditions": [{"type": "Accepted", "status": "True"},
                                         {"type": "Programmed", "status": "False"}]}}  # fmt: skip
    assert kubectl_wait.condition_status(gateway, "programmed") == "False"
    assert kubectl_wait.condition_status(gateway, "Ready") is None
    assert kubectl_wait.condition_status({}, "Programmed") is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["gateway/g", "--for=delete"], "condition=TYPE only"),
        (["gateway", "--for=condition=Programmed"], "KIND/NAME"),
        (["gateway/g", "--for=condition=Programmed"], "no lab is running"),
    ],
)
def test_refusals_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert kubectl_wait.main([str(tmp_path), *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1

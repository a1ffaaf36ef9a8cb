"""The plan benchmark's arithmetic and its refusal of bad input (the benchmark itself is run by hand:
`python -m offline.bench prod`; no speed figure is asserted in a test)."""

from __future__ import annotations

import pytest

from offline.bench import Sample, main, report


def test_the_ratios_are_medians_of_the_plan_over_medians_of_the_imports() -> None:
    samples = {
        "imports": [Sample(2.0, 4.0), Sample(3.0, 9.0), Sample(2.5, 5.0)],
        "imports, collector paused": [Sample(2.0, 4.0), Sample(2.0, 4.0), Sample(1.0, 1.0)],
        "plan": [Sample(3.0, 6.0), Sample(9.0, 9.0), Sample(3.5, 7.0)],
    }
    text = report("prod", samples, 902)
    assert "902 SDK modules" in text and "median of 3 rounds" in text
    rows = {line[:42].strip(): line[42:].split() for line in text.splitlines() if line.startswith("  ratio")}
    assert rows["ratio plan / imports"] == ["1.40", "1.40"]  # 3.5 / 2.5 (cpu), 7.0 / 5.0 (wall)
    assert rows["ratio plan / imports, collector paused"] == ["1.75", "1.75"]  # 3.5 / 2.0, 7.0 / 4.0


def test_zero_rounds_and_an_unknown_stack_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prod", "--rounds", "0"]) == 2
    assert "--rounds 0: give 1 or more" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["staging"])
    assert exit_.value.code == 2 and "invalid choice: 'staging'" in capsys.readouterr().err

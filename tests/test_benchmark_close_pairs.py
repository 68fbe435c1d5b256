"""benchmarks/close_pairs.py: the close-pair statistic on known trials, and one tiny run."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution
from podbor.trial import create_trial

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return __import__("close_pairs")


def _trials(values: list[float], xs: list[float], kinds: list[str]) -> list[Any]:
    dists: dict[str, Any] = {
        "x": FloatDistribution(0.0, 10.0),
        "k": CategoricalDistribution(["a", "b"]),
    }
    return [
        create_trial(params={"x": x, "k": k}, distributions=dists, value=v)
        for v, x, k in zip(values, xs, kinds)
    ]


def test_only_close_pairs_with_the_same_choices_count(bench: ModuleType) -> None:
    # x = 1.00 and 1.01 are close (0.001 of the range); 1.02 is close too but of another choice
    trials = _trials([0.0, 1.0, 5.0, 9.0], [1.0, 1.01, 1.02, 8.0], ["a", "a", "b", "a"])
    ratio, pairs = bench.close_pair_ratio(trials, 0.03)
    assert pairs == 1
    assert ratio == pytest.approx(1.0 / np.std([0.0, 1.0, 5.0, 9.0]))
    smooth = _trials([0.0, 0.0, 5.0, 9.0], [1.0, 1.01, 1.02, 8.0], ["a", "a", "b", "a"])
    assert bench.close_pair_ratio(smooth, 0.03) == (0.0, 1)
    assert bench.close_pair_ratio(trials[2:], 0.03)[1] == 0


def test_tiny_run_prints_a_table(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    bench.main(["--problems", "branin", "--seeds", "1", "--trials", "12", "--at", "12"])
    out = capsys.readouterr().out
    assert "after 12 trials" in out and "| `branin` |" in out
    with pytest.raises(SystemExit):
        bench.main(["--delta", "2"])

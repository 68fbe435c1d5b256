"""Smoke test of benchmarks/importance.py: its truths and one tiny run (no timing asserted)."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return __import__("importance")


def test_truth_is_the_variance_share(bench: ModuleType) -> None:
    """The declared truth matches the empirical variance decomposition of the function."""
    problem = bench.MIXED
    rows, y = bench._draw(problem, 200_000, 0)
    truth = problem.truth()
    assert math.isclose(sum(truth.values()), 1.0 - 0.5**2 / np.var(y), abs_tol=0.02)
    a = np.array([r["a"] for r in rows])
    share_a = np.var(problem.params[0].weight * problem.params[0].effect(a)) / np.var(y)
    assert share_a == pytest.approx(truth["a"], abs=0.01)
    assert truth["dummy_f"] == 0.0


def test_tiny_run_prints_a_table(bench: ModuleType) -> None:
    cells = bench.run(["mixed", "conditional"], [30], [0], 1)
    with_optuna = bench.optuna is not None
    text = bench.table(cells, ["mixed", "conditional"], [30], with_optuna)
    assert text.count("| mixed | 30 |") == 3 and text.count("| conditional | 30 |") == 3
    rho = cells[("mixed", 30, "fanova", "podbor")].rho[0]
    assert -1.0 <= rho <= 1.0

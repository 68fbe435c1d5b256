"""Studies of every kind the plots must handle, built the same way for every plot's tests.

Each builder returns a fresh in-memory study with fixed, known trials (no sampler randomness), so
a test can check a figure's data against the study's trials exactly.
"""

from __future__ import annotations

import math

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.trial import TrialState, create_trial

DISTS = {
    "x": FloatDistribution(-5.0, 5.0),
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "n": IntDistribution(1, 9, step=2),
    "kind": CategoricalDistribution(["svm", "tree", "knn"]),
}


def empty_study(directions: list[str] | None = None) -> podbor.Study:
    """No trials at all."""
    return podbor.create_study(directions=directions or ["minimize"])


def single_objective(direction: str = "minimize", n: int = 12) -> podbor.Study:
    """``n`` COMPLETE trials over x (linear), lr (log), n (int step 2), kind (categorical),
    value = x**2 + log10(lr) + n/10 (+1 for "tree"), each trial with 3 intermediate values."""
    study = podbor.create_study(direction=direction)
    kinds = ["svm", "tree", "knn"]
    for i in range(n):
        params = {
            "x": -5.0 + 10.0 * ((i * 7) % n) / max(n - 1, 1),
            "lr": 10.0 ** (-5 + 4 * ((i * 5) % n) / max(n - 1, 1)),
            "n": 1 + 2 * (i % 5),
            "kind": kinds[i % 3],
        }
        value = (
            params["x"] ** 2
            + math.log10(params["lr"])
            + params["n"] / 10
            + (1.0 if params["kind"] == "tree" else 0.0)
        )
        study.add_trial(
            create_trial(
                value=value,
                params=params,
                distributions=DISTS,
                intermediate_values={0: value + 2.0, 1: value + 1.0, 2: value},
                user_attrs={"fold": i % 2},
            )
        )
    return study


def with_pruned_and_failed(direction: str = "minimize") -> podbor.Study:
    """Six COMPLETE trials, then one PRUNED (with intermediate values), one FAIL, one RUNNING."""
    study = single_objective(direction, n=6)
    study.add_trial(
        create_trial(
            state=TrialState.PRUNED,
            params={"x": 1.0, "lr": 1e-3, "n": 3, "kind": "svm"},
            distributions=DISTS,
            intermediate_values={0: 9.0, 1: 8.0},
        )
    )
    study.add_trial(
        create_trial(
            state=TrialState.FAIL,
            params={"x": 2.0, "lr": 1e-2, "n": 5, "kind": "knn"},
            distributions=DISTS,
        )
    )
    study.add_trial(
        create_trial(
            state=TrialState.RUNNING,
            params={"x": 3.0},
            distributions={"x": DISTS["x"]},
        )
    )
    return study


def conditional() -> podbor.Study:
    """A conditional space: "kind" picks which of "C" (log) or "depth" (int) a trial has."""
    study = podbor.create_study()
    for i in range(10):
        if i % 2 == 0:
            params = {"kind": "svm", "C": 10.0 ** (i / 3 - 1)}
            dists = {
                "kind": CategoricalDistribution(["svm", "tree"]),
                "C": FloatDistribution(0.1, 100.0, log=True),
            }
            value = abs(math.log10(params["C"]))
        else:
            params = {"kind": "tree", "depth": i}
            dists = {
                "kind": CategoricalDistribution(["svm", "tree"]),
                "depth": IntDistribution(1, 10),
            }
            value = abs(i - 5) / 2
        study.add_trial(create_trial(value=value, params=params, distributions=dists))
    return study


def multi_objective(n_objectives: int = 2, n: int = 10) -> podbor.Study:
    """``n`` COMPLETE trials with ``n_objectives`` values (minimize all but the last, which is
    maximized); trial i has x = i and values that put trials 0, 2, 4, … on the Pareto front."""
    directions = ["minimize"] * (n_objectives - 1) + ["maximize"]
    study = podbor.create_study(directions=directions)
    for i in range(n):
        x = float(i)
        values = [x] * (n_objectives - 1) + [x if i % 2 == 0 else x - 1.5]
        study.add_trial(
            create_trial(
                values=values,
                params={"x": x},
                distributions={"x": FloatDistribution(0.0, float(n))},
            )
        )
    return study

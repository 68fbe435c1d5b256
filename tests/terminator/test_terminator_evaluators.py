"""Tests of the improvement evaluators (regret bound, stagnation, EMMR) and MedianErrorEvaluator."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import podbor
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.study import StudyDirection
from podbor.terminator import (
    BaseImprovementEvaluator,
    BestValueStagnationEvaluator,
    EMMREvaluator,
    MedianErrorEvaluator,
    RegretBoundEvaluator,
)
from podbor.terminator.improvement.emmr import MARGIN_FOR_NUMARICAL_STABILITY
from podbor.trial import FrozenTrial, TrialState, create_trial

pytestmark = pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")
MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE
X = FloatDistribution(-2.0, 2.0)
NOT_YET = sys.float_info.max * MARGIN_FOR_NUMARICAL_STABILITY


def trials_at(xs: list[float], f: object = lambda x: (x - 0.5) ** 2) -> list[FrozenTrial]:
    return [
        create_trial(params={"x": x}, distributions={"x": X}, value=f(x))  # type: ignore[operator]
        for x in xs
    ]


SPREAD = [-1.9, -1.2, -0.4, 0.3, 0.9, 1.6]


# -- RegretBoundEvaluator -----------------------------------------------------------------------
def test_regret_bound_is_positive_and_shrinks_as_the_optimum_is_sampled() -> None:
    few = RegretBoundEvaluator(seed=0).evaluate(trials_at(SPREAD), MIN)
    dense = [*SPREAD, 0.45, 0.5, 0.55, 0.48, 0.52]
    many = RegretBoundEvaluator(seed=0).evaluate(trials_at(dense), MIN)
    assert 0.0 < many < few


def test_regret_bound_mirrors_for_maximize_and_scales_with_the_objective() -> None:
    base = RegretBoundEvaluator(seed=0).evaluate(trials_at(SPREAD), MIN)
    mirrored = RegretBoundEvaluator(seed=0).evaluate(
        trials_at(SPREAD, lambda x: -((x - 0.5) ** 2)), MAX
    )
    scaled = RegretBoundEvaluator(seed=0).evaluate(
        trials_at(SPREAD, lambda x: 10.0 * (x - 0.5) ** 2), MIN
    )
    assert mirrored == pytest.approx(base, rel=1e-6)
    assert scaled == pytest.approx(10.0 * base, rel=1e-6)


def test_regret_bound_fits_only_the_top_trials() -> None:
    good = trials_at(SPREAD[2:5])
    worse = trials_at([-1.9, -1.8, 1.9], lambda x: 100.0 + x)
    evaluator = RegretBoundEvaluator(top_trials_ratio=0.5, min_n_trials=1, seed=0)
    assert evaluator.evaluate(good + worse, MIN) == pytest.approx(
        RegretBoundEvaluator(top_trials_ratio=1.0, min_n_trials=1, seed=0).evaluate(good, MIN),
        rel=1e-9,
    )


def test_regret_bound_ignores_unfinished_trials_and_handles_mixed_spaces() -> None:
    dists = {
        "c": CategoricalDistribution(["a", "b", "c"]),
        "n": IntDistribution(1, 8),
        "x": X,
    }
    rng = np.random.default_rng(0)
    trials = [
        create_trial(
            params={
                "c": "abc"[i % 3],
                "n": int(rng.integers(1, 9)),
                "x": float(rng.uniform(-2, 2)),
            },
            distributions=dists,
            value=float(rng.normal()),
        )
        for i in range(12)
    ]
    trials.append(create_trial(state=TrialState.FAIL))
    bound = RegretBoundEvaluator(seed=1).evaluate(trials, MAX)
    assert math.isfinite(bound) and bound >= 0.0


def test_regret_bound_needs_a_complete_trial_and_a_shared_parameter() -> None:
    with pytest.raises(ValueError, match="COMPLETE trial"):
        RegretBoundEvaluator().evaluate([create_trial(state=TrialState.FAIL)], MIN)
    with pytest.raises(ValueError, match="share none"):
        RegretBoundEvaluator().evaluate([create_trial(value=0.0)], MIN)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"top_trials_ratio": 0.0}, "top_trials_ratio"),
        ({"top_trials_ratio": 1.5}, "top_trials_ratio"),
        ({"min_n_trials": 0}, "min_n_trials"),
        ({"seed": -1}, "seed"),
    ],
)
def test_regret_bound_arguments_are_checked(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(ValueError, match=f"'{name}' parameter of RegretBoundEvaluator"):
        RegretBoundEvaluator(**kwargs)  # type: ignore[arg-type]


# -- BestValueStagnationEvaluator -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "direction", "expected"),
    [
        ([0, 1, 2], MAX, 1),
        ([2, 1, 0], MIN, 1),
        ([0, 1, 0], MAX, 0),
        ([1, 0, 1], MIN, 0),
        ([0, 0, 0], MAX, -1),
        ([0, 0, 0], MIN, -1),
    ],
)
def test_stagnation_counts_from_the_first_best(
    values: list[float], direction: StudyDirection, expected: int
) -> None:
    trials = [create_trial(value=v) for v in values]
    trials.insert(1, create_trial(state=TrialState.PRUNED, value=None))  # not counted
    assert BestValueStagnationEvaluator(1).evaluate(trials, direction) == expected


def test_stagnation_bad_input() -> None:
    with pytest.raises(ValueError, match=r"'max_stagnation_trials'.*Got -1"):
        BestValueStagnationEvaluator(max_stagnation_trials=-1)
    with pytest.raises(ValueError, match="COMPLETE trial"):
        BestValueStagnationEvaluator().evaluate([], MIN)


# -- EMMREvaluator ---------------------------------------------------------------------------------
def test_emmr_is_a_placeholder_until_it_can_be_computed() -> None:
    evaluator = EMMREvaluator(min_n_trials=3)
    assert evaluator.evaluate(trials_at([0.0, 1.0]), MIN) == NOT_YET
    assert evaluator.evaluate(trials_at([0.0, 1.0, 0.5]), MIN) < 1e300
    no_params = [create_trial(value=0.0) for _ in range(3)]
    with pytest.warns(UserWarning, match="share no parameter"):
        assert EMMREvaluator().evaluate(no_params, MIN) == NOT_YET


def test_emmr_is_larger_after_a_surprising_trial() -> None:
    history = trials_at(SPREAD)
    expected = trials_at([0.6])  # close to what the model predicts
    surprise = trials_at([0.6], lambda x: 25.0)
    evaluator = EMMREvaluator(deterministic_objective=False)
    calm = evaluator.evaluate(history + expected, MIN)
    shaken = evaluator.evaluate(history + surprise, MIN)
    assert 0.0 <= calm < shaken


def test_emmr_scales_with_the_objective_and_delta_makes_it_cautious() -> None:
    history = trials_at([*SPREAD, 0.6])
    scaled = trials_at([*SPREAD, 0.6], lambda x: 7.0 * (x - 0.5) ** 2)
    base = EMMREvaluator().evaluate(history, MIN)
    assert EMMREvaluator().evaluate(scaled, MIN) == pytest.approx(7.0 * base, rel=1e-6)
    assert EMMREvaluator(delta=0.01).evaluate(history, MIN) > base


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"min_n_trials": 1}, "min_n_trials"),
        ({"delta": 0.0}, "delta"),
        ({"delta": 1.0}, "delta"),
        ({"deterministic_objective": 1}, "deterministic_objective"),
        ({"seed": "0"}, "seed"),
    ],
)
def test_emmr_arguments_are_checked(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(ValueError, match=f"'{name}' parameter of EMMREvaluator"):
        EMMREvaluator(**kwargs)  # type: ignore[arg-type]


# -- MedianErrorEvaluator ----------------------------------------------------------------------------
class Counting(BaseImprovementEvaluator):
    def __init__(self) -> None:
        super().__init__()
        self.lengths: list[int] = []

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        self.lengths.append(len(trials))
        return float(len(trials))


def test_median_threshold_from_the_initial_trials_computed_once() -> None:
    paired = Counting()
    evaluator = MedianErrorEvaluator(
        paired, warm_up_trials=2, n_initial_trials=3, threshold_ratio=0.5
    )
    trials = [create_trial(value=float(i)) for i in range(4)]
    assert evaluator.evaluate(trials, MIN) == 0.0  # 4 < 2 + 3 complete trials
    assert paired.lengths == []
    trials.append(create_trial(value=9.0))
    # The criterion after complete trials 3, 4 and 5: 3, 4, 5; median 4; threshold 2.
    assert evaluator.evaluate(trials, MIN) == 2.0
    assert paired.lengths == [3, 4, 5]
    trials += [create_trial(value=1.0), create_trial(state=TrialState.FAIL)]
    assert evaluator.evaluate(trials, MIN) == 2.0
    assert paired.lengths == [3, 4, 5]  # kept, not recomputed


def test_median_with_emmr_follows_optuna_case() -> None:
    evaluator = MedianErrorEvaluator(
        EMMREvaluator(min_n_trials=3), warm_up_trials=1, n_initial_trials=3, threshold_ratio=2.0
    )
    dist: dict[str, BaseDistribution] = {"a": FloatDistribution(-1.0, 10000.0)}
    trials: list[FrozenTrial] = []
    for value in (1.0, 22.0, 333.0):
        trials.append(create_trial(value=value, distributions=dist, params={"a": value}))
        assert evaluator.evaluate(trials, MAX) <= 0.0
    trials.append(create_trial(value=4444.0, distributions=dist, params={"a": 4444.0}))
    criterion = evaluator.evaluate(trials, MAX)
    assert math.isfinite(criterion) and criterion >= 0.0


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"warm_up_trials": -1}, "warm_up_trials"),
        ({"n_initial_trials": 0}, "n_initial_trials"),
        ({"threshold_ratio": 0.0}, "threshold_ratio"),
        ({"threshold_ratio": math.inf}, "threshold_ratio"),
    ],
)
def test_median_arguments_are_checked(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(ValueError, match=f"'{name}' parameter of MedianErrorEvaluator"):
        MedianErrorEvaluator(EMMREvaluator(), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'paired_improvement_evaluator'"):
        MedianErrorEvaluator(object())  # type: ignore[arg-type]


def test_emmr_and_median_stop_a_study_that_has_converged() -> None:
    emmr = EMMREvaluator()
    terminator = podbor.terminator.Terminator(
        emmr,
        MedianErrorEvaluator(emmr, warm_up_trials=3, n_initial_trials=5, threshold_ratio=1.0),
        min_n_trials=8,
    )
    study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))

    def objective(trial: podbor.Trial) -> float:
        return trial.suggest_float("x", -2, 2) ** 2

    callback = podbor.terminator.TerminatorCallback(terminator)
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    study.optimize(objective, n_trials=60, callbacks=[callback])
    assert 8 <= len(study.trials) < 60

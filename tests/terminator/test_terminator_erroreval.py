"""Tests of the error evaluators and report_cross_validation_scores."""

from __future__ import annotations

import math

import numpy as np
import pytest

import podbor
from podbor.study import StudyDirection
from podbor.terminator import (
    CrossValidationErrorEvaluator,
    StaticErrorEvaluator,
    report_cross_validation_scores,
)
from podbor.terminator.erroreval import _CROSS_VALIDATION_SCORES_KEY
from podbor.trial import FixedTrial, FrozenTrial, TrialState, create_trial

pytestmark = pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")


def with_scores(value: float, scores: list[float]) -> FrozenTrial:
    return create_trial(value=value, system_attrs={_CROSS_VALIDATION_SCORES_KEY: scores})


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_cv_error_is_the_corrected_spread_of_the_best_trials_scores(direction: str) -> None:
    sign = 1.0 if direction == "minimize" else -1.0
    study = podbor.create_study(direction=direction)
    study.add_trials(
        [
            with_scores(sign * 2.0, [1.0, -1.0]),
            with_scores(sign * 1.0, [2.0, -2.0]),  # the best: variance 4
            with_scores(sign * 3.0, [5.0, -5.0]),
        ]
    )
    study.add_trial(create_trial(state=TrialState.FAIL))
    error = CrossValidationErrorEvaluator().evaluate(study.trials, study.direction)
    assert error == math.sqrt((1 / 2 + 1 / 1) * 4.0)


def test_cv_error_with_five_folds() -> None:
    scores = [0.90, 0.95, 0.85, 0.92, 0.88]
    trials = [with_scores(float(np.mean(scores)), scores)]
    expected = math.sqrt((1 / 5 + 1 / 4) * float(np.var(scores)))
    error = CrossValidationErrorEvaluator().evaluate(trials, StudyDirection.MAXIMIZE)
    assert error == pytest.approx(expected)


def test_cv_error_without_scores_names_the_fix() -> None:
    study = podbor.create_study()
    study.add_trial(with_scores(1.0, [1.0, 2.0]))
    study.add_trial(create_trial(value=0.0))  # the best, without scores
    with pytest.raises(ValueError, match=r"\(trial 1\).*report_cross_validation_scores"):
        CrossValidationErrorEvaluator().evaluate(study.trials, study.direction)
    with pytest.raises(ValueError, match="COMPLETE trial"):
        CrossValidationErrorEvaluator().evaluate([], StudyDirection.MINIMIZE)


@pytest.mark.parametrize("scores", [[1.0, 2.0], (0.5, 0.25, 0.75), np.array([0.1, 0.2, 0.3])])
def test_reported_scores_are_stored_under_optunas_key(scores: object) -> None:
    study = podbor.create_study(storage="sqlite:///:memory:")
    trial = study.ask()
    report_cross_validation_scores(trial, scores)
    study.tell(trial, 0.0)
    stored = study.trials[0].system_attrs[_CROSS_VALIDATION_SCORES_KEY]
    assert stored == [float(s) for s in scores]  # type: ignore[attr-defined]
    assert all(type(s) is float for s in stored)


def test_reporting_works_with_a_fixed_trial() -> None:
    trial = FixedTrial({})
    report_cross_validation_scores(trial, [1.0, 3.0])
    assert trial.system_attrs[_CROSS_VALIDATION_SCORES_KEY] == [1.0, 3.0]


@pytest.mark.parametrize(
    "scores", [[1.0], [], [1.0, math.nan], [1.0, math.inf], ["a", "b"], [[1.0, 2.0]], 3.0]
)
def test_bad_scores_are_refused(scores: object) -> None:
    trial = podbor.create_study().ask()
    with pytest.raises(ValueError, match="'scores' parameter of report_cross_validation_scores"):
        report_cross_validation_scores(trial, scores)
    assert _CROSS_VALIDATION_SCORES_KEY not in trial.system_attrs


def test_static_error_is_the_constant() -> None:
    trials = [with_scores(2.0, [1.0, -1.0])]
    for direction in StudyDirection:
        assert StaticErrorEvaluator(constant=100.0).evaluate(trials, direction) == 100.0
    with pytest.raises(ValueError, match="'constant' parameter of StaticErrorEvaluator"):
        StaticErrorEvaluator(math.nan)

"""Tests of plot_terminator_improvement: its data, the plotly and matplotlib figures, bad input."""

from __future__ import annotations

import numpy as np
import pytest

import podbor
from podbor.distributions import FloatDistribution
from podbor.terminator import (
    BestValueStagnationEvaluator,
    CrossValidationErrorEvaluator,
    RegretBoundEvaluator,
    StaticErrorEvaluator,
    report_cross_validation_scores,
)
from podbor.trial import TrialState, create_trial
from podbor.visualization._data._terminator_improvement import (
    improvement_y_range,
    terminator_improvement_data,
)
from podbor.visualization._terminator_improvement import (
    _get_improvement_info,
    _get_y_range,
    _ImprovementInfo,
)

pytestmark = pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")
podbor.logging.set_verbosity(podbor.logging.ERROR)


def cv_study(values: tuple[float, ...] = (0.0, 0.0, 0.0)) -> podbor.Study:
    study = podbor.create_study()
    for i, value in enumerate(values):
        trial = study.ask({"x": FloatDistribution(0, 1)})
        report_cross_validation_scores(trial, [1.0 + i, 2.0])
        study.tell(trial, value)
    return study


def test_each_point_is_the_evaluator_on_the_trials_up_to_it() -> None:
    study = podbor.create_study()
    study.add_trial(create_trial(state=TrialState.FAIL))
    for value in (3.0, 1.0, 2.0, 2.0):
        study.tell(study.ask(), value)
    data = terminator_improvement_data(
        study, plot_error=True, improvement_evaluator=BestValueStagnationEvaluator(5)
    )
    assert data.numbers.tolist() == [1, 2, 3, 4]
    assert data.improvements.tolist() == [5.0, 5.0, 4.0, 3.0]
    assert data.errors is not None and data.errors.tolist() == [0.0] * 4  # the matching default


def test_default_evaluators_match_the_terminators() -> None:
    study = cv_study((0.3, 0.1, 0.2))
    info = _get_improvement_info(study, True)
    assert info.trial_numbers == [0, 1, 2]
    expected = [
        RegretBoundEvaluator().evaluate(study.trials[: i + 1], study.direction) for i in range(3)
    ]
    # Both evaluators are unseeded: the bound's maximization starts from other quasi-random
    # points each time and agrees to the optimizer's tolerance (a CI run differed by 3e-5).
    assert info.improvements == pytest.approx(expected, rel=1e-3)
    # The error of the best trial so far: trial 0, then trial 1 from then on.
    cv = CrossValidationErrorEvaluator()
    assert info.errors == [cv.evaluate(study.trials[: i + 1], study.direction) for i in range(3)]
    assert info.errors[0] != info.errors[1] == info.errors[2]


@pytest.mark.parametrize("plot_error", [False, True])
def test_empty_study(plot_error: bool) -> None:
    study = podbor.create_study()
    study.add_trial(create_trial(state=TrialState.FAIL))
    info = _get_improvement_info(study, plot_error)
    assert info == _ImprovementInfo(trial_numbers=[], improvements=[], errors=None)
    fig = podbor.visualization.plot_terminator_improvement(study, plot_error)
    assert len(fig.data) == 0
    ax = podbor.visualization.matplotlib.plot_terminator_improvement(study, plot_error)
    assert len(ax.lines) == 0


def test_y_range_leaves_out_the_early_values() -> None:
    assert improvement_y_range([100.0, 3.0, 1.0], [2.0, 2.0, 2.0], 2) == pytest.approx((0.9, 3.1))
    low, high = _get_y_range(_ImprovementInfo([0], [0.0], None), 2)  # fewer than min_n_trials
    assert low < 0.0 < high
    assert improvement_y_range([1e307, 1.0, 1.0], None, 1) == (0.5, 1.5)  # huge: left out


def test_plotly_and_matplotlib_draw_the_same_numbers() -> None:
    study = cv_study((0.3, 0.1, 0.2, 0.05))
    kwargs = {
        "plot_error": True,
        "improvement_evaluator": BestValueStagnationEvaluator(3),
        "error_evaluator": StaticErrorEvaluator(0.5),
        "min_n_trials": 2,
    }
    fig = podbor.visualization.plot_terminator_improvement(study, **kwargs)
    early, late, error = fig.data
    assert list(early.x) == [0, 1] and list(early.y) == [3.0, 3.0]
    assert list(late.x) == [1, 2, 3] and list(late.y) == [3.0, 2.0, 3.0]
    assert list(error.y) == [0.5] * 4
    assert fig.layout.yaxis.range == pytest.approx(
        improvement_y_range([3.0] * 2 + [2.0, 3.0], [0.5] * 4, 2)
    )
    ax = podbor.visualization.matplotlib.plot_terminator_improvement(study, **kwargs)
    assert [list(line.get_ydata()) for line in ax.lines] == [
        [3.0, 3.0],
        [3.0, 2.0, 3.0],
        [0.5] * 4,
    ]
    assert ax.get_ylim() == pytest.approx(fig.layout.yaxis.range)


def test_default_plot_of_a_study_with_several_parameters() -> None:
    study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
    study.optimize(
        lambda t: t.suggest_float("a", -1, 1) ** 2 + t.suggest_int("b", 0, 3), n_trials=6
    )
    fig = podbor.visualization.plot_terminator_improvement(study, min_n_trials=3)
    values = np.concatenate([trace.y for trace in fig.data])
    assert np.all(np.isfinite(values)) and np.all(values >= 0.0)


def test_bad_input_is_named() -> None:
    study = cv_study()
    with pytest.raises(ValueError, match="'study' parameter of plot_terminator_improvement"):
        terminator_improvement_data(podbor.create_study(directions=["minimize"] * 2))
    with pytest.raises(ValueError, match="'min_n_trials'"):
        podbor.visualization.plot_terminator_improvement(study, min_n_trials=0)
    with pytest.raises(ValueError, match="'plot_error'"):
        podbor.visualization.plot_terminator_improvement(study, plot_error="yes")
    with pytest.raises(ValueError, match="'error_evaluator'"):
        podbor.visualization.matplotlib.plot_terminator_improvement(
            study,
            error_evaluator=RegretBoundEvaluator(),
        )
    with pytest.raises(ValueError, match="report_cross_validation_scores"):
        plain = podbor.create_study()
        plain.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        podbor.visualization.plot_terminator_improvement(plain, plot_error=True)

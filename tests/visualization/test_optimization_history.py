"""Tests of ``plot_optimization_history``: the plot data against the study's trials (values, best
line, pruned and infeasible trials, several studies, the error bar, targets), the plotly figure's
traces and the matplotlib Axes' artists, rendered to PNG."""

from __future__ import annotations

import io
import logging
from typing import Any

import matplotlib
import numpy as np
import pytest
from tests.visualization.studies import (
    empty_study,
    multi_objective,
    single_objective,
    with_pruned_and_failed,
)

import podbor
from podbor.trial import TrialState, create_trial
from podbor.visualization import plot_optimization_history
from podbor.visualization._data._optimization_history import optimization_history_data
from podbor.visualization.matplotlib import plot_optimization_history as mpl_plot

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    plt.close("all")


def _png(ax: Any) -> bytes:
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png")
    return buf.getvalue()


def _study(values: list[float], direction: str = "minimize", name: str | None = None) -> Any:
    study = podbor.create_study(direction=direction, study_name=name)
    study.add_trials([create_trial(value=v) for v in values])
    return study


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_data_values_and_best(direction: str) -> None:
    study = single_objective(direction, n=12)
    data = optimization_history_data(study)
    (series,) = data.series
    values = np.array([t.value for t in study.trials])
    np.testing.assert_array_equal(series.numbers, np.arange(12))
    np.testing.assert_allclose(series.values, values)
    running = np.minimum if direction == "minimize" else np.maximum
    np.testing.assert_allclose(series.best_values, running.accumulate(values))
    assert series.label == "Objective Value" and series.best_label == "Best Value"
    assert series.value_errors is None and series.best_errors is None
    assert data.message is None


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_pruned_in_failed_and_running_out(direction: str) -> None:
    study = with_pruned_and_failed(direction)
    (series,) = optimization_history_data(study).series
    # Six complete trials and the pruned one (number 6); FAIL (7) and RUNNING (8) are left out.
    np.testing.assert_array_equal(series.numbers, np.arange(7))
    assert series.complete.tolist() == [True] * 6 + [False]
    assert np.isnan(series.values[6])
    assert series.best_values is not None
    assert series.best_values[6] == series.best_values[5]  # carried over the pruned trial


def test_infeasible_trials_do_not_count_for_best() -> None:
    study = podbor.create_study()
    study.add_trials(
        [
            create_trial(value=3.0, constraints={"c": 0.0}),
            create_trial(value=1.0, constraints={"c": 1.0}),  # infeasible
            create_trial(value=2.0, constraints={"c": -1.0}),
        ]
    )
    (series,) = optimization_history_data(study).series
    assert series.feasible.tolist() == [True, False, True]
    assert series.best_values is not None
    assert series.best_values.tolist() == [3.0, 3.0, 2.0]
    fig = plot_optimization_history(study)
    assert fig.data[0].x.tolist() == [0, 2]
    assert fig.data[1].name == "Infeasible Trial" and fig.data[1].x.tolist() == [1]


def test_best_is_nan_before_first_feasible() -> None:
    study = podbor.create_study()
    study.add_trials([create_trial(value=1.0, constraints={"c": 1.0}), create_trial(value=5.0)])
    (series,) = optimization_history_data(study).series
    assert series.best_values is not None
    assert np.isnan(series.best_values[0]) and series.best_values[1] == 5.0


def test_nonfinite_values_are_dropped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    study = _study([1.0, float("inf"), 0.5])
    with caplog.at_level(logging.WARNING):
        (series,) = optimization_history_data(study).series
    assert series.numbers.tolist() == [0, 2]
    assert "Trial 1 is omitted" in caplog.text


def test_target_multi_objective() -> None:
    study = multi_objective(2, n=10)
    with pytest.raises(ValueError, match="target"):
        optimization_history_data(study)
    with pytest.raises(ValueError, match="target"):
        mpl_plot(study)
    data = optimization_history_data(study, target=lambda t: t.values[1], target_name="acc")
    (series,) = data.series
    np.testing.assert_allclose(series.values, [t.values[1] for t in study.trials])
    assert series.best_values is None and series.label == "acc"
    fig = plot_optimization_history(study, target=lambda t: t.values[1], target_name="acc")
    assert fig.layout.yaxis.title.text == "acc"
    assert [tr.name for tr in fig.data] == ["acc", "Infeasible Trial"]


def test_default_target_name_with_target_warns() -> None:
    with pytest.warns(UserWarning, match="target_name"):
        optimization_history_data(single_objective(), target=lambda t: t.number)


@pytest.mark.parametrize("error_bar", [False, True])
def test_empty_and_no_complete(error_bar: bool, caplog: pytest.LogCaptureFixture) -> None:
    only_failed = podbor.create_study()
    only_failed.add_trial(create_trial(state=TrialState.FAIL))
    only_pruned = podbor.create_study()
    only_pruned.add_trial(create_trial(state=TrialState.PRUNED))
    for study in (empty_study(), only_failed, only_pruned, [empty_study(), only_pruned]):
        with caplog.at_level(logging.WARNING):
            data = optimization_history_data(study, error_bar=error_bar)
        assert data.series == [] and data.message == "There are no complete trials."
        assert len(plot_optimization_history(study, error_bar=error_bar).data) == 0
        ax = mpl_plot(study, error_bar=error_bar)
        assert ax.get_ylabel() == "Objective Value" and not ax.collections
        _png(ax)
    assert optimization_history_data([]).message == "There are no studies."


def test_several_studies_have_named_series() -> None:
    studies = [_study([1.0, 2.0, 0.0], name="a"), _study([5.0, 4.0], name="b")]
    data = optimization_history_data(studies)
    assert [s.label for s in data.series] == ["Objective Value of a", "Objective Value of b"]
    assert [s.best_label for s in data.series] == ["Best Value of a", "Best Value of b"]
    assert data.series[1].best_values is not None
    assert data.series[1].best_values.tolist() == [5.0, 4.0]
    fig = plot_optimization_history(studies)
    names = [tr.name for tr in fig.data]
    assert names == [
        "Objective Value of a",
        "Infeasible Trial",
        "Best Value of a",
        "Objective Value of b",
        "Infeasible Trial",
        "Best Value of b",
    ]
    assert fig.data[0].marker.color != fig.data[3].marker.color


def test_error_bar_means_and_stds_over_studies() -> None:
    studies = [_study([0.1, 0.5]), _study([0.3, 0.0]), _study([0.2])]
    (series,) = optimization_history_data(studies, error_bar=True).series
    assert series.numbers.tolist() == [0, 1]
    np.testing.assert_allclose(series.values, [0.2, 0.25])
    assert series.value_errors is not None
    np.testing.assert_allclose(series.value_errors, [np.std([0.1, 0.3, 0.2]), 0.25])
    # Best so far per study: [0.1, 0.1], [0.3, 0.0], [0.2, 0.2 (carried)].
    assert series.best_values is not None and series.best_errors is not None
    np.testing.assert_allclose(series.best_values, [0.2, 0.1])
    np.testing.assert_allclose(series.best_errors, [np.std([0.1, 0.3, 0.2]), np.std([0.1, 0, 0.2])])
    assert series.label == "Objective Value" and series.best_label == "Best Value"
    fig = plot_optimization_history(studies, error_bar=True)
    np.testing.assert_allclose(fig.data[0].error_y.array, series.value_errors)
    assert fig.data[-1].fill == "tonexty"
    ax = mpl_plot(studies, error_bar=True)
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == [
        "Best Value",
        "Objective Value",
    ]
    _png(ax)


def test_plotly_figure_matches_data() -> None:
    study = with_pruned_and_failed()
    fig = plot_optimization_history(study)
    assert fig.layout.title.text == "Optimization History Plot"
    assert fig.layout.xaxis.title.text == "Trial"
    assert fig.layout.yaxis.title.text == "Objective Value"
    values, infeasible, best = fig.data
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert values.x.tolist() == [t.number for t in complete]
    np.testing.assert_allclose(values.y, [t.value for t in complete])
    assert values.mode == "markers" and len(infeasible.x) == 0
    assert best.mode == "lines" and best.x.tolist() == list(range(7))


def test_matplotlib_axes_match_data() -> None:
    study = single_objective("maximize", n=8)
    ax = mpl_plot(study, target_name="score")
    assert ax.get_title() == "Optimization History Plot"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Trial", "score")
    values = np.array([t.value for t in study.trials])
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 1], values)
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), np.maximum.accumulate(values))
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["Best Value", "score"]
    assert _png(ax).startswith(b"\x89PNG")


def test_optuna_style_records_round_trip() -> None:
    from podbor.visualization._optimization_history import (
        _get_optimization_history_info_list,
        _get_optimization_history_plot,
        _ValueState,
    )
    from podbor.visualization.matplotlib._optimization_history import (
        _get_optimization_history_plot as mpl_records_plot,
    )

    study = with_pruned_and_failed()
    (info,) = _get_optimization_history_info_list(study, None, "Objective Value", False)
    assert info.trial_numbers == list(range(7))
    assert info.values_info.states[-1] == _ValueState.Incomplete
    assert info.best_values_info is not None and info.best_values_info.label_name == "Best Value"
    fig = _get_optimization_history_plot([info], target_name="T")
    direct = plot_optimization_history(study)
    assert fig.layout.yaxis.title.text == "T"
    for got, want in zip(fig.data, direct.data):
        assert got.name == want.name
        np.testing.assert_allclose(np.asarray(got.y, dtype=float), np.asarray(want.y, dtype=float))
    ax = mpl_records_plot([info], target_name="T")
    assert ax.get_ylabel() == "T"
    _png(ax)

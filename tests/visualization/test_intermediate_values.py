"""Tests of ``plot_intermediate_values``: the curves against each trial's reports (which trials
appear, step order, constraints), the plotly traces (one per trial, or grouped for large
studies) and the matplotlib collections, rendered to PNG."""

from __future__ import annotations

import io
import logging
from typing import Any

import matplotlib
import numpy as np
import pytest
from tests.visualization.studies import empty_study, single_objective, with_pruned_and_failed

import podbor
from podbor.trial import TrialState, create_trial
from podbor.visualization import plot_intermediate_values
from podbor.visualization._data._intermediate_values import intermediate_values_data
from podbor.visualization._intermediate_values import MAX_SEPARATE_TRACES
from podbor.visualization.matplotlib import plot_intermediate_values as mpl_plot

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


def _expected(study: podbor.Study) -> dict[int, list[tuple[int, float]]]:
    states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
    return {
        t.number: sorted(t.intermediate_values.items())
        for t in study.trials
        if t.state in states and t.intermediate_values
    }


def test_pruned_included_failed_and_silent_left_out() -> None:
    study = with_pruned_and_failed()
    study.add_trial(create_trial(value=1.0))  # reported nothing
    study.add_trial(create_trial(state=TrialState.FAIL, intermediate_values={0: 1.0}))
    data = intermediate_values_data(study)
    expected = _expected(study)
    assert data.trial_numbers.tolist() == list(expected) == [0, 1, 2, 3, 4, 5, 6]
    for i, number in enumerate(data.trial_numbers.tolist()):
        steps, values = data.curve(i)
        assert list(zip(steps.tolist(), values.tolist())) == expected[number]
    assert data.feasible.all() and data.message is None


def test_steps_sorted_and_constraints_greyed() -> None:
    study = podbor.create_study()
    study.add_trials(
        [
            create_trial(value=0.0, intermediate_values={5: 0.5, 1: 0.1, 3: 0.3}),
            create_trial(value=0.0, intermediate_values={2: 2.0, 0: 0.0}, constraints={"c": 1.0}),
        ]
    )
    data = intermediate_values_data(study)
    assert data.curve(0)[0].tolist() == [1, 3, 5]
    assert data.curve(0)[1].tolist() == [0.1, 0.3, 0.5]
    assert data.curve(1)[0].tolist() == [0, 2]
    assert data.feasible.tolist() == [True, False]
    fig = plot_intermediate_values(study)
    assert [tr.name for tr in fig.data] == ["Trial0", "Trial1"]
    assert fig.data[1].line.color == "#CCCCCC" != fig.data[0].line.color
    ax = mpl_plot(study)
    colors = ax.collections[0].get_colors()
    np.testing.assert_allclose(colors[1], (0.8, 0.8, 0.8, 0.7))
    _png(ax)


def test_plotly_one_trace_per_trial() -> None:
    study = single_objective(n=6)
    fig = plot_intermediate_values(study)
    assert fig.layout.title.text == "Intermediate Values Plot"
    assert fig.layout.xaxis.title.text == "Step"
    assert fig.layout.yaxis.title.text == "Intermediate Value"
    assert len(fig.data) == 6
    for trace, (number, points) in zip(fig.data, _expected(study).items()):
        assert trace.name == f"Trial{number}"
        assert trace.x.tolist() == [s for s, _ in points]
        np.testing.assert_allclose(trace.y, [v for _, v in points])


def test_plotly_groups_curves_of_a_large_study() -> None:
    n = MAX_SEPARATE_TRACES + 5
    study = podbor.create_study()
    study.add_trials(
        [
            create_trial(value=float(i), intermediate_values={0: i + 1.0, 1: float(i)})
            for i in range(n)
        ]
    )
    fig = plot_intermediate_values(study)
    assert len(fig.data) == 10
    trace = fig.data[3]  # trials 3, 13, 23, ...: points, then a gap, per trial
    numbers = list(range(3, n, 10))
    assert trace.customdata.tolist() == [x for m in numbers for x in (m, m, -1)]
    np.testing.assert_allclose(trace.y[:3], [4.0, 3.0, np.nan])
    assert np.isnan(trace.x[2]) and trace.connectgaps is False
    total = sum(int(np.sum(~np.isnan(np.asarray(tr.y, dtype=float)))) for tr in fig.data)
    assert total == 2 * n


def test_matplotlib_segments_match_curves() -> None:
    study = with_pruned_and_failed()
    ax = mpl_plot(study)
    assert ax.get_title() == "Intermediate Values Plot"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Step", "Intermediate Value")
    segments = ax.collections[0].get_segments()
    expected = _expected(study)
    assert len(segments) == len(expected)
    for segment, points in zip(segments, expected.values()):
        np.testing.assert_allclose(segment, np.array(points, dtype=float))
    assert len(ax.collections[1].get_offsets()) == sum(len(p) for p in expected.values())
    assert _png(ax).startswith(b"\x89PNG")


def test_empty_and_no_reports(caplog: pytest.LogCaptureFixture) -> None:
    silent = podbor.create_study()
    silent.add_trial(create_trial(value=1.0))
    for study, text in ((empty_study(), "does not contain trials"), (silent, "trial.report")):
        with caplog.at_level(logging.WARNING):
            data = intermediate_values_data(study)
        assert data.trial_numbers.size == 0 and data.message and text in data.message
        assert text in caplog.text
        assert len(plot_intermediate_values(study).data) == 0
        ax = mpl_plot(study)
        assert not ax.collections
        _png(ax)


def test_optuna_style_records_round_trip() -> None:
    from podbor.visualization._intermediate_values import (
        _get_intermediate_plot,
        _get_intermediate_plot_info,
        _IntermediatePlotInfo,
        _TrialInfo,
    )
    from podbor.visualization.matplotlib._intermediate_values import (
        _get_intermediate_plot as mpl_records_plot,
    )

    study = with_pruned_and_failed()
    info = _get_intermediate_plot_info(study)
    assert [t.trial_number for t in info.trial_infos] == list(_expected(study))
    assert info.trial_infos[6].sorted_intermediate_values == [(0, 9.0), (1, 8.0)]
    unsorted = _IntermediatePlotInfo([_TrialInfo(3, [(1, 2.0), (0, 1.0)], False)])
    fig = _get_intermediate_plot(unsorted)
    assert fig.data[0].name == "Trial3" and fig.data[0].x.tolist() == [0, 1]
    ax = mpl_records_plot(unsorted)
    np.testing.assert_allclose(ax.collections[0].get_segments()[0], [[0, 1.0], [1, 2.0]])
    _png(ax)

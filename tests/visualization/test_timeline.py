"""Tests of plot_timeline: the bar data against the study's trials (states, start and end times,
legend entries, recent trials), the plotly and matplotlib figures drawn from it, bad input."""

from __future__ import annotations

import datetime
import io
import logging
from typing import Any

import numpy as np
import pytest
from tests.visualization.studies import empty_study, single_objective, with_pruned_and_failed

import podbor
from podbor._records.frozen_trial import FrozenTrial
from podbor.distributions import BaseDistribution, FloatDistribution
from podbor.trial import TrialState, create_trial
from podbor.visualization._data._timeline import INFEASIBLE, STATE_COLORS, timeline_data

T0 = datetime.datetime(2024, 5, 1, 12, 0, 0)


def _timed_study() -> podbor.Study:
    """Trials 0-3 with known times: COMPLETE (10 s), infeasible COMPLETE, FAIL, PRUNED, then one
    RUNNING (started 5 s ago) and one WAITING."""
    study = podbor.create_study()
    dist: dict[str, BaseDistribution] = {"x": FloatDistribution(0.0, 10.0)}
    specs: list[tuple[TrialState, float | None, dict[str, Any]]] = [
        (TrialState.COMPLETE, 1.0, {}),
        (TrialState.COMPLETE, 2.0, {"constraints": [0.5]}),
        (TrialState.FAIL, None, {}),
        (TrialState.PRUNED, None, {"constraints": [1.0]}),
    ]
    for i, (state, value, attrs) in enumerate(specs):
        trial = create_trial(
            state=state,
            value=value,
            params={"x": float(i)},
            distributions=dist,
            system_attrs=attrs,
        )
        trial.datetime_start = T0 + datetime.timedelta(seconds=20 * i)
        trial.datetime_complete = trial.datetime_start + datetime.timedelta(seconds=10 + i)
        study.add_trial(trial)
    running = create_trial(state=TrialState.RUNNING, params={"x": 9.0}, distributions=dist)
    running.datetime_start = datetime.datetime.now() - datetime.timedelta(seconds=5)
    study.add_trial(running)
    study.add_trial(create_trial(state=TrialState.WAITING))
    return study


@pytest.fixture(scope="module")
def timed() -> podbor.Study:
    return _timed_study()


def test_bars_follow_the_trials(timed: podbor.Study) -> None:
    before = np.datetime64(datetime.datetime.now(), "us")
    data = timeline_data(timed)
    after = np.datetime64(datetime.datetime.now(), "us")
    trials = timed.trials
    assert data.numbers.tolist() == [t.number for t in trials]
    assert data.states == ("COMPLETE", INFEASIBLE, "FAIL", "PRUNED", "RUNNING", "WAITING")
    assert data.infeasible.tolist() == [False, True, False, True, False, False]
    for i in range(4):
        assert data.start[i] == np.datetime64(trials[i].datetime_start, "us")
        assert data.complete[i] == np.datetime64(trials[i].datetime_complete, "us")
    np.testing.assert_allclose(data.duration_ms[:4], [10_000, 11_000, 12_000, 13_000])
    # The running trial lasts until now; the waiting one is a short bar from now.
    assert data.start[4] == np.datetime64(trials[4].datetime_start, "us")
    assert before <= data.complete[4] <= after
    assert before <= data.start[5] <= after and data.duration_ms[5] == pytest.approx(1000)
    assert [(g.name, g.index.tolist()) for g in data.groups] == [
        ("COMPLETE", [0]),
        ("FAIL", [2]),
        ("PRUNED", [3]),
        ("RUNNING", [4]),
        ("WAITING", [5]),
        (INFEASIBLE, [1]),
    ]
    assert all(g.color == STATE_COLORS[g.name] for g in data.groups)
    assert "Trial 1 (INFEASIBLE)" in data.hovertexts[1] and "x: 1.0" in data.hovertexts[1]


@pytest.mark.parametrize(("n_recent", "expected"), [(None, 9), (2, 2), (100, 9), (1, 1)])
def test_n_recent_trials_keeps_the_last_ones(n_recent: int | None, expected: int) -> None:
    study = with_pruned_and_failed()
    data = timeline_data(study, n_recent_trials=n_recent)
    assert data.numbers.tolist() == [t.number for t in study.trials][-expected:]


@pytest.mark.parametrize("bad", [0, -1, -10, 1.5, True, "3"])
def test_bad_n_recent_trials_is_refused(bad: Any) -> None:
    from podbor.visualization import plot_timeline
    from podbor.visualization.matplotlib import plot_timeline as mpl_plot_timeline

    study = single_objective(n=3)
    for plot in (timeline_data, plot_timeline, mpl_plot_timeline):
        with pytest.raises(ValueError, match="n_recent_trials"):
            plot(study, n_recent_trials=bad)


def test_empty_study_has_no_bars(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        data = timeline_data(empty_study())
    assert data.numbers.size == 0 and data.groups == ()
    assert "does not have any trials" in caplog.text


class _Trials:
    """A study view holding trials the storages would refuse (a COMPLETE one with no start)."""

    def __init__(self, trials: list[FrozenTrial]) -> None:
        self._trials = trials

    def get_trials(self, deepcopy: bool = True, states: Any = None) -> list[FrozenTrial]:
        return self._trials


def _raw(number: int, start: datetime.datetime | None, end: datetime.datetime) -> FrozenTrial:
    return FrozenTrial(
        number=number,
        trial_id=number,
        state=TrialState.COMPLETE,
        value=0.0,
        values=None,
        datetime_start=start,
        datetime_complete=end,
        params={},
        distributions={},
        user_attrs={},
        system_attrs={},
        intermediate_values={},
    )


def test_trials_without_start_are_omitted_and_reversed_times_warned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    trials = [_raw(0, None, T0), _raw(1, T0, T0 - datetime.timedelta(seconds=1)), _raw(2, T0, T0)]
    with caplog.at_level(logging.WARNING):
        data = timeline_data(_Trials(trials))  # type: ignore[arg-type]
    assert data.numbers.tolist() == [1, 2]
    assert "Trial 0 is omitted" in caplog.text
    assert "finished before they started" in caplog.text
    assert data.duration_ms.tolist() == [-1000.0, 0.0]


def test_aware_times_are_drawn_in_utc() -> None:
    zone = datetime.timezone(datetime.timedelta(hours=3))
    start = datetime.datetime(2024, 1, 1, 15, 0, tzinfo=zone)
    data = timeline_data(_Trials([_raw(0, start, start + datetime.timedelta(minutes=1))]))  # type: ignore[arg-type]
    assert data.start[0] == np.datetime64("2024-01-01T12:00:00", "us")
    assert data.duration_ms[0] == 60_000


# -- renderers ------------------------------------------------------------------------------------
def test_plotly_figure_has_one_bar_trace_per_state(timed: podbor.Study) -> None:
    pytest.importorskip("plotly")
    from podbor.visualization import plot_timeline

    data = timeline_data(timed)
    fig = plot_timeline(timed)
    assert [t.name for t in fig.data] == [g.name for g in data.groups]
    for trace, group in zip(fig.data, data.groups):
        assert trace.type == "bar" and trace.orientation == "h"
        assert trace.marker.color == group.color
        assert list(trace.y) == data.numbers[group.index].tolist()
        if group.name not in ("RUNNING", "WAITING"):  # those move with the clock
            assert list(trace.base) == data.start[group.index].astype(str).tolist()
            np.testing.assert_allclose(trace.x, data.duration_ms[group.index])
    assert fig.layout.xaxis.type == "date" and fig.layout.showlegend is True
    assert fig.layout.yaxis.title.text == "Trial" and fig.layout.xaxis.title.text == "Datetime"
    fig.to_html(include_plotlyjs=False)  # serializable


def test_plotly_empty_and_recent(timed: podbor.Study) -> None:
    pytest.importorskip("plotly")
    from podbor.visualization import plot_timeline

    assert len(plot_timeline(empty_study()).data) == 0
    fig = plot_timeline(timed, n_recent_trials=2)
    assert [t.name for t in fig.data] == ["RUNNING", "WAITING"]


def test_matplotlib_draws_one_collection_per_state(timed: podbor.Study) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates
    import matplotlib.pyplot as plt

    from podbor.visualization.matplotlib import plot_timeline

    mdates: Any = matplotlib.dates
    data = timeline_data(timed)
    ax = plot_timeline(timed)
    assert [c.get_label() for c in ax.collections] == [g.name for g in data.groups]
    complete = ax.collections[0].get_paths()[0].vertices
    x0 = mdates.date2num(timed.trials[0].datetime_start)
    x1 = mdates.date2num(timed.trials[0].datetime_complete)
    assert complete[:, 0].min() == pytest.approx(x0) and complete[:, 0].max() == pytest.approx(x1)
    assert complete[:, 1].min() == pytest.approx(-0.4) and complete[:, 1].max() == pytest.approx(
        0.4
    )
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [g.name for g in data.groups]
    assert ax.get_ylabel() == "Trial" and ax.get_title() == "Timeline Plot"
    ax.figure.savefig(io.BytesIO(), format="png")
    empty = plot_timeline(empty_study())
    assert len(empty.collections) == 0 and empty.get_legend() is None
    empty.figure.savefig(io.BytesIO(), format="png")
    plt.close("all")


# -- one lane per worker (podbor's addition) ----------------------------------------------------
def test_optimize_records_its_worker_and_the_timeline_draws_one_lane_per_worker() -> None:
    import threading

    pytest.importorskip("plotly")
    pytest.importorskip("matplotlib")
    from podbor.visualization import plot_timeline
    from podbor.visualization.matplotlib import plot_timeline as mpl_plot_timeline

    study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
    gate = threading.Barrier(2, timeout=10)

    def objective(trial: podbor.Trial) -> float:
        if trial.number < 2:
            gate.wait()  # the first two trials run at once, one in each thread
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=6, n_jobs=2)
    study.add_trial(podbor.trial.create_trial(params={}, distributions={}, value=1.0))
    workers = [t.system_attrs.get("worker") for t in study.trials]
    assert all(isinstance(w, str) and ":" in w for w in workers[:6]), workers
    assert len(set(workers[:6])) == 2 and workers[6] is None
    assert "worker" not in "".join(study.trials_dataframe().columns)  # no new column

    fig = plot_timeline(study, by_worker=True)
    assert fig.layout.yaxis.title.text == "Worker"
    lanes = list(fig.layout.yaxis.categoryarray)
    assert lanes[-1] == "(unknown worker)" and sorted(lanes[:2]) == sorted(set(workers[:6]))
    drawn = [y for trace in fig.data for y in trace.y]
    assert sorted(drawn) == sorted([*workers[:6], "(unknown worker)"])
    assert "worker: " in fig.data[0].text[0]
    ax = mpl_plot_timeline(study, by_worker=True)
    assert [t.get_text() for t in ax.get_yticklabels()] == lanes


def test_ask_outside_optimize_records_no_worker() -> None:
    study = podbor.create_study()
    trial = study.ask()
    assert "worker" not in study.trials[trial.number].system_attrs

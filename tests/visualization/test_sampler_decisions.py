"""Tests of plot_sampler_decisions: the decisions read back from the trials (strategies, reasons,
switches, runs, values and best so far, for one and several objectives, pruned and failed trials,
studies of other samplers), the plotly and matplotlib figures drawn from them."""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pytest
from tests.visualization.studies import conditional, empty_study, multi_objective, single_objective

import podbor
from podbor.distributions import BaseDistribution, FloatDistribution
from podbor.trial import FrozenTrial, TrialState, create_trial
from podbor.visualization._data._sampler_decisions import (
    STRATEGY_COLORS,
    DecisionRun,
    Switch,
    sampler_decisions_data,
)

DIST: dict[str, BaseDistribution] = {"x": FloatDistribution(0.0, 10.0)}
QMC = [f"qmc: start-up, {i} of 4 trials finished" for i in range(4)]
GP = [f"gp: 1 parameters, {i} complete trials" for i in range(4, 8)]
TPE = ["tpe: the GP takes ~40 ms per trial, over 0.5 of the objective's 2 ms"] * 3
LABELS = QMC + GP + TPE
VALUES: list[float | None] = [5.0, 3.0, 4.0, 6.0, None, 2.5, 2.0, 1.0, None, 0.5, 0.7]
STATES = [TrialState.COMPLETE] * 11
STATES[4], STATES[8] = TrialState.FAIL, TrialState.PRUNED


def _decided(direction: str = "minimize", labels: list[str] = LABELS) -> podbor.Study:
    """Trials 0-3 qmc, 4-7 gp (4 FAIL), 8-10 tpe (8 PRUNED), then one trial with no decision."""
    study = podbor.create_study(direction=direction)
    for i, label in enumerate(labels):
        study.add_trial(
            create_trial(
                state=STATES[i],
                value=VALUES[i],
                params={"x": float(i)},
                distributions=DIST,
                system_attrs={"auto_sampler": label},
            )
        )
    study.add_trial(create_trial(value=-100.0, params={"x": 0.0}, distributions=DIST))
    return study


def test_decisions_strategies_and_switches() -> None:
    data = sampler_decisions_data(_decided())
    assert data.numbers.tolist() == list(range(11))  # trial 11 has no decision
    assert data.strategies == ("qmc",) * 4 + ("gp",) * 4 + ("tpe",) * 3
    assert data.reasons[0] == "start-up, 0 of 4 trials finished"
    assert data.reasons[9] == "the GP takes ~40 ms per trial, over 0.5 of the objective's 2 ms"
    assert data.strategy_order == ("qmc", "gp", "tpe")
    assert data.strategy_index.tolist() == [0] * 4 + [1] * 4 + [2] * 3
    assert data.colors == tuple(STRATEGY_COLORS[s] for s in data.strategy_order)
    assert data.switches == (
        Switch(4, "qmc", "gp", "1 parameters, 4 complete trials"),
        Switch(8, "gp", "tpe", TPE[0].partition(": ")[2]),
    )
    assert data.runs == (
        DecisionRun(0, 3, "qmc"),
        DecisionRun(4, 7, "gp"),
        DecisionRun(8, 10, "tpe"),
    )
    assert data.states[4] == "FAIL" and data.states[8] == "PRUNED"
    assert "Trial 8 (PRUNED)" in data.hovertexts[8] and "over 0.5" in data.hovertexts[8]
    assert "value: 2.5" in data.hovertexts[5]
    assert data.message is None and data.target_name == "Objective Value"


@pytest.mark.parametrize(
    ("direction", "best"),
    [
        ("minimize", [5, 3, 3, 3, 3, 2.5, 2, 1, 1, 0.5, 0.5]),
        ("maximize", [5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6]),
    ],
)
def test_values_and_best_so_far(direction: str, best: list[float]) -> None:
    data = sampler_decisions_data(_decided(direction))
    expected = [math.nan if v is None else v for v in VALUES]
    np.testing.assert_array_equal(data.values, expected)  # FAIL and PRUNED: NaN
    np.testing.assert_array_equal(data.best, best)


def test_target_replaces_the_value_and_drops_the_best_line() -> None:
    data = sampler_decisions_data(
        _decided(), target=lambda t: t.params["x"] * 10, target_name="ten x"
    )
    assert np.nanmax(data.values) == 100.0 and np.isnan(data.values[4])
    assert np.isnan(data.best).all() and data.target_name == "ten x"
    with pytest.warns(UserWarning, match="target_name"):
        sampler_decisions_data(_decided(), target=lambda t: 1.0)


def _multi(n_objectives: int = 2) -> podbor.Study:
    study = multi_objective(n_objectives, n=6)
    study2 = podbor.create_study(directions=[d.name.lower() for d in study.directions])
    for trial in study.trials:
        study2.add_trial(
            create_trial(
                values=trial.values,
                params=trial.params,
                distributions=trial.distributions,
                system_attrs={
                    "auto_sampler": f"tpe: {n_objectives} objectives, conditional or changing parameters"
                },
            )
        )
    return study2


def test_several_objectives_show_the_strategies_alone_or_a_target() -> None:
    data = sampler_decisions_data(_multi())
    assert data.strategies == ("tpe",) * 6 and not data.has_values and data.target_name == ""
    assert data.switches == () and data.runs == (DecisionRun(0, 5, "tpe"),)

    def second(trial: FrozenTrial) -> float:
        assert trial.values is not None
        return trial.values[1]

    with_target = sampler_decisions_data(_multi(3), target=second, target_name="v1")
    np.testing.assert_array_equal(with_target.values, [second(t) for t in _multi(3).trials])


def test_unknown_strategies_and_labels_without_reason() -> None:
    labels = ["custom: mine", "tpe: fallback", "odd label", "tpe: again"]
    study = _decided(labels=labels)
    data = sampler_decisions_data(study)
    assert data.strategy_order == ("tpe", "custom", "odd label")
    assert data.reasons[2] == "" and data.colors[1] not in STRATEGY_COLORS.values()
    assert [s.number for s in data.switches] == [1, 2, 3]


@pytest.mark.parametrize(
    "build",
    [empty_study, single_objective, conditional],
    ids=["empty", "another-sampler", "conditional"],
)
def test_studies_without_decisions_give_a_message(build: Any) -> None:
    data = sampler_decisions_data(build())
    assert data.numbers.size == 0 and data.switches == () and data.runs == ()
    assert data.message is not None and "AutoSampler" in data.message


@pytest.fixture(scope="module")
def auto_study() -> podbor.Study:
    sampler = podbor.samplers.AutoSampler(seed=0, n_startup_trials=3, max_overhead_fraction=None)
    study = podbor.create_study(sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=5)
    return study


def test_real_auto_sampler_decisions(auto_study: podbor.Study) -> None:
    data = sampler_decisions_data(auto_study)
    trials = auto_study.trials
    assert data.strategies == ("qmc",) * 3 + ("gp",) * 2
    assert list(data.reasons) == [t.system_attrs["auto_sampler"].split(": ", 1)[1] for t in trials]
    assert data.switches == (Switch(3, "qmc", "gp", "1 parameters, 3 complete trials"),)
    np.testing.assert_allclose(data.values, np.array([t.value for t in trials], dtype=float))
    np.testing.assert_allclose(data.best[-1], auto_study.best_value)


# -- renderers ------------------------------------------------------------------------------------
def test_plotly_figure() -> None:
    pytest.importorskip("plotly")
    from podbor.visualization import plot_sampler_decisions

    data = sampler_decisions_data(_decided())
    fig = plot_sampler_decisions(_decided())
    strategy_traces = [t for t in fig.data if t.yaxis == "y2"]
    value_traces = [t for t in fig.data if t.yaxis == "y" and t.name != "Best Value"]
    assert [t.name for t in strategy_traces] == ["qmc", "gp", "tpe"]
    for k, trace in enumerate(strategy_traces):
        mine = data.strategy_index == k
        assert list(trace.x) == data.numbers[mine].tolist()
        assert list(trace.y) == [data.strategy_order[k]] * int(mine.sum())
        assert list(trace.text) == [h for h, m in zip(data.hovertexts, mine) if m]
        assert trace.marker.color == data.colors[k]
    shown = np.concatenate([np.asarray(t.y, dtype=float) for t in value_traces])
    assert sorted(shown.tolist()) == sorted(v for v in VALUES if v is not None)
    best = next(t for t in fig.data if t.name == "Best Value")
    np.testing.assert_array_equal(np.asarray(best.y, dtype=float), data.best)
    assert list(fig.layout.yaxis2.categoryarray) == ["qmc", "gp", "tpe"]
    assert fig.layout.yaxis2.type == "category" and fig.layout.xaxis2.title.text == "Trial"
    assert len(fig.layout.shapes) == len(data.runs) + len(data.switches)
    assert [s.x0 for s in fig.layout.shapes if s.type == "line"] == [3.5, 7.5]
    fig.to_html(include_plotlyjs=False)


def test_plotly_without_values_and_empty() -> None:
    pytest.importorskip("plotly")
    from podbor.visualization import plot_sampler_decisions

    fig = plot_sampler_decisions(_multi())
    assert [t.name for t in fig.data] == ["tpe"] and fig.layout.yaxis.type == "category"
    empty = plot_sampler_decisions(single_objective())
    assert len(empty.data) == 0 and "AutoSampler" in empty.layout.annotations[0].text


def test_matplotlib_figure() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from podbor.visualization.matplotlib import plot_sampler_decisions

    data = sampler_decisions_data(_decided())
    top, bottom = plot_sampler_decisions(_decided())
    assert [t.get_text() for t in bottom.get_yticklabels()] == ["qmc", "gp", "tpe"]
    marks = [c for c in bottom.collections if c.get_label() in data.strategy_order]
    for k, mark in enumerate(marks):
        offsets = np.asarray(mark.get_offsets(), dtype=float)
        np.testing.assert_array_equal(offsets[:, 0], data.numbers[data.strategy_index == k])
        assert (offsets[:, 1] == k).all()
    points = np.concatenate([np.asarray(c.get_offsets(), dtype=float) for c in top.collections])
    assert sorted(points[:, 1].tolist()) == sorted(v for v in VALUES if v is not None)
    best = next(line for line in top.get_lines() if line.get_label() == "Best Value")
    np.testing.assert_array_equal(np.asarray(best.get_ydata(), dtype=float), data.best)
    assert top.get_ylabel() == "Objective Value" and bottom.get_xlabel() == "Trial"
    assert [t.get_text() for t in top.texts] == ["→ gp", "→ tpe"]
    figure: Any = top.figure
    figure.savefig(io.BytesIO(), format="png")
    top, _ = plot_sampler_decisions(single_objective())
    assert "AutoSampler" in top.texts[0].get_text()
    figure = top.figure
    figure.savefig(io.BytesIO(), format="png")
    plt.close("all")

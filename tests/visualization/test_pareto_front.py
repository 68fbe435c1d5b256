"""Tests of plot_pareto_front: which trials are best, dominated or infeasible (objectives,
directions, stored constraints and ``constraints_func``, ``targets``), the plotly and matplotlib
figures drawn from that, and bad input."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from tests.visualization.studies import multi_objective

import podbor
from podbor.distributions import BaseDistribution, IntDistribution
from podbor.trial import FrozenTrial, TrialState, create_trial
from podbor.visualization._data._common import COLOR_SCALE, hovertext
from podbor.visualization._data._fast_hovertext import fast_hovertexts
from podbor.visualization._data._pareto_front import (
    INFEASIBLE_COLOR,
    RED_SCALE,
    pareto_front_data,
)

XY: dict[str, BaseDistribution] = {"x": IntDistribution(0, 2), "y": IntDistribution(0, 2)}
POINTS = [(1, 2), (1, 1), (0, 2), (1, 0)]  # trials 2 and 3 are the front, 0 and 1 dominated


def study_2d(constraints: Sequence[float] | None = None) -> podbor.Study:
    """Four trials with values (x, y); ``constraints[i]`` stored on trial i when given."""
    study = podbor.create_study(directions=["minimize", "minimize"])
    for i, (x, y) in enumerate(POINTS):
        attrs = {} if constraints is None else {"constraints": [constraints[i]]}
        study.add_trial(
            create_trial(
                values=[x, y], params={"x": x, "y": y}, distributions=XY, system_attrs=attrs
            )
        )
    return study


def study_3d() -> podbor.Study:
    study = podbor.create_study(directions=["minimize"] * 3)
    for x, y in POINTS:
        study.add_trial(create_trial(values=[x, y, 1.0], params={"x": x, "y": y}, distributions=XY))
    return study


def trial_3_infeasible(trial: FrozenTrial) -> list[float]:
    return [1.0] if trial.number == 3 else [-1.0]


@pytest.mark.parametrize("include_dominated", [True, False])
def test_groups_without_constraints(include_dominated: bool) -> None:
    data = pareto_front_data(study_2d(), include_dominated_trials=include_dominated)
    assert data.n_targets == 2
    assert data.target_names == ["Objective 0", "Objective 1"]
    assert data.best.numbers.tolist() == [2, 3]
    assert data.best.values.tolist() == [[0, 2], [1, 0]]
    assert data.infeasible is None
    if include_dominated:
        assert data.dominated is not None
        assert data.dominated.numbers.tolist() == [0, 1]
        assert data.dominated.values.tolist() == [[1, 2], [1, 1]]
        assert [g.name for g in data.groups] == ["Trial", "Best Trial"]
    else:
        assert data.dominated is None
        assert [g.name for g in data.groups] == ["Best Trial"]


@pytest.mark.parametrize("source", ["stored", "constraints_func"])
def test_the_front_is_found_among_feasible_trials(source: str) -> None:
    if source == "stored":
        data = pareto_front_data(study_2d(constraints=[-1.0, 0.0, -1.0, 1.0]))
    else:
        with pytest.warns(FutureWarning, match="constraints_func"):
            data = pareto_front_data(study_2d(), constraints_func=trial_3_infeasible)
    # without the infeasible (1, 0), (1, 1) joins the front
    assert data.best.numbers.tolist() == [1, 2]
    assert data.dominated is not None and data.dominated.numbers.tolist() == [0]
    assert data.infeasible is not None
    assert data.infeasible.numbers.tolist() == [3]
    assert data.infeasible.values.tolist() == [[1, 0]]
    assert data.infeasible.color == INFEASIBLE_COLOR and data.infeasible.color_scale is None


def test_all_infeasible() -> None:
    data = pareto_front_data(study_2d(constraints=[1.0] * 4))
    assert data.best.numbers.size == 0
    assert data.dominated is not None and data.dominated.numbers.size == 0
    assert data.infeasible is not None and data.infeasible.numbers.tolist() == [0, 1, 2, 3]


def test_three_objectives() -> None:
    data = pareto_front_data(study_3d(), target_names=["a", "b", "c"])
    assert data.n_targets == 3 and data.target_names == ["a", "b", "c"]
    assert data.best.values.tolist() == [[0, 2, 1], [1, 0, 1]]


def test_directions_decide_the_front() -> None:
    # minimize, maximize: trials 0, 2, 4, ... have the larger second value
    study = multi_objective(2, n=6)
    data = pareto_front_data(study)
    assert data.best.numbers.tolist() == [0, 2, 4]
    assert data.dominated is not None and data.dominated.numbers.tolist() == [1, 3, 5]
    values = np.array([t.values for t in study.trials])
    np.testing.assert_array_equal(data.best.values, values[[0, 2, 4]])


def test_only_complete_trials_appear() -> None:
    study = study_2d()
    study.add_trial(
        create_trial(state=TrialState.PRUNED, params={"x": 0, "y": 0}, distributions=XY)
    )
    study.add_trial(create_trial(state=TrialState.FAIL))
    study.add_trial(create_trial(state=TrialState.RUNNING))
    data = pareto_front_data(study)
    shown = sorted(int(n) for g in data.groups for n in g.numbers)
    assert shown == [0, 1, 2, 3]


def test_names_from_metric_names_or_target_names() -> None:
    study = study_2d()
    with pytest.warns(podbor.exceptions.ExperimentalWarning):
        study.set_metric_names(["loss", "cost"])
    assert pareto_front_data(study).target_names == ["loss", "cost"]
    assert pareto_front_data(study, target_names=["Foo", "Bar"]).target_names == ["Foo", "Bar"]
    with pytest.raises(ValueError, match="target_names has 1 names"):
        pareto_front_data(study, target_names=["Foo"])


def test_targets_choose_what_is_plotted_not_what_is_best() -> None:
    study = podbor.create_study(directions=["minimize"] * 5)
    for i in range(4):
        study.add_trial(create_trial(values=[float(i)] * 5))
    data = pareto_front_data(study, targets=lambda t: [t.number * 10.0, -1.0])
    assert data.n_targets == 2
    assert data.best.numbers.tolist() == [0]  # by the five objectives
    assert data.dominated is not None
    assert data.dominated.values[:, 0].tolist() == [10.0, 20.0, 30.0]


def test_targets_on_a_study_without_trials() -> None:
    study = podbor.create_study(directions=["minimize"] * 2)
    with pytest.raises(ValueError, match="target_names"):
        pareto_front_data(study, targets=lambda t: [0.0, 1.0])
    data = pareto_front_data(study, targets=lambda t: [0.0, 1.0], target_names=["a", "b"])
    assert data.n_targets == 2 and data.best.numbers.size == 0


@pytest.mark.parametrize(
    ("targets", "match"),
    [
        (lambda t: t.values[0], "sequence of 2 or 3 values"),
        (lambda t: [1.0, 2.0, 3.0, 4.0], "2 or 3 values per trial; it returned 4"),
        (lambda t: [1.0] * (2 if t.number == 0 else 3), "for trial 1 it returned"),
    ],
    ids=["scalar", "four", "ragged"],
)
def test_bad_targets(targets: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pareto_front_data(study_2d(), targets=targets)


@pytest.mark.parametrize("n_objectives", [1, 4])
def test_only_two_or_three_objectives_without_targets(n_objectives: int) -> None:
    study = podbor.create_study(directions=["minimize"] * n_objectives)
    with pytest.raises(ValueError, match=f"the study has {n_objectives}"):
        pareto_front_data(study)
    with pytest.raises(ValueError, match=f"the study has {n_objectives}"):
        podbor.visualization.plot_pareto_front(study)


def test_empty_study(caplog: pytest.LogCaptureFixture) -> None:
    study = podbor.create_study(directions=["minimize", "minimize"])
    with caplog.at_level(logging.WARNING):
        data = pareto_front_data(study)
    assert "does not have any completed trials" in caplog.text
    assert data.message is not None and all(g.numbers.size == 0 for g in data.groups)
    fig = podbor.visualization.plot_pareto_front(study)
    assert [len(trace.x) for trace in fig.data] == [0, 0]
    podbor.visualization.matplotlib.plot_pareto_front(study).figure.savefig(io.BytesIO())


def test_hovertexts_are_the_shared_ones() -> None:
    study = multi_objective(2, n=5)
    study.add_trial(
        create_trial(
            values=[float("inf"), -1.5],
            params={"x": 1.0},
            distributions=study.trials[0].distributions,
            user_attrs={"note": "a"},
        )
    )
    trials = study.trials
    assert fast_hovertexts(trials) == [hovertext(t) for t in trials]
    data = pareto_front_data(study)
    assert data.best.hovertexts == [hovertext(trials[int(n)]) for n in data.best.numbers]


def test_fast_hovertexts_on_mixed_parameters() -> None:
    from podbor.distributions import CategoricalDistribution, FloatDistribution

    kinds = CategoricalDistribution(["a", 'q"%\u00e9', None, True, 3, 2.5])
    dists: dict[str, BaseDistribution] = {
        "f%": FloatDistribution(-1e300, 1e300),
        "kind": kinds,
        "n": IntDistribution(0, 10),
    }
    trials = []
    for i, choice in enumerate(kinds.choices * 2):
        values = [float(i), -0.1] if i % 3 else [float("inf"), 1e-300]
        params = {"f%": [0.1, 1e300, -0.0][i % 3], "kind": choice, "n": i % 10}
        if i % 4 == 0:
            params.pop("n")  # a second set of parameter names
        trials.append(
            create_trial(
                values=values,
                params=params,
                distributions={k: dists[k] for k in params},
                user_attrs={"u": [1]} if i == 5 else {},
            )
        )
    assert fast_hovertexts(trials) == [hovertext(t) for t in trials]


def test_plotly_figure() -> None:
    study = study_2d(constraints=[-1.0, 0.0, -1.0, 1.0])
    with pytest.warns(podbor.exceptions.ExperimentalWarning):
        study.set_metric_names(["loss", "cost"])
    fig = podbor.visualization.plot_pareto_front(study)
    assert [trace.name for trace in fig.data] == ["Trial", "Best Trial", "Infeasible Trial"]
    dominated, best, infeasible = fig.data
    assert all(trace.type == "scatter" and trace.mode == "markers" for trace in fig.data)
    assert list(best.x) == [1, 0] and list(best.y) == [1, 2]
    assert list(dominated.x) == [1] and list(infeasible.y) == [0]
    assert list(best.marker.color) == [1, 2]  # coloured by trial number
    assert [c for _, c in dominated.marker.colorscale] == [c for _, c in COLOR_SCALE]
    assert [c for _, c in best.marker.colorscale] == [c for _, c in RED_SCALE]
    assert "reversescale" not in dominated.marker.to_plotly_json()
    assert best.marker.colorbar.title.text == "Best Trial" and best.marker.colorbar.x == 1.1
    assert infeasible.marker.color == INFEASIBLE_COLOR
    assert best.hovertemplate == "%{text}<extra>Best Trial</extra>"
    assert list(best.text) == [hovertext(study.trials[1]), hovertext(study.trials[2])]
    assert fig.layout.title.text == "Pareto-front Plot"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("loss", "cost")


def test_plotly_best_only_and_colour_scale_first() -> None:
    fig = podbor.visualization.plot_pareto_front(study_2d(), include_dominated_trials=False)
    assert [trace.name for trace in fig.data] == ["Best Trial"]
    assert fig.data[0].marker.colorbar.x is None
    # Optuna's check: with dominated trials drawn, the first trace uses the blue scale
    fig = podbor.visualization.plot_pareto_front(multi_objective(2, n=3))
    assert [v[1] for v in fig.data[0].marker.colorscale] == [c for _, c in COLOR_SCALE]


def test_plotly_three_dimensional() -> None:
    fig = podbor.visualization.plot_pareto_front(study_3d(), target_names=["a", "b", "c"])
    assert [trace.type for trace in fig.data] == ["scatter3d", "scatter3d"]
    assert list(fig.data[1].z) == [1.0, 1.0]
    scene = fig.layout.scene
    assert [scene.xaxis.title.text, scene.yaxis.title.text, scene.zaxis.title.text] == [
        "a",
        "b",
        "c",
    ]


def _offsets(ax: Any) -> dict[str, list[list[float]]]:
    return {c.get_label(): c.get_offsets().tolist() for c in ax.collections}


def test_matplotlib_two_dimensional() -> None:
    study = study_2d(constraints=[-1.0, 0.0, -1.0, 1.0])
    ax = podbor.visualization.matplotlib.plot_pareto_front(study, target_names=["a", "b"])
    assert ax.get_title() == "Pareto-front Plot"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("a", "b")
    assert _offsets(ax) == {
        "Trial": [[1.0, 2.0]],
        "Best Trial": [[1.0, 1.0], [0.0, 2.0]],
        "Infeasible Trial": [[1.0, 0.0]],
    }
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Trial", "Best Trial", "Infeasible Trial"]
    ax.figure.savefig(io.BytesIO(), format="png")


def test_matplotlib_three_dimensional() -> None:
    ax: Any = podbor.visualization.matplotlib.plot_pareto_front(
        study_3d(), include_dominated_trials=False
    )
    assert ax.name == "3d"
    assert ax.get_zlabel() == "Objective 2"
    assert [c.get_label() for c in ax.collections] == ["Best Trial"]
    xs, ys, zs = ax.collections[0]._offsets3d
    assert (list(xs), list(ys), list(zs)) == ([0, 1], [2, 0], [1, 1])
    ax.figure.savefig(io.BytesIO(), format="png")

"""plot_parallel_coordinate: the plot data against the study, and both backends' figures against the data."""

from __future__ import annotations

import io
import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from tests.visualization.studies import (
    conditional,
    empty_study,
    multi_objective,
    single_objective,
    with_pruned_and_failed,
)

import podbor
from podbor._hypervolume import pareto_ranks
from podbor.distributions import CategoricalDistribution, FloatDistribution
from podbor.trial import create_trial
from podbor.visualization import matplotlib as mpl_vis
from podbor.visualization import plot_parallel_coordinate
from podbor.visualization._data._common import COLOR_SCALE
from podbor.visualization._data._parallel_coordinate import (
    ParallelCoordinateData,
    line_groups,
    parallel_coordinate_data,
)


def _png(ax: object) -> None:
    figure = ax.get_figure()  # type: ignore[attr-defined]
    figure.savefig(io.BytesIO(), format="png")
    plt.close(figure)


def _plotly_lines(figure: object) -> list[list[float]]:
    """Each trial's polyline (its y values) from the figure's line traces, in drawing order."""
    lines: list[list[float]] = []
    for trace in figure.data:  # type: ignore[attr-defined]
        if trace.mode != "lines" or trace.showlegend:
            continue
        current: list[float] = []
        for y in trace.y:
            if y is None or (isinstance(y, float) and math.isnan(y)):
                lines.append(current)
                current = []
            else:
                current.append(float(y))
        if current:
            lines.append(current)
    return lines


def _by_axis(data: ParallelCoordinateData) -> dict[str, object]:
    return {a.label: a for a in data.axes}


# ---- plot data -------------------------------------------------------------------------------


def test_axes_follow_the_study() -> None:
    study = single_objective(n=12)
    trials = study.trials
    data = parallel_coordinate_data(study)
    assert [a.label for a in data.axes] == ["Objective Value", "kind", "lr", "n", "x"]
    assert data.n_objective_axes == 1
    assert data.trial_numbers.tolist() == [t.number for t in trials]
    axes = _by_axis(data)
    objective = axes["Objective Value"]
    np.testing.assert_allclose(objective.values, [t.value for t in trials])
    assert (
        objective.kind == "linear" and objective.scaled.min() == 0 and objective.scaled.max() == 1
    )
    # log parameter: log10 scale, ticks at the decades, labelled as numbers
    lr = axes["lr"]
    assert lr.kind == "log"
    np.testing.assert_allclose(lr.values, [t.params["lr"] for t in trials])
    assert (lr.low, lr.high) == pytest.approx((-5.0, -1.0))
    assert lr.tick_labels == ["1e-05", "0.0001", "0.001", "0.01", "0.1"]
    np.testing.assert_allclose(lr.tick_positions, [0, 0.25, 0.5, 0.75, 1])
    expected = (np.log10([t.params["lr"] for t in trials]) + 5) / 4
    np.testing.assert_allclose(lr.scaled, expected)
    # categorical parameter: one tick per choice, in the distribution's order
    kind = axes["kind"]
    assert kind.kind == "categorical" and kind.tick_labels == ["svm", "tree", "knn"]
    codes = [["svm", "tree", "knn"].index(t.params["kind"]) for t in trials]
    assert kind.values.tolist() == codes
    np.testing.assert_allclose(kind.scaled, np.array(codes) / 2)
    # linear parameter
    x = axes["x"]
    np.testing.assert_allclose(x.scaled, (x.values + 5) / 10)
    assert x.tick_labels == ["-5", "-2.5", "0", "2.5", "5"]
    assert not any(a.has_missing for a in data.axes)


def test_params_select_axes_shown_sorted() -> None:
    data = parallel_coordinate_data(single_objective(), ["x", "kind"])
    assert [a.label for a in data.axes] == ["Objective Value", "kind", "x"]  # as Optuna does


def test_unknown_param_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="'nope'"):
        parallel_coordinate_data(single_objective(), ["x", "nope"])


@pytest.mark.parametrize("direction, reverse", [("minimize", True), ("maximize", False)])
def test_colour_scale_reversed_by_direction(direction: str, reverse: bool) -> None:
    data = parallel_coordinate_data(single_objective(direction))
    assert data.reverse_scale is reverse
    assert data.colorbar_title == "Objective Value"
    assert data.color_range == (data.color_values.min(), data.color_values.max())


def test_conditional_params_meet_a_none_tick() -> None:
    study = conditional()
    data = parallel_coordinate_data(study)
    axes = _by_axis(data)
    for name, has_it in [
        ("C", [i % 2 == 0 for i in range(10)]),
        ("depth", [i % 2 == 1 for i in range(10)]),
    ]:
        axis = axes[name]
        assert axis.has_missing and axis.tick_labels[0] == "None" and axis.tick_positions[0] == 0
        assert np.isnan(axis.values[~np.array(has_it)]).all()
        assert (axis.scaled[~np.array(has_it)] == 0).all()
        assert (axis.scaled[np.array(has_it)] >= 0.12 - 1e-12).all()
    assert axes["C"].kind == "log" and axes["depth"].kind == "linear"


def test_only_complete_finite_trials() -> None:
    study = with_pruned_and_failed()
    study.add_trial(
        create_trial(
            value=float("inf"), params={"x": 0.0}, distributions={"x": FloatDistribution(-5, 5)}
        )
    )
    data = parallel_coordinate_data(study)
    assert data.trial_numbers.tolist() == list(range(6))
    assert np.isfinite(data.axes[0].values).all()


def test_numeric_categorical_sorted_and_missing_label_collision() -> None:
    study = podbor.create_study()
    dist = CategoricalDistribution((10, 1, 2))
    for v in (10, 2, 1):
        study.add_trial(create_trial(value=float(v), params={"c": v}, distributions={"c": dist}))
    axis = parallel_coordinate_data(study).axes[1]
    assert axis.kind == "categorical" and axis.tick_labels == ["1", "2", "10"]
    assert axis.values.tolist() == [2, 1, 0]

    study = podbor.create_study()
    study.add_trial(create_trial(value=0.0))
    study.add_trial(
        create_trial(
            value=1.0, params={"p": None}, distributions={"p": CategoricalDistribution((None, "a"))}
        )
    )
    axis = parallel_coordinate_data(study).axes[1]
    assert axis.tick_labels == ["None", "None (value)"] and axis.values.tolist() == [0, 1]


def test_multi_objective_without_target_colours_by_pareto_rank() -> None:
    study = multi_objective(2, 10)
    data = parallel_coordinate_data(study)
    assert [a.label for a in data.axes] == ["Objective 0", "Objective 1", "x"]
    assert data.is_rank_color and data.colorbar_title == "Pareto Rank" and data.reverse_scale
    values = np.array([t.values for t in study.trials])
    np.testing.assert_array_equal(data.color_values, pareto_ranks(values * [1, -1]))
    # worse ranks drawn first, so the front ends on top
    assert data.color_values[data.draw_order].tolist() == sorted(data.color_values, reverse=True)


def test_multi_objective_with_target_warns_for_default_name() -> None:
    study = multi_objective(3, 6)
    with pytest.warns(UserWarning, match="target_name"):
        data = parallel_coordinate_data(study, target=lambda t: t.values[1])
    assert data.n_objective_axes == 1 and data.reverse_scale
    np.testing.assert_allclose(data.axes[0].values, [t.values[1] for t in study.trials])


def test_pareto_ranks() -> None:
    losses = np.array([[1.0, 4.0], [2.0, 2.0], [4.0, 1.0], [3.0, 3.0], [4.0, 4.0], [2.0, 2.0]])
    assert pareto_ranks(losses).tolist() == [0, 0, 0, 1, 2, 0]


def test_constraints_mark_infeasible_trials() -> None:
    study = podbor.create_study()
    dist = {"p": FloatDistribution(0, 10)}
    study.add_trial(
        create_trial(
            value=0.0, params={"p": 1.0}, distributions=dist, system_attrs={"constraints": [-1.0]}
        )
    )
    study.add_trial(
        create_trial(
            value=1.0, params={"p": 2.0}, distributions=dist, system_attrs={"constraints": [0.5]}
        )
    )
    study.add_trial(create_trial(value=2.0, params={"p": 3.0}, distributions=dist))
    data = parallel_coordinate_data(study)
    assert data.feasible is not None and data.feasible.tolist() == [True, False, False]
    assert parallel_coordinate_data(single_objective()).feasible is None


def test_empty_study() -> None:
    data = parallel_coordinate_data(empty_study())
    assert data.trial_numbers.size == 0 and data.message is not None
    data = parallel_coordinate_data(empty_study(["minimize", "maximize"]))
    assert data.is_rank_color and data.colorbar_title == "Pareto Rank"


def test_line_groups_cover_every_trial_once() -> None:
    data = parallel_coordinate_data(single_objective(n=40))
    groups = line_groups(data, 8)
    assert sorted(np.concatenate(groups).tolist()) == list(range(40))
    assert len(groups) <= 8


# ---- plotly ----------------------------------------------------------------------------------


@pytest.mark.parametrize("direction, reverse", [("minimize", True), ("maximize", False)])
def test_plotly_figure_matches_the_data(direction: str, reverse: bool) -> None:
    study = single_objective(direction, n=12)
    data = parallel_coordinate_data(study)
    figure = plot_parallel_coordinate(study)
    assert figure.layout.xaxis.ticktext == tuple(a.label for a in data.axes)
    assert figure.layout.yaxis.visible is False
    scaled = np.column_stack([a.scaled for a in data.axes])
    assert sorted(map(tuple, _plotly_lines(figure))) == sorted(map(tuple, scaled.tolist()))
    marker = figure.data[-1].marker
    assert [c for _, c in marker.colorscale] == [c for _, c in COLOR_SCALE]
    assert marker.reversescale is reverse
    assert (marker.cmin, marker.cmax) == data.color_range
    assert marker.colorbar.title.text == "Objective Value"
    lr_ticks = [a.text for a in figure.layout.annotations if a.x == 2]
    assert lr_ticks == ["1e-05", "0.0001", "0.001", "0.01", "0.1"]
    assert figure.to_json()


def test_plotly_conditional_and_hover() -> None:
    figure = plot_parallel_coordinate(conditional(), target_name="Loss")
    assert figure.layout.xaxis.ticktext == ("Loss", "C", "depth", "kind")
    none_ticks = [a.x for a in figure.layout.annotations if a.text == "None"]
    assert none_ticks == [1, 2]
    hover = {(c[0], c[1]) for trace in figure.data[:-1] for c in trace.customdata if c[0]}
    assert ("depth", "None") in hover and ("kind", "svm") in hover


def test_plotly_constraints_and_rank_colours() -> None:
    study = podbor.create_study(directions=["minimize", "minimize"])
    dist = {"p": FloatDistribution(0, 10)}
    for i, c in enumerate([-1.0, 1.0, None]):
        attrs = {} if c is None else {"constraints": [c]}
        study.add_trial(
            create_trial(
                values=[float(i), float(2 - i)],
                params={"p": float(i)},
                distributions=dist,
                system_attrs=attrs,
            )
        )
    figure = plot_parallel_coordinate(study)
    lines = [t for t in figure.data if t.mode == "lines" and not t.showlegend]
    n_lines = {t.line.dash: int(np.isnan(np.asarray(t.y, dtype=float)).sum()) for t in lines}
    assert n_lines == {"solid": 1, "dot": 2}  # one rank, so one colour: a trace per style
    assert [t.name for t in figure.data if t.showlegend] == ["Feasible", "Infeasible"]
    assert figure.data[-1].marker.colorbar.title.text == "Pareto Rank"
    assert figure.data[-1].marker.colorbar.tickvals == (0,)


def test_plotly_many_trials_share_traces() -> None:
    study = podbor.create_study()
    rng = np.random.default_rng(0)
    dist = {"a": FloatDistribution(0, 1), "b": FloatDistribution(0, 1)}
    study.add_trials(
        [
            create_trial(value=float(v), params={"a": float(a), "b": float(b)}, distributions=dist)
            for v, a, b in rng.random((2000, 3))
        ]
    )
    figure = plot_parallel_coordinate(study)
    assert len(figure.data) <= 257
    assert len(_plotly_lines(figure)) == 2000


def test_plotly_empty_and_errors() -> None:
    figure = plot_parallel_coordinate(empty_study())
    assert len(figure.data) == 0 and figure.layout.title.text == "Parallel Coordinate Plot"
    with pytest.raises(ValueError, match="'nope'"):
        plot_parallel_coordinate(single_objective(), params=["nope"])


# ---- matplotlib ------------------------------------------------------------------------------


def test_matplotlib_matches_the_data() -> None:
    study = single_objective("maximize", n=12)
    data = parallel_coordinate_data(study)
    ax = mpl_vis.plot_parallel_coordinate(study)
    assert [t.get_text() for t in ax.get_xticklabels()] == [a.label for a in data.axes]
    segments = ax.collections[0].get_segments()
    scaled = np.column_stack([a.scaled for a in data.axes])
    np.testing.assert_allclose([s[:, 1] for s in segments], scaled[data.draw_order])
    np.testing.assert_allclose(ax.collections[0].get_array(), data.color_values[data.draw_order])
    assert ax.collections[0].get_cmap().name == "Blues"  # maximize: not reversed
    figure = ax.get_figure()
    assert figure.axes[1].get_ylabel() == "Objective Value"
    _png(ax)


def test_matplotlib_conditional_constraints_multi_objective() -> None:
    ax = mpl_vis.plot_parallel_coordinate(conditional())
    assert {t.get_text() for t in ax.texts} >= {"None", "svm", "tree"}
    _png(ax)

    study = multi_objective(2, 6)
    study.add_trial(
        create_trial(
            values=[0.0, 9.0],
            params={"x": 0.0},
            distributions={"x": FloatDistribution(0, 6)},
            system_attrs={"constraints": [1.0]},
        )
    )
    ax = mpl_vis.plot_parallel_coordinate(study)
    assert ax.get_figure().axes[1].get_ylabel() == "Pareto Rank"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Feasible", "Infeasible"]
    _png(ax)


def test_matplotlib_many_trials_grouped() -> None:
    study = podbor.create_study()
    rng = np.random.default_rng(1)
    dist = {"a": FloatDistribution(0, 1)}
    study.add_trials(
        [
            create_trial(value=float(v), params={"a": float(a)}, distributions=dist)
            for v, a in rng.random((1500, 2))
        ]
    )
    ax = mpl_vis.plot_parallel_coordinate(study)
    segments = ax.collections[0].get_segments()
    assert len(segments) <= 256
    assert sum(len(s) for s in segments) == 1500 * 2  # two axes; the lines' NaN breaks are dropped
    _png(ax)


def test_matplotlib_empty_and_errors() -> None:
    ax = mpl_vis.plot_parallel_coordinate(empty_study())
    assert ax.get_title() == "Parallel Coordinate Plot" and not ax.collections
    _png(ax)
    with pytest.raises(ValueError, match="'nope'"):
        mpl_vis.plot_parallel_coordinate(single_objective(), params=["nope"])


def test_pareto_ranks_without_the_matrix_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    from podbor import _hypervolume

    losses = np.random.default_rng(3).random((300, 3))
    expected = pareto_ranks(losses)
    monkeypatch.setattr(_hypervolume, "_DENSE_RANKS_MAX", 10)
    np.testing.assert_array_equal(pareto_ranks(losses), expected)
    assert expected.max() > 3

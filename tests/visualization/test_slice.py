"""plot_slice: the plot data against the study, and both backends' figures against the data."""

from __future__ import annotations

import io

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
from podbor.distributions import CategoricalDistribution, FloatDistribution
from podbor.trial import create_trial
from podbor.visualization import matplotlib as mpl_vis
from podbor.visualization import plot_slice
from podbor.visualization._data._common import COLOR_SCALE
from podbor.visualization._data._slice import slice_data

KINDS = ["'svm'", "'tree'", "'knn'"]


def _png(figure: object) -> None:
    figure.savefig(io.BytesIO(), format="png")  # type: ignore[attr-defined]
    plt.close(figure)  # type: ignore[arg-type]


# ---- plot data -------------------------------------------------------------------------------


def test_panels_follow_the_study() -> None:
    study = single_objective(n=12)
    trials = study.trials
    data = slice_data(study)
    assert [p.param for p in data.panels] == ["kind", "lr", "n", "x"]
    assert data.color_range == (0, 11)
    panels = {p.param: p for p in data.panels}
    for name in ["lr", "n", "x"]:
        panel = panels[name]
        np.testing.assert_allclose(panel.x, [t.params[name] for t in trials])
        np.testing.assert_allclose(panel.y, [t.value for t in trials])
        assert panel.trial_numbers.tolist() == list(range(12)) and not panel.is_categorical
    assert panels["lr"].is_log and not panels["x"].is_log and not panels["n"].is_log
    kind = panels["kind"]
    assert kind.is_categorical and kind.categories == KINDS
    assert kind.x_labels() == [repr(t.params["kind"]) for t in trials]
    assert panels["x"].feasible.all()


def test_conditional_params_only_where_present() -> None:
    study = conditional()
    panels = {p.param: p for p in slice_data(study).panels}
    assert panels["C"].trial_numbers.tolist() == [0, 2, 4, 6, 8]
    assert panels["depth"].trial_numbers.tolist() == [1, 3, 5, 7, 9]
    assert panels["kind"].trial_numbers.tolist() == list(range(10))
    np.testing.assert_allclose(panels["C"].y, [study.trials[i].value for i in [0, 2, 4, 6, 8]])
    assert panels["C"].is_log


def test_only_complete_finite_trials_and_params_order() -> None:
    study = with_pruned_and_failed()
    study.add_trial(
        create_trial(
            value=float("-inf"), params={"x": 0.0}, distributions={"x": FloatDistribution(-5, 5)}
        )
    )
    data = slice_data(study, ["x", "kind"])
    assert [p.param for p in data.panels] == ["kind", "x"]  # sorted, as Optuna does
    assert data.panels[0].trial_numbers.tolist() == list(range(6))


def test_target_and_multi_objective() -> None:
    study = multi_objective(2, 5)
    with pytest.raises(ValueError, match="target"):
        slice_data(study)
    data = slice_data(study, target=lambda t: t.values[1], target_name="score")
    np.testing.assert_allclose(data.panels[0].y, [t.values[1] for t in study.trials])
    assert data.target_name == "score"


def test_errors_and_empty() -> None:
    with pytest.raises(ValueError, match="'nope'"):
        slice_data(single_objective(), ["nope"])
    data = slice_data(empty_study(), ["anything"])
    assert data.panels == [] and data.message is not None


def _constrained_study() -> podbor.Study:
    study = podbor.create_study()
    dists = {
        "a": FloatDistribution(1e-3, 1.0, log=True),
        "b": CategoricalDistribution([None, "None", 3]),
    }
    for i, (a, b, c) in enumerate([(0.01, None, -1.0), (0.1, "None", 2.0), (0.5, 3, -0.5)]):
        study.add_trial(
            create_trial(
                value=float(i),
                params={"a": a, "b": b},
                distributions=dists,
                system_attrs={"constraints": [c]},
            )
        )
    return study


def test_categories_keep_none_and_string_none_apart_and_constraints() -> None:
    panels = slice_data(_constrained_study()).panels
    assert panels[1].categories == ["None", "'None'", "3"]
    assert panels[1].x.tolist() == [0, 1, 2]
    assert panels[0].feasible.tolist() == [True, False, True]


# ---- plotly ----------------------------------------------------------------------------------


def test_plotly_figure_matches_the_data() -> None:
    study = single_objective(n=12)
    data = slice_data(study)
    figure = plot_slice(study, target_name="Loss")
    assert len(figure.data) == 4
    for i, (trace, panel) in enumerate(zip(figure.data, data.panels)):
        suffix = "" if i == 0 else str(i + 1)
        assert trace.xaxis == f"x{suffix}"
        axis = figure.layout[f"xaxis{suffix}"]
        assert axis.title.text == panel.param
        np.testing.assert_allclose(trace.y, panel.y)
        assert list(trace.marker.color) == panel.trial_numbers.tolist()
        assert trace.marker.showscale is (i == 0)
        assert (trace.marker.cmin, trace.marker.cmax) == (0, 11)
        assert [c for _, c in trace.marker.colorscale] == [c for _, c in COLOR_SCALE]
        assert "reversescale" not in trace.marker.to_plotly_json()
    assert (
        figure.layout.xaxis.type == "category" and list(figure.layout.xaxis.categoryarray) == KINDS
    )
    assert list(figure.data[0].x) == data.panels[0].x_labels()
    assert figure.layout.xaxis2.type == "log"
    assert figure.layout.yaxis.title.text == "Loss"
    assert figure.layout.yaxis2.matches == "y"
    assert figure.layout.width == 1200
    assert figure.to_json()


def test_plotly_single_param_conditional_and_infeasible() -> None:
    figure = plot_slice(conditional(), params=["C"])
    assert len(figure.data) == 1 and figure.layout.xaxis.type == "log"
    assert list(figure.data[0].marker.color) == [0, 2, 4, 6, 8]

    figure = plot_slice(_constrained_study())
    names = [(t.name, t.xaxis) for t in figure.data]
    assert names == [
        ("Feasible Trial", "x"),
        ("Infeasible Trial", "x"),
        ("Feasible Trial", "x2"),
        ("Infeasible Trial", "x2"),
    ]
    assert figure.data[1].marker.color == "#cccccc" and list(figure.data[1].y) == [1.0]


def test_plotly_empty_and_errors() -> None:
    figure = plot_slice(empty_study())
    assert len(figure.data) == 0 and figure.layout.title.text == "Slice Plot"
    with pytest.raises(ValueError, match="target"):
        plot_slice(multi_objective())
    with pytest.raises(ValueError, match="'nope'"):
        plot_slice(single_objective(), params=["nope"])


# ---- matplotlib ------------------------------------------------------------------------------


def test_matplotlib_matches_the_data() -> None:
    study = single_objective(n=12)
    data = slice_data(study)
    axes = mpl_vis.plot_slice(study)
    assert axes.shape == (4,)
    assert axes[0].get_ylabel() == "Objective Value"
    for ax, panel in zip(axes, data.panels):
        assert ax.get_xlabel() == panel.param
        points = ax.collections[0]
        np.testing.assert_allclose(points.get_offsets(), np.column_stack([panel.x, panel.y]))
        np.testing.assert_allclose(points.get_array(), panel.trial_numbers)
        assert points.norm.vmin == 0 and points.norm.vmax == 11
    assert axes[1].get_xscale() == "log" and axes[3].get_xscale() == "linear"
    assert [t.get_text() for t in axes[0].get_xticklabels()] == KINDS
    figure = axes[0].get_figure()
    assert figure.axes[-1].get_ylabel() == "Trial"
    _png(figure)


def test_matplotlib_single_target_infeasible_empty() -> None:
    ax = mpl_vis.plot_slice(multi_objective(), target=lambda t: t.values[0], target_name="first")
    assert ax.get_ylabel() == "first" and ax.get_title() == "Slice Plot"
    _png(ax.get_figure())

    axes = mpl_vis.plot_slice(_constrained_study())
    grey = axes[0].collections[1]
    np.testing.assert_allclose(grey.get_offsets(), [[0.1, 1.0]])
    _png(axes[0].get_figure())

    ax = mpl_vis.plot_slice(empty_study())
    assert not ax.collections
    _png(ax.get_figure())
    with pytest.raises(ValueError, match="'nope'"):
        mpl_vis.plot_slice(single_objective(), params=["nope"])

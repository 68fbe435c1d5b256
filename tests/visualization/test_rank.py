"""plot_rank: the plot data against the study, then both renderers against the plot data."""

from __future__ import annotations

import io
import math

import matplotlib
import numpy as np
import pytest
from scipy.stats import rankdata
from tests.visualization.studies import (
    conditional,
    empty_study,
    multi_objective,
    single_objective,
    with_pruned_and_failed,
)

import podbor
from podbor.distributions import FloatDistribution
from podbor.trial import TrialState, create_trial
from podbor.visualization import plot_rank
from podbor.visualization._data._rank import (
    INFEASIBLE_RGB,
    NO_PARAMS_MESSAGE,
    NO_TRIALS_MESSAGE,
    RANK_COLOR_SCALE,
    average_ranks,
    rank_colors,
    rank_data,
)
from podbor.visualization.matplotlib import plot_rank as mpl_plot_rank

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture(autouse=True)
def _close_figures() -> None:
    yield
    plt.close("all")


def _png(figure: object) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")  # type: ignore[attr-defined]
    return buffer.getvalue()


def _constrained_study() -> podbor.Study:
    study = podbor.create_study()
    dists = {"a": FloatDistribution(0, 1), "b": FloatDistribution(0, 1)}
    for i, c in enumerate([-1.0, 0.5, 0.0]):
        study.add_trial(
            create_trial(
                value=float(i),
                params={"a": i / 4, "b": 1 - i / 4},
                distributions=dists,
                system_attrs={"constraints": [c]},
            )
        )
    return study


# -- plot data ----------------------------------------------------------------------------


def test_ranks_average_ties_like_scipy() -> None:
    values = np.array([6.0, 2.0, 3.0, 1.0, 4.5, 4.5, 8.0, 8.0, 0.0, 8.0])
    np.testing.assert_array_equal(average_ranks(values), rankdata(values) - 1)
    assert average_ranks(np.array([math.inf, 2.0, -math.inf])).tolist() == [2.0, 1.0, 0.0]


def test_rank_colors_follow_the_scale() -> None:
    assert rank_colors(np.array([0.0, 0.1, 0.2, 1.0])).tolist() == [
        [49, 54, 149],
        [69, 117, 180],
        [116, 173, 209],
        [165, 0, 38],
    ]
    assert rank_colors(np.array([])).shape == (0, 3)
    assert RANK_COLOR_SCALE[0] == (0.0, "rgb(49,54,149)")


def test_points_and_colors_against_the_study() -> None:
    study = single_objective(n=12)
    data = rank_data(study, ["x", "lr"])
    assert data.params == ["x", "lr"]  # the given order, not sorted
    panel = data.panels[0][0]
    assert (panel.x, panel.y) == ("x", "lr")
    trials = study.trials
    np.testing.assert_allclose(panel.xs, [t.params["x"] for t in trials])
    np.testing.assert_allclose(panel.ys, [t.params["lr"] for t in trials])
    values = np.array([t.value for t in trials])
    np.testing.assert_allclose(data.values[panel.rows], values)
    expected = (rankdata(values) - 1) / (len(values) - 1)
    np.testing.assert_allclose(data.color_positions, expected)
    assert data.color_positions[np.argmin(values)] == 0.0
    assert data.axes["lr"].kind == "log" and data.axes["x"].kind == "linear"
    assert not data.has_custom_target and data.hovertexts is None


def test_grid_includes_the_diagonal_and_one_param_is_one_panel() -> None:
    data = rank_data(single_objective(n=12))
    assert data.params == ["kind", "lr", "n", "x"]
    assert [[(p.x, p.y) for p in row] for row in data.panels][1] == [
        ("kind", "lr"),
        ("lr", "lr"),
        ("n", "lr"),
        ("x", "lr"),
    ]
    single = rank_data(single_objective(n=12), ["n"])
    assert [[(p.x, p.y) for p in row] for row in single.panels] == [[("n", "n")]]


def test_categorical_positions_and_ranges() -> None:
    study = single_objective(n=12)
    data = rank_data(study, ["kind", "x"])
    axis = data.axes["kind"]
    assert axis.categories == ("svm", "tree", "knn")
    assert (axis.low, axis.high) == pytest.approx((-0.1, 2.1))
    labels = axis.labels(data.panels[0][0].xs)
    assert labels == [t.params["kind"] for t in study.trials]


def test_infinite_values_rank_at_the_ends_and_nan_is_dropped() -> None:
    study = single_objective(n=4)
    base = study.trials[0]
    for value in (math.inf, -math.inf):
        study.add_trial(
            create_trial(value=value, params=base.params, distributions=base.distributions)
        )
    data = rank_data(study, ["x", "n"])
    assert data.numbers.tolist() == [0, 1, 2, 3, 4, 5]
    assert data.color_positions[4] == 1.0 and data.color_positions[5] == 0.0
    assert data.tick_labels[0] == "-inf" and data.tick_labels[-1] == "inf"
    nan_for_first = rank_data(
        study, ["x", "n"], target=lambda t: math.nan if t.number == 0 else t.number, target_name="t"
    )
    assert nan_for_first.numbers.tolist() == [1, 2, 3, 4, 5]


def test_constraints_grey_out_infeasible_trials() -> None:
    data = rank_data(_constrained_study())
    assert data.feasible.tolist() == [True, False, True]
    colors = data.rgb()
    assert tuple(colors[1]) == INFEASIBLE_RGB
    assert colors[0].tolist() == [49, 54, 149] and colors[2].tolist() == [165, 0, 38]


def test_pruned_failed_and_conditional() -> None:
    study = with_pruned_and_failed()
    data = rank_data(study, ["x", "n"])
    complete = [t.number for t in study.trials if t.state == TrialState.COMPLETE]
    assert data.numbers.tolist() == complete
    cond = conditional()
    data = rank_data(cond, ["C", "kind"])
    with_c = [t.number for t in cond.trials if "C" in t.params]
    assert data.numbers[data.panels[0][0].rows].tolist() == with_c
    assert data.numbers.size == 10  # colours rank every trial, drawn or not
    both = rank_data(cond, ["C", "depth"]).panels[0][0]
    assert both.rows.size == 0


def test_multi_objective_needs_a_target() -> None:
    study = multi_objective(2, 6)
    with pytest.raises(ValueError, match="target"):
        rank_data(study)
    data = rank_data(study, target=lambda t: t.values[1], target_name="second")
    np.testing.assert_allclose(data.values, [t.values[1] for t in study.trials])
    assert data.has_custom_target and data.target_name == "second"


def test_unknown_param_is_named() -> None:
    with pytest.raises(ValueError, match="'nope'"):
        rank_data(single_objective(n=4), ["x", "nope"])
    with pytest.raises(ValueError, match="'nope'"):
        mpl_plot_rank(single_objective(n=4), ["nope"])


def test_ticks_name_values_at_ranks() -> None:
    study = podbor.create_study()
    dists = {"a": FloatDistribution(0, 10)}
    for v in [3.0, 1.0, 2.0, 5.0, 4.0]:
        study.add_trial(create_trial(value=v, params={"a": v}, distributions=dists))
    data = rank_data(study)
    assert data.tick_positions.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert data.tick_labels == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize(
    "study, params, message",
    [
        (empty_study(), None, NO_TRIALS_MESSAGE),
        (empty_study(), ["x", "y"], NO_TRIALS_MESSAGE),
        (single_objective(n=4), [], NO_PARAMS_MESSAGE),
    ],
    ids=["empty", "empty-with-params", "no-params"],
)
def test_empty_plots_say_why(study: podbor.Study, params: list[str] | None, message: str) -> None:
    data = rank_data(study, params)
    assert data.panels == [] and data.message == message
    figure = plot_rank(study, params)
    assert len(figure.data) == 0 and figure.layout.annotations[0].text == message
    ax = mpl_plot_rank(study, params)
    assert ax.get_title() == "Rank (Objective Value)"
    assert _png(ax.figure)


# -- plotly -------------------------------------------------------------------------------


def test_plotly_two_params() -> None:
    study = _constrained_study()
    figure = plot_rank(study, target=lambda t: -t.value, target_name="Score")
    assert figure.layout.title.text == "Rank (Score)"
    feasible, infeasible, colorbar = figure.data
    assert list(feasible.x) == [0.0, 0.5] and list(infeasible.x) == [0.25]
    assert list(feasible.marker.color) == [1.0, 0.0]  # -value: trial 0 ranks highest
    assert infeasible.marker.color == "rgb(204,204,204)"
    assert colorbar.marker.showscale and colorbar.marker.colorbar.ticktext[0] == "-2"
    assert [c for _, c in colorbar.marker.colorscale] == [c for _, c in RANK_COLOR_SCALE]
    assert '"number": 0' in feasible.hovertext[0]
    figure.to_json(validate=True)


def test_plotly_axes_and_grid() -> None:
    figure = plot_rank(single_objective(n=12))
    n = 4
    assert len(figure.data) == 2 * n * n + 1
    assert sum(bool(t.marker.showscale) for t in figure.data) == 1
    first = figure.data[0]  # row 0 (y = kind), column 0 (x = kind)
    assert figure.layout[first.xaxis.replace("x", "xaxis")].type == "category"
    assert set(first.x) == {"svm", "tree", "knn"}
    lr_row = figure.data[2 * n]  # row 1 (y = lr)
    layout_y = figure.layout[lr_row.yaxis.replace("y", "yaxis")]
    assert layout_y.type == "log" and list(layout_y.range) == pytest.approx([-5.2, -0.8])
    figure.to_json(validate=True)


def test_plotly_conditional_and_multi_objective() -> None:
    figure = plot_rank(conditional(), ["C", "depth"])
    assert len(figure.data[0].x) == 0
    figure = plot_rank(multi_objective(2, 6), target=lambda t: t.values[0], target_name="v0")
    assert figure.layout.title.text == "Rank (v0)" and len(figure.data[0].x) == 6


# -- matplotlib ---------------------------------------------------------------------------


def test_matplotlib_two_params() -> None:
    study = _constrained_study()
    ax = mpl_plot_rank(study, target_name="Loss")
    assert ax.get_title() == "Rank (Loss)"
    assert ax.get_xlabel() == "a" and ax.get_ylabel() == "b"
    colorbar = ax.figure.axes[-1]
    assert colorbar.get_ylabel() == "Loss"
    assert colorbar.get_yticklabels()[0].get_text() == "0"
    points = ax.collections[0]
    np.testing.assert_allclose(points.get_offsets()[:, 0], [0.0, 0.25, 0.5])
    rgb = np.round(points.get_facecolors()[:, :3] * 255).astype(int)
    assert rgb.tolist() == [[49, 54, 149], list(INFEASIBLE_RGB), [165, 0, 38]]
    assert _png(ax.figure)


def test_matplotlib_grid_log_and_categories() -> None:
    axes = mpl_plot_rank(single_objective(n=12))
    assert isinstance(axes, np.ndarray) and axes.shape == (4, 4)
    assert axes[1, 0].get_yscale() == "log"
    assert [t.get_text() for t in axes[0, 1].get_yticklabels()] == ["svm", "tree", "knn"]
    assert axes[3, 2].get_xlabel() == "n" and axes[2, 0].get_ylabel() == "n"
    assert _png(axes[0, 0].figure)
    one = mpl_plot_rank(single_objective(n=12), ["x"])
    assert one.get_xlabel() == "x" and one.get_ylabel() == "x"


def test_matplotlib_multi_objective_and_conditional() -> None:
    ax = mpl_plot_rank(multi_objective(2, 6), target=lambda t: t.values[1], target_name="v1")
    assert len(ax.collections[0].get_offsets()) == 6
    axes = mpl_plot_rank(conditional())
    assert axes.shape == (3, 3)
    assert _png(axes[0, 0].figure)

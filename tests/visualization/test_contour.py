"""plot_contour: the plot data against the study, then both renderers against the plot data."""

from __future__ import annotations

import io
import math

import matplotlib
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spl
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
from podbor.visualization import plot_contour
from podbor.visualization._data._common import COLOR_SCALE
from podbor.visualization._data._contour import (
    FEW_PARAMS_MESSAGE,
    GRID_POINTS,
    NO_TRIALS_MESSAGE,
    contour_data,
    fill_grid,
)
from podbor.visualization.matplotlib import plot_contour as mpl_plot_contour

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


def _two_objective_study() -> podbor.Study:
    study = podbor.create_study(directions=["minimize", "maximize"])
    dists = {"a": FloatDistribution(0, 1), "b": FloatDistribution(0, 1)}
    for i in range(6):
        params = {"a": i / 5, "b": (i * 3 % 6) / 5}
        study.add_trial(
            create_trial(values=[params["a"], params["b"]], params=params, distributions=dists)
        )
    return study


def _constrained_study() -> podbor.Study:
    study = podbor.create_study()
    dists = {"a": FloatDistribution(0, 1), "b": FloatDistribution(0, 1)}
    for i, c in enumerate([-1.0, 0.5, 0.0, 2.0]):
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


def test_points_are_the_complete_trials_with_both_params() -> None:
    study = single_objective(n=12)
    data = contour_data(study, ["x", "lr"])
    assert data.params == ["lr", "x"]
    panel = data.panels[0][0]
    assert (panel.x, panel.y) == ("lr", "x")
    trials = study.trials
    np.testing.assert_allclose(panel.xs, [t.params["lr"] for t in trials])
    np.testing.assert_allclose(panel.ys, [t.params["x"] for t in trials])
    np.testing.assert_allclose(panel.zs, [t.value for t in trials])
    assert panel.numbers.tolist() == [t.number for t in trials]
    assert panel.feasible.all()


def test_axes_kinds_and_padded_ranges() -> None:
    study = single_objective(n=12)
    data = contour_data(study)
    assert data.params == ["kind", "lr", "n", "x"]
    x, lr, kind = data.axes["x"], data.axes["lr"], data.axes["kind"]
    assert x.kind == "linear" and (x.low, x.high) == pytest.approx((-5.5, 5.5))
    assert lr.kind == "log"
    assert (math.log10(lr.low), math.log10(lr.high)) == pytest.approx((-5.2, -0.8))
    assert kind.kind == "categorical" and kind.categories == ("svm", "tree", "knn")
    assert (kind.low, kind.high) == pytest.approx((-0.1, 2.1))
    # Log grid evenly spaced in log10 units over the padded range; one cell per category.
    panel = data.panels[1][0]
    assert (panel.x, panel.y) == ("kind", "lr")
    assert panel.x_grid.tolist() == [0.0, 1.0, 2.0]
    np.testing.assert_allclose(np.diff(np.log10(panel.y_grid)), 4.4 / (GRID_POINTS - 1))
    assert panel.z_grid.shape == (GRID_POINTS, 3)
    # Category positions are indices into the axis's categories.
    labels = [kind.categories[int(i)] for i in panel.xs]
    assert labels == [t.params["kind"] for t in study.trials]


def test_grid_of_pairs_with_empty_diagonal_and_mirrored_panels() -> None:
    data = contour_data(single_objective(n=12))
    assert len(data.panels) == 4 and all(len(row) == 4 for row in data.panels)
    for i, row in enumerate(data.panels):
        for j, panel in enumerate(row):
            if i == j:
                assert panel is None
                continue
            assert panel is not None
            assert (panel.x, panel.y) == (data.params[j], data.params[i])
            mirror = data.panels[j][i]
            assert mirror is not None
            np.testing.assert_array_equal(panel.z_grid, mirror.z_grid.T)
            np.testing.assert_array_equal(panel.xs, mirror.ys)


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_surface_passes_through_the_best_trial_of_each_cell(direction: str) -> None:
    study = podbor.create_study(direction=direction)
    dists = {"a": FloatDistribution(0, 1), "b": CategoricalDistribution(["p", "q"])}
    for value, a, b in [(0.0, 0.0, "p"), (1.0, 0.0, "p"), (5.0, 1.0, "q"), (3.0, 0.5, "q")]:
        study.add_trial(create_trial(value=value, params={"a": a, "b": b}, distributions=dists))
    data = contour_data(study)
    assert data.reverse_scale is (direction == "minimize")
    panel = data.panels[0][0]
    # a = 0 is the first grid column, b = "p" the first row: two trials share it.
    shared = panel.z_grid[0, np.argmin(np.abs(panel.x_grid - 0.0))]
    assert shared == (0.0 if direction == "minimize" else 1.0)
    column = np.argmin(np.abs(panel.x_grid - 1.0))
    assert panel.z_grid[1, column] == 5.0
    assert panel.z_grid.min() >= 0.0 and panel.z_grid.max() <= 5.0
    assert data.z_range == (0.0, 5.0)


def test_fill_grid_is_close_to_the_harmonic_fill() -> None:
    rng = np.random.default_rng(0)
    shape = (40, 50)
    known = np.zeros(shape, dtype=bool)
    known.flat[rng.choice(known.size, 300, replace=False)] = True
    cols = np.arange(shape[1])
    values = np.sin(cols / 8.0)[None, :] + np.arange(shape[0])[:, None] / 20.0
    filled = fill_grid(np.where(known, values, 0.0), known)
    np.testing.assert_array_equal(filled[known], values[known])
    exact = _harmonic(np.where(known, values, 0.0), known)
    assert np.abs(filled - exact).max() < 0.02 * np.ptp(values[known])
    assert filled.min() >= values[known].min() and filled.max() <= values[known].max()


def _harmonic(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Laplace's equation solved exactly (sparse), free border: the reference fill."""
    gy, gx = values.shape
    index = np.arange(values.size).reshape(gy, gx)
    pairs = [
        (index[:, 1:], index[:, :-1]),
        (index[:, :-1], index[:, 1:]),
        (index[1:, :], index[:-1, :]),
        (index[:-1, :], index[1:, :]),
    ]
    a = np.concatenate([p.ravel() for p, _ in pairs])
    b = np.concatenate([q.ravel() for _, q in pairs])
    adjacency = sp.csr_matrix((np.ones(a.size), (a, b)), shape=(values.size, values.size))
    laplacian = (sp.diags(np.bincount(a, minlength=values.size) * 1.0) - adjacency).tocsr()
    free, fixed = np.flatnonzero(~known.ravel()), np.flatnonzero(known.ravel())
    rhs = -laplacian[free][:, fixed] @ values.ravel()[fixed]
    out = values.ravel().copy()
    out[free] = spl.spsolve(laplacian[free][:, free].tocsc(), rhs)
    return out.reshape(gy, gx)


def test_pruned_failed_and_running_trials_are_left_out() -> None:
    study = with_pruned_and_failed()
    panel = contour_data(study, ["x", "n"]).panels[0][0]
    complete = [t.number for t in study.trials if t.state == podbor.trial.TrialState.COMPLETE]
    assert panel.numbers.tolist() == complete


def test_conditional_params_only_trials_with_both() -> None:
    study = conditional()
    data = contour_data(study)
    assert data.params == ["C", "depth", "kind"]
    c_kind = data.panels[2][0]  # x = C, y = kind
    assert c_kind is not None and (c_kind.x, c_kind.y) == ("C", "kind")
    with_c = [t for t in study.trials if "C" in t.params]
    assert c_kind.numbers.tolist() == [t.number for t in with_c]
    assert data.axes["C"].kind == "log"
    # No trial has both C and depth: nothing to draw.
    c_depth = data.panels[1][0]
    assert c_depth is not None and not c_depth.drawn and c_depth.xs.size == 0


def test_nonfinite_values_are_dropped() -> None:
    study = single_objective(n=6)
    trial = study.trials[0]
    study.add_trial(
        create_trial(value=math.inf, params=trial.params, distributions=trial.distributions)
    )
    panel = contour_data(study, ["x", "n"]).panels[0][0]
    assert 6 not in panel.numbers.tolist()
    assert np.isfinite(panel.z_grid).all()


def test_axis_with_one_value_draws_nothing() -> None:
    study = podbor.create_study()
    dists = {"a": FloatDistribution(0, 3), "b": FloatDistribution(0, 3)}
    study.add_trial(create_trial(value=0.0, params={"a": 1.0, "b": 2.0}, distributions=dists))
    study.add_trial(create_trial(value=2.0, params={"b": 0.0}, distributions={"b": dists["b"]}))
    data = contour_data(study)
    assert (data.axes["a"].low, data.axes["a"].high) == (1.0, 1.0)
    assert (data.axes["b"].low, data.axes["b"].high) == pytest.approx((-0.1, 2.1))
    assert not data.panels[0][0].drawn  # type: ignore[union-attr]


def test_multi_objective_needs_a_target() -> None:
    study = _two_objective_study()
    with pytest.raises(ValueError, match="target"):
        contour_data(study)
    data = contour_data(study, target=lambda t: t.values[1], target_name="b value")
    panel = data.panels[0][0]
    np.testing.assert_allclose(panel.zs, [t.values[1] for t in study.trials])
    assert data.reverse_scale and data.target_name == "b value"


def test_target_with_default_name_warns() -> None:
    with pytest.warns(UserWarning, match="target_name"):
        contour_data(single_objective(n=4), ["x", "n"], target=lambda t: t.number)


def test_unknown_param_is_named() -> None:
    with pytest.raises(ValueError, match="'nope'"):
        contour_data(single_objective(n=4), ["x", "nope"])


@pytest.mark.parametrize(
    "study, params, message",
    [
        (empty_study(), None, NO_TRIALS_MESSAGE),
        (empty_study(), ["x", "y"], NO_TRIALS_MESSAGE),
        (single_objective(n=4), [], FEW_PARAMS_MESSAGE),
        (single_objective(n=4), ["x"], FEW_PARAMS_MESSAGE),
        (multi_objective(2, 4), None, None),  # one parameter only (x): checked below
    ],
    ids=["empty", "empty-with-params", "no-params", "one-param", "one-param-study"],
)
def test_empty_plots_say_why(
    study: podbor.Study, params: list[str] | None, message: str | None
) -> None:
    target = (lambda t: t.values[0]) if len(study.directions) > 1 else None
    data = contour_data(study, params, target=target, target_name="first")
    assert data.panels == []
    assert data.message == (message or FEW_PARAMS_MESSAGE)
    figure = plot_contour(study, params, target=target, target_name="first")
    assert len(figure.data) == 0 and figure.layout.annotations[0].text == data.message
    ax = mpl_plot_contour(study, params, target=target, target_name="first")
    assert ax.get_title() == "Contour Plot"
    assert _png(ax.figure)


def test_constraints_split_points() -> None:
    panel = contour_data(_constrained_study()).panels[0][0]
    assert panel.feasible.tolist() == [True, False, True, False]


# -- plotly -------------------------------------------------------------------------------


def test_plotly_two_params_one_contour_and_points() -> None:
    study = _constrained_study()
    figure = plot_contour(study, target_name="Loss")
    assert [t.type for t in figure.data] == ["contour", "scatter", "scatter"]
    contour, feasible, infeasible = figure.data
    assert contour.colorbar.title.text == "Loss"
    assert [c for _, c in contour.colorscale] == [c for _, c in COLOR_SCALE]
    assert contour.reversescale is True
    assert np.shape(contour.z) == (GRID_POINTS, GRID_POINTS)
    assert list(feasible.x) == [0.0, 0.5] and list(infeasible.x) == [0.25, 0.75]
    assert figure.layout.xaxis.title.text == "a" and figure.layout.yaxis.title.text == "b"
    assert list(figure.layout.xaxis.range) == pytest.approx([-0.0375, 0.7875])
    figure.to_json(validate=True)


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_plotly_color_scale_direction(direction: str) -> None:
    study = single_objective(direction, n=8)
    contour = plot_contour(study, ["x", "n"]).data[0]
    assert contour.reversescale is (direction == "minimize")
    contour = plot_contour(study, ["x", "n"], target=lambda t: t.number, target_name="#").data[0]
    assert contour.reversescale is True


def test_plotly_log_and_category_axes() -> None:
    figure = plot_contour(single_objective(n=12), ["lr", "kind"])
    assert figure.layout.xaxis.type == "category"
    assert list(figure.layout.xaxis.categoryarray) == ["svm", "tree", "knn"]
    assert figure.layout.yaxis.type == "log"
    assert list(figure.layout.yaxis.range) == pytest.approx([-5.2, -0.8])
    contour, points, _ = figure.data
    assert list(contour.x) == ["svm", "tree", "knn"]
    assert set(points.x) == {"svm", "tree", "knn"}


def test_plotly_grid_of_pairs() -> None:
    study = single_objective(n=12)
    figure = plot_contour(study)
    n = 4
    # Three traces per off-diagonal panel; the diagonal is empty; one colour bar.
    assert len(figure.data) == 3 * (n * n - n)
    contours = [t for t in figure.data if t.type == "contour"]
    assert sum(bool(t.showscale) for t in contours) == 1
    assert len({(t.zmin, t.zmax) for t in contours}) == 1
    params = sorted(study.trials[0].params)
    first = contours[0]  # row 0 (y = kind), column 1 (x = lr)
    assert figure.layout[first.xaxis.replace("x", "xaxis")].type == "log"
    assert figure.layout[first.yaxis.replace("y", "yaxis")].type == "category"
    assert params == ["kind", "lr", "n", "x"]
    figure.to_json(validate=True)


def test_plotly_multi_objective_and_conditional() -> None:
    figure = plot_contour(_two_objective_study(), target=lambda t: t.values[0], target_name="a")
    assert figure.data[0].colorbar.title.text == "a"
    with pytest.raises(ValueError):
        plot_contour(_two_objective_study())
    figure = plot_contour(conditional())
    points = [t for t in figure.data if t.type == "scatter" and len(t.x)]
    assert all(len(t.x) <= 5 for t in points)


# -- matplotlib ---------------------------------------------------------------------------


def test_matplotlib_two_params() -> None:
    study = single_objective(n=12)
    ax = mpl_plot_contour(study, ["lr", "x"], target_name="Loss")
    assert ax.get_xlabel() == "lr" and ax.get_ylabel() == "x"
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    assert ax.figure.axes[-1].get_ylabel() == "Loss"
    offsets = ax.collections[-1].get_offsets()
    np.testing.assert_allclose(offsets[:, 0], [t.params["lr"] for t in study.trials])
    assert ax.get_xlim() == pytest.approx((10**-5.2, 10**-0.8))
    assert _png(ax.figure)


def test_matplotlib_grid_and_categories() -> None:
    axes = mpl_plot_contour(single_objective(n=12))
    assert isinstance(axes, np.ndarray) and axes.shape == (4, 4)
    assert [t.get_text() for t in axes[0, 1].get_yticklabels()] == ["svm", "tree", "knn"]
    assert axes[3, 0].get_xlabel() == "kind" and axes[0, 0].get_ylabel() == "kind"
    assert not axes[1, 1].collections  # the diagonal is empty
    assert axes[0, 0].figure.axes[-1].get_ylabel() == "Objective Value"
    assert _png(axes[0, 0].figure)


def test_matplotlib_color_map_direction() -> None:
    low = mpl_plot_contour(single_objective("minimize", n=8), ["x", "n"])
    high = mpl_plot_contour(single_objective("maximize", n=8), ["x", "n"])
    assert low.collections[0].cmap.name == "Blues_r"
    assert high.collections[0].cmap.name == "Blues"


def test_matplotlib_conditional_and_multi_objective() -> None:
    axes = mpl_plot_contour(conditional())
    assert axes.shape == (3, 3)
    assert _png(axes[0, 0].figure)
    ax = mpl_plot_contour(_two_objective_study(), target=lambda t: t.values[1], target_name="b")
    assert ax.figure.axes[-1].get_ylabel() == "b"

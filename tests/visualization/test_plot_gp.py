"""Tests of the GP picture: the plot data along one parameter (shapes, the band at observed
points, the acquisition's maximum) and over two (grid orientation, observations, the next point),
the matplotlib and plotly renderings, the missing-matplotlib error and the explaining example."""

from __future__ import annotations

import importlib
import io
import math
import runpy
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import podbor
from podbor.exceptions import InvalidArgumentError
from podbor.samplers import GPSampler, RandomSampler
from podbor.trial import BaseTrial
from podbor.visualization import GPPlotData, gp_plot_data
from podbor.visualization._data._gp import GPContourData

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gp_explained.py"


def _metric(trial: BaseTrial) -> float:
    x = trial.suggest_float("x", -1.0, 2.0)
    return -math.sin(3 * x) - x * x + 0.7 * x


@pytest.fixture(scope="module")
def study_1d() -> podbor.Study:
    sampler = GPSampler(seed=0, n_startup_trials=4, deterministic_objective=True)
    study = podbor.create_study(direction="maximize", sampler=sampler)
    study.optimize(_metric, n_trials=7)
    return study


def _mixed(trial: BaseTrial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    n = trial.suggest_int("n", 1, 8)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    return (math.log10(lr) + 2) ** 2 + (n - 3) ** 2 / 10 + (kind == "b")


@pytest.fixture(scope="module")
def study_mixed() -> podbor.Study:
    study = podbor.create_study(sampler=RandomSampler(seed=1))
    study.optimize(_mixed, n_trials=12)
    return study


def test_shapes(study_1d: podbor.Study) -> None:
    data = gp_plot_data(study_1d, "x", n_samples=4, n_points=120)
    assert isinstance(data, GPPlotData)
    for name in ("x", "mean", "std", "acquisition", "lower", "upper"):
        assert getattr(data, name).shape == (120,), name
    assert data.samples.shape == (4, 120)
    assert data.observed_x.shape == data.observed_y.shape == (7,)
    assert data.x[0] == pytest.approx(-1.0) and data.x[-1] == pytest.approx(2.0)
    assert np.all(data.std >= 0) and np.all(np.isfinite(data.samples))
    assert data.direction == "maximize" and data.fixed == {}
    assert data.acquisition_name == "log expected improvement"


def test_band_is_narrow_at_observed_points_and_mean_interpolates(study_1d: podbor.Study) -> None:
    data = gp_plot_data(study_1d, "x", n_samples=0, n_points=1000)
    at_observed = np.interp(data.observed_x, data.x, data.std)
    assert at_observed.max() < 0.05 * data.std.max()
    np.testing.assert_allclose(
        np.interp(data.observed_x, data.x, data.mean), data.observed_y, atol=0.02
    )
    values = np.array([t.value for t in study_1d.trials], dtype=float)
    np.testing.assert_allclose(np.sort(data.observed_y), np.sort(values))


def test_argmax_marks_the_acquisition_maximum(study_1d: podbor.Study) -> None:
    data = gp_plot_data(study_1d, "x", acquisition="ucb")
    assert data.argmax == data.x[np.argmax(data.acquisition)]
    assert "upper confidence bound" in data.acquisition_name
    np.testing.assert_array_less(data.mean - 1e-9, data.upper)


def test_mixed_space_slice_keeps_the_others_at_the_incumbent(study_mixed: podbor.Study) -> None:
    data = gp_plot_data(study_mixed, "lr", n_samples=0, n_points=50)
    assert data.log_scale and data.samples.shape == (0, 50)
    assert data.x[0] == pytest.approx(1e-4) and data.x[-1] == pytest.approx(1.0)
    assert data.direction == "minimize"
    assert data.fixed == {k: v for k, v in study_mixed.best_params.items() if k != "lr"}
    assert data.observed_y.min() == pytest.approx(study_mixed.best_value)


@pytest.mark.parametrize(
    ("param", "kwargs"),
    [
        ("kind", {}),
        ("missing", {}),
        ("n", {"acquisition": "nope"}),
        ("n", {"n_samples": -1}),
        ("n", {"n_points": 1}),
        ("n", {"n_points": True}),
        ("n", {"n_samples": 2.0}),
    ],
    ids=["categorical", "unknown", "acquisition", "n_samples", "n_points", "bool", "float"],
)
def test_bad_arguments_are_refused(
    study_mixed: podbor.Study, param: str, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(InvalidArgumentError, match="plot_gp"):
        gp_plot_data(study_mixed, param, **kwargs)


def test_numpy_integers_are_accepted(study_1d: podbor.Study) -> None:
    data = gp_plot_data(study_1d, "x", n_samples=np.int64(2), n_points=np.int32(20))
    assert data.samples.shape == (2, 20)


def test_unknown_acquisition_lists_the_choices(study_1d: podbor.Study) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        gp_plot_data(study_1d, "x", acquisition="EI")
    assert str(info.value) == (
        "The 'acquisition' parameter of plot_gp must be one of 'logei', 'ei', 'pi', 'ucb' "
        "or None. Got 'EI' instead."
    )


def test_multi_objective_study_is_refused() -> None:
    study = podbor.create_study(directions=["minimize", "minimize"])
    with pytest.raises(InvalidArgumentError, match="single-objective"):
        gp_plot_data(study, "x")


# -- rendering ------------------------------------------------------------------------------------
def test_plot_gp_draws_both_panels(study_1d: podbor.Study) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from podbor.visualization.matplotlib import plot_gp

    top, bottom = plot_gp(study_1d, "x", n_samples=2)
    assert len(top.lines) >= 3 and len(bottom.lines) >= 1
    plt.close("all")
    _, ax = plt.subplots()
    top, bottom = plot_gp(study_1d, "x", ax=ax)
    assert top is ax and bottom is not ax
    _, pair = plt.subplots(2, 1)
    assert plot_gp(study_1d, "x", ax=(pair[0], pair[1])) == (pair[0], pair[1])
    plt.close("all")


def test_missing_matplotlib_names_the_extra(
    study_1d: podbor.Study, monkeypatch: pytest.MonkeyPatch
) -> None:
    from podbor.visualization.matplotlib import plot_gp

    real = importlib.import_module

    def no_matplotlib(name: str, *args: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_matplotlib)
    with pytest.raises(ImportError, match=r"pip install 'podbor\[plot\]'"):
        plot_gp(study_1d, "x")


def test_example_saves_one_picture_per_iteration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), "--out", str(tmp_path), "--iterations", "2"])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["iteration_1.png", "iteration_2.png"]
    assert "Best value:" in capsys.readouterr().out


# -- two parameters -------------------------------------------------------------------------------
def _tilted(trial: BaseTrial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    y = trial.suggest_float("y", 1e-3, 1.0, log=True)
    return 3.0 * x + 0.3 * math.log10(y)


@pytest.fixture(scope="module")
def study_2d() -> podbor.Study:
    sampler = GPSampler(seed=0, n_startup_trials=8, deterministic_objective=True)
    study = podbor.create_study(sampler=sampler)
    study.optimize(_tilted, n_trials=12)
    return study


def test_grid_shapes_axes_and_observations(study_2d: podbor.Study) -> None:
    data = gp_plot_data(study_2d, ("x", "y"), n_points=40)
    assert isinstance(data, GPContourData)
    assert data.params == ("x", "y") and data.log_scale == (False, True)
    assert data.x.shape == data.y.shape == (40,)
    for grid in (data.mean, data.std, data.acquisition):
        assert grid.shape == (40, 40)
    assert data.x[0] == pytest.approx(0.0) and data.x[-1] == pytest.approx(1.0)
    assert data.y[0] == pytest.approx(1e-3) and data.y[-1] == pytest.approx(1.0)
    trials = study_2d.trials
    np.testing.assert_allclose(data.observed_x, [t.params["x"] for t in trials])
    np.testing.assert_allclose(data.observed_y, [t.params["y"] for t in trials])
    np.testing.assert_allclose(
        data.observed_value, np.array([t.value for t in trials], dtype=float)
    )
    assert trials[data.best].number == study_2d.best_trial.number
    assert data.fixed == {} and data.direction == "minimize"
    assert np.all(data.std >= 0)


def test_grid_rows_follow_y_and_columns_follow_x(study_2d: podbor.Study) -> None:
    data = gp_plot_data(study_2d, ("x", "y"), n_points=30)
    # The objective grows with x (columns) three times faster than with log10 y (rows).
    along_x = np.mean(np.diff(data.mean, axis=1))
    along_y = np.mean(np.diff(data.mean, axis=0))
    assert along_x > 0 and along_x > 3 * abs(along_y)
    row, col = np.unravel_index(int(np.argmax(data.acquisition)), data.acquisition.shape)
    assert data.next_point == (data.x[col], data.y[row])


def test_grid_mean_interpolates_the_observations(study_2d: podbor.Study) -> None:
    data = gp_plot_data(study_2d, ("y", "x"), n_points=120)  # swapped axes
    assert data.params == ("y", "x")
    ix = np.abs(np.log(data.x[:, None]) - np.log(data.observed_x[None, :])).argmin(axis=0)
    iy = np.abs(data.y[:, None] - data.observed_y[None, :]).argmin(axis=0)
    values = np.array([t.value for t in study_2d.trials], dtype=float)
    span = values.max() - values.min()
    np.testing.assert_allclose(data.mean[iy, ix], values, atol=0.1 * span)


def test_grid_fixes_the_other_parameters_at_the_incumbent(study_mixed: podbor.Study) -> None:
    data = gp_plot_data(study_mixed, ("lr", "n"), n_points=10)
    assert isinstance(data, GPContourData) and data.log_scale == (True, False)
    assert data.fixed == {"kind": study_mixed.best_params["kind"]}


@pytest.mark.parametrize(
    "param",
    [("lr", "kind"), ("lr", "lr"), ("lr", "n", "x"), (), ("lr", "missing"), 3],
    ids=["categorical", "duplicate", "three", "none", "unknown", "not-a-name"],
)
def test_bad_pairs_are_refused(study_mixed: podbor.Study, param: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="plot_gp"):
        gp_plot_data(study_mixed, param)


def test_matplotlib_draws_two_contour_panels(study_2d: podbor.Study) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from podbor.visualization.matplotlib import plot_gp

    data = gp_plot_data(study_2d, ("x", "y"), n_points=25)
    left, right = plot_gp(study_2d, ("x", "y"), n_points=25)
    for ax in (left, right):
        assert ax.get_xlabel() == "x" and ax.get_ylabel() == "y"
        assert ax.get_yscale() == "log" and ax.get_xscale() == "linear"
        offsets = {c.get_label(): np.asarray(c.get_offsets(), dtype=float) for c in ax.collections}
        np.testing.assert_allclose(offsets["observations"], np.c_[data.observed_x, data.observed_y])
        np.testing.assert_allclose(offsets["next point"], np.array([data.next_point]))
    assert "posterior mean" in left.get_title() and "σ" in right.get_title()
    figure: Any = left.figure
    figure.savefig(io.BytesIO(), format="png")
    _, single = plt.subplots()
    first, second = plot_gp(study_2d, ("x", "y"), n_points=10, ax=single)
    assert first is single and second is not single
    figure = second.figure
    figure.savefig(io.BytesIO(), format="png")
    plt.close("all")


def test_plotly_one_parameter(study_1d: podbor.Study) -> None:
    pytest.importorskip("plotly")
    from podbor.visualization import plot_gp

    data = gp_plot_data(study_1d, "x", n_samples=2, n_points=50)
    fig = plot_gp(study_1d, "x", n_samples=2, n_points=50)
    by_name = {t.name: t for t in fig.data}
    np.testing.assert_allclose(by_name["posterior mean μ"].y, data.mean)
    np.testing.assert_allclose(by_name["observations"].x, data.observed_x)
    np.testing.assert_allclose(by_name["observations"].y, data.observed_y)
    np.testing.assert_allclose(by_name[data.acquisition_name].y, data.acquisition)
    assert list(by_name["next point"].x) == [data.argmax]
    assert sum(t.name == "posterior samples" for t in fig.data) == 2
    assert fig.layout.xaxis2.title.text == "x" and fig.layout.xaxis.type == "linear"


def test_plotly_two_parameters(study_2d: podbor.Study) -> None:
    pytest.importorskip("plotly")
    from podbor.visualization import plot_gp

    data = gp_plot_data(study_2d, ("x", "y"), n_points=20)
    fig = plot_gp(study_2d, ("x", "y"), n_points=20)
    contours = [t for t in fig.data if t.type == "contour"]
    assert len(contours) == 2
    np.testing.assert_allclose(contours[0].z, data.mean)
    np.testing.assert_allclose(contours[1].z, data.std)
    np.testing.assert_allclose(contours[0].x, data.x)
    np.testing.assert_allclose(contours[0].y, data.y)
    assert contours[0].reversescale is True  # minimized: the best (low) values are dark
    stars = [t for t in fig.data if t.name == "next point"]
    assert len(stars) == 2 and all(list(s.x) == [data.next_point[0]] for s in stars)
    observed = [t for t in fig.data if t.name == "observations"]
    np.testing.assert_allclose(observed[0].x, data.observed_x)
    np.testing.assert_allclose(observed[0].y, data.observed_y)
    assert fig.layout.xaxis.type == "linear" and fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis2.type == "log" and fig.layout.xaxis.title.text == "x"
    fig.to_html(include_plotlyjs=False)

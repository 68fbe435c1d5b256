"""Tests of the GP picture: the plot data (shapes, the band at observed points, the acquisition's
maximum), the matplotlib rendering, the missing-matplotlib error and the explaining example."""

from __future__ import annotations

import importlib
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
    values = [t.value for t in study_1d.trials]
    np.testing.assert_allclose(sorted(data.observed_y), sorted(values))


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
    with pytest.raises(ImportError, match=r"pip install podbor\[plot\]"):
        plot_gp(study_1d, "x")


def test_example_saves_one_picture_per_iteration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), "--out", str(tmp_path), "--iterations", "2"])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["iteration_1.png", "iteration_2.png"]
    assert "Best value:" in capsys.readouterr().out

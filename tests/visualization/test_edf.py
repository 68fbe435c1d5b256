"""Tests of ``plot_edf``: the EDF data against the study's values (grid, curves, several studies,
non-finite values, targets), the plotly traces and the matplotlib lines, rendered to PNG."""

from __future__ import annotations

import io
import logging
from typing import Any

import matplotlib
import numpy as np
import pytest
from tests.visualization.studies import (
    conditional,
    empty_study,
    multi_objective,
    single_objective,
    with_pruned_and_failed,
)

import podbor
from podbor.trial import TrialState, create_trial
from podbor.visualization import plot_edf
from podbor.visualization._data._edf import NUM_SAMPLES_X_AXIS, edf_data
from podbor.visualization.matplotlib import plot_edf as mpl_plot

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


def _study(values: list[float], name: str) -> podbor.Study:
    study = podbor.create_study(study_name=name)
    study.add_trials([create_trial(value=v) for v in values])
    return study


def _edf(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.array([(values <= xi).mean() for xi in x])


@pytest.mark.parametrize(
    "make", [single_objective, with_pruned_and_failed, conditional], ids=lambda f: f.__name__
)
def test_data_is_the_edf_of_complete_values(make: Any) -> None:
    study = make()
    values = np.array([t.value for t in study.trials if t.state == TrialState.COMPLETE])
    data = edf_data(study)
    assert data.x_values.shape == (NUM_SAMPLES_X_AXIS,)
    assert data.x_values[0] == values.min() and data.x_values[-1] == values.max()
    (line,) = data.lines
    np.testing.assert_allclose(line.y_values, _edf(values, data.x_values))
    assert np.all(np.diff(line.y_values) >= 0) and line.y_values[-1] == 1.0
    assert line.study_name == study.study_name


def test_several_studies_share_one_grid() -> None:
    studies = [_study([0.0, 1.0, 2.0], "a"), _study([1.5, 4.0], "b"), empty_study()]
    data = edf_data(studies)
    assert [line.study_name for line in data.lines] == ["a", "b"]  # the empty one is left out
    assert data.x_values[0] == 0.0 and data.x_values[-1] == 4.0
    np.testing.assert_allclose(data.lines[1].y_values, _edf(np.array([1.5, 4.0]), data.x_values))
    fig = plot_edf(studies)
    assert [tr.name for tr in fig.data] == ["a", "b"]
    np.testing.assert_allclose(fig.data[0].x, data.x_values)
    np.testing.assert_allclose(fig.data[1].y, data.lines[1].y_values)
    ax = mpl_plot(studies)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), data.lines[0].y_values)
    _png(ax)


def test_nonfinite_values_are_left_out(caplog: pytest.LogCaptureFixture) -> None:
    study = _study([float("-inf"), 1.0, 3.0, float("inf")], "s")
    with caplog.at_level(logging.WARNING):
        data = edf_data(study)
    assert np.all(np.isfinite(data.x_values)) and data.x_values[0] == 1.0
    assert "Trial 0 is omitted" in caplog.text and "Trial 3 is omitted" in caplog.text


def test_target_on_multi_objective() -> None:
    study = multi_objective(3, n=10)
    for plot in (plot_edf, mpl_plot):
        with pytest.raises(ValueError, match="target"):
            plot(study)
    fig = plot_edf(study, target=lambda t: t.values[2], target_name="third")
    assert fig.layout.xaxis.title.text == "third"
    assert fig.data[0].x[0] == -0.5 and fig.data[0].x[-1] == 8.0
    with pytest.warns(UserWarning, match="target_name"):
        ax = mpl_plot(study, target=lambda t: t.values[0])
    assert ax.get_xlabel() == "Objective Value"
    _png(ax)


@pytest.mark.parametrize(
    "study", [[], empty_study(), [empty_study(), empty_study()]], ids=["none", "empty", "two"]
)
def test_empty(study: Any) -> None:
    data = edf_data(study)
    assert data.lines == [] and data.x_values.size == 0 and data.message
    fig = plot_edf(study)
    assert len(fig.data) == 0 and fig.layout.xaxis.title.text == "Objective Value"
    ax = mpl_plot(study)
    assert ax.get_lines() == [] and ax.get_legend() is None
    _png(ax)


def test_plotly_layout_and_matplotlib_labels() -> None:
    study = single_objective("maximize")
    fig = plot_edf(study, target_name="loss")
    assert fig.layout.title.text == "Empirical Distribution Function Plot"
    assert fig.layout.yaxis.title.text == "Cumulative Probability"
    assert tuple(fig.layout.yaxis.range) == (0, 1)
    assert fig.data[0].mode == "lines"
    ax = mpl_plot(study, target_name="loss")
    assert ax.get_title() == "Empirical Distribution Function Plot"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("loss", "Cumulative Probability")
    assert ax.get_ylim() == (0.0, 1.0)
    assert _png(ax).startswith(b"\x89PNG")


def test_plotly_figure_is_valid() -> None:
    go = pytest.importorskip("plotly.graph_objects")
    fig = plot_edf([single_objective(), with_pruned_and_failed()], target_name="loss")
    checked = go.Figure(fig.to_dict())  # validates every property
    assert [tr.name for tr in checked.data] == [tr.name for tr in fig.data]

"""Tests of plot_hypervolume_history: the hypervolume after each COMPLETE trial against the
study (directions, stored constraints, pruned and failed trials, three objectives), the plotly
and matplotlib figures drawn from it, and bad input."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pytest
from tests.visualization.studies import multi_objective, single_objective

import podbor
from podbor._hypervolume import compute_hypervolume
from podbor.trial import TrialState, create_trial
from podbor.visualization._data._hypervolume_history import hypervolume_history_data

# Optuna's case: (1.5, 1.5) is outside the box below (1, 1); trial 2 is infeasible.
LOSSES = [(1.5, 1.5), (0.75, 0.75), (0.5, 0.5), (0.5, 0.5), (0.75, 0.25), (0.0, 0.0)]
EXPECTED = [0.0, 0.0625, 0.0625, 0.25, 0.3125, 1.0]


def signed_study(directions: Sequence[str]) -> tuple[podbor.Study, list[float]]:
    signs = [1.0 if d == "minimize" else -1.0 for d in directions]
    study = podbor.create_study(directions=list(directions))
    for i, loss in enumerate(LOSSES):
        study.add_trial(
            create_trial(
                values=[s * v for s, v in zip(signs, loss)],
                system_attrs={"constraints": [1.0 if i == 2 else 0.0]},
            )
        )
    return study, signs


@pytest.mark.parametrize(
    "directions",
    [
        ["minimize", "minimize"],
        ["minimize", "maximize"],
        ["maximize", "minimize"],
        ["maximize", "maximize"],
    ],
)
def test_values_follow_directions_and_constraints(directions: list[str]) -> None:
    study, signs = signed_study(directions)
    data = hypervolume_history_data(study, signs)
    assert data.numbers.tolist() == [0, 1, 2, 3, 4, 5]
    assert data.values.tolist() == EXPECTED
    assert data.message is None


def test_only_complete_trials_count() -> None:
    study, signs = signed_study(["minimize", "minimize"])
    study.add_trial(create_trial(state=TrialState.PRUNED))
    study.add_trial(create_trial(state=TrialState.FAIL))
    study.add_trial(create_trial(values=[0.9, 0.9]))  # dominated by trial 5
    data = hypervolume_history_data(study, signs)
    assert data.numbers.tolist() == [0, 1, 2, 3, 4, 5, 8]
    assert data.values.tolist() == [*EXPECTED, 1.0]


def test_three_objectives_match_the_hypervolume_of_each_prefix() -> None:
    study = multi_objective(3, n=12)  # minimize, minimize, maximize
    reference = [12.0, 12.0, -2.0]
    data = hypervolume_history_data(study, reference)
    losses = np.array([t.values for t in study.trials]) * [1.0, 1.0, -1.0]
    ref = np.array(reference) * [1.0, 1.0, -1.0]
    want = [compute_hypervolume(losses[: i + 1], ref) for i in range(len(losses))]
    np.testing.assert_allclose(data.values, want)
    assert np.all(np.diff(data.values) >= 0) and data.values[-1] > 0


def test_empty_study() -> None:
    study = podbor.create_study(directions=["minimize", "minimize"])
    data = hypervolume_history_data(study, [1.0, 1.0])
    assert data.numbers.size == 0 and data.values.size == 0 and data.message is not None
    fig = podbor.visualization.plot_hypervolume_history(study, [1.0, 1.0])
    assert len(fig.data[0].x) == 0
    ax = podbor.visualization.matplotlib.plot_hypervolume_history(study, [1.0, 1.0])
    ax.figure.savefig(io.BytesIO(), format="png")


@pytest.mark.parametrize(
    "plot",
    [
        podbor.visualization.plot_hypervolume_history,
        podbor.visualization.matplotlib.plot_hypervolume_history,
    ],
    ids=["plotly", "matplotlib"],
)
def test_bad_input(plot: object) -> None:
    assert callable(plot)
    with pytest.raises(ValueError, match="Study must be multi-objective"):
        plot(single_objective(n=3), [1.0])
    study = multi_objective(2, n=3)
    with pytest.raises(ValueError, match=r"the study has 2 objectives, reference_point has 3"):
        plot(study, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="reference_point has 4"):
        plot(study, [[1.0, 1.0], [1.0, 1.0]])


def test_plotly_figure() -> None:
    study, signs = signed_study(["minimize", "maximize"])
    fig = podbor.visualization.plot_hypervolume_history(study, signs)
    (line,) = fig.data
    assert line.type == "scatter" and line.mode == "lines+markers"
    assert list(line.x) == [0, 1, 2, 3, 4, 5]
    assert list(line.y) == EXPECTED
    assert fig.layout.title.text == "Hypervolume History Plot"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("Trial", "Hypervolume")


def test_matplotlib_figure() -> None:
    study, signs = signed_study(["maximize", "minimize"])
    ax = podbor.visualization.matplotlib.plot_hypervolume_history(study, signs)
    (line,) = ax.lines
    assert list(line.get_xdata()) == [0, 1, 2, 3, 4, 5]
    assert list(line.get_ydata()) == EXPECTED
    assert ax.get_title() == "Hypervolume History Plot"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Trial", "Hypervolume")
    ax.figure.savefig(io.BytesIO(), format="png")

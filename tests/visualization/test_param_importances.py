"""plot_param_importances: the bars' data against get_param_importances, both backends."""

from __future__ import annotations

import io
import warnings
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from tests.visualization.studies import (
    conditional,
    empty_study,
    multi_objective,
    single_objective,
    with_pruned_and_failed,
)

import podbor
from podbor.importance import (
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    get_param_importances,
)
from podbor.visualization import plot_param_importances as plotly_plot
from podbor.visualization._data._param_importances import (
    NO_TRIALS_MESSAGE,
    param_importances_data,
)
from podbor.visualization._param_importances import _get_importances_info
from podbor.visualization.matplotlib import plot_param_importances as mpl_plot

podbor.logging.set_verbosity(podbor.logging.ERROR)


def _png(ax: Any) -> bytes:
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    plt.close(ax.figure)
    return buffer.getvalue()


def _mpl_widths(ax: Any) -> dict[str, float]:
    """Bar width by y tick label (one bar set)."""
    labels = [t.get_text() for t in ax.get_yticklabels()]
    ys = sorted((p.get_y() + p.get_height() / 2, p.get_width()) for p in ax.patches)
    return {label: width for label, (_, width) in zip(labels, ys)}


EVALUATORS = [
    pytest.param(None, id="default"),
    pytest.param(FanovaImportanceEvaluator(seed=0), id="fanova"),
    pytest.param(MeanDecreaseImpurityImportanceEvaluator(seed=0), id="mdi"),
]


@pytest.mark.parametrize("evaluator", EVALUATORS)
def test_bars_are_the_importances_least_important_first(evaluator: Any) -> None:
    study = single_objective(n=30)
    expected = get_param_importances(study, evaluator=evaluator)
    data = param_importances_data(study, evaluator)
    (bars,) = data.bars
    assert bars.param_names == list(reversed(expected))
    assert bars.importance_values == pytest.approx([expected[n] for n in bars.param_names])
    assert bars.importance_labels == [
        "<0.01" if v < 0.01 else f"{v:.2f}" for v in bars.importance_values
    ]
    kinds = {
        "x": "FloatDistribution",
        "lr": "FloatDistribution",
        "n": "IntDistribution",
        "kind": "CategoricalDistribution",
    }
    assert bars.distributions == [kinds[n] for n in bars.param_names]
    assert bars.target_name == "Objective Value" and data.message == ""

    fig = plotly_plot(study, evaluator)
    (trace,) = fig.data
    assert trace.orientation == "h"
    assert list(trace.y) == bars.param_names
    assert list(trace.x) == pytest.approx(bars.importance_values)
    assert list(trace.text) == bars.importance_labels
    assert fig.layout.xaxis.title.text == "Hyperparameter Importance"
    assert fig.layout.yaxis.title.text == "Hyperparameter"
    assert fig.layout.title.text == "Hyperparameter Importances"

    ax = mpl_plot(study, evaluator)
    assert ax.get_xlabel() == "Hyperparameter Importance"
    assert ax.get_title() == "Hyperparameter Importances"
    widths = _mpl_widths(ax)
    assert list(widths) == bars.param_names
    assert list(widths.values()) == pytest.approx(bars.importance_values)
    assert _png(ax)


def test_params_restrict_the_bars() -> None:
    study = single_objective(n=20)
    data = param_importances_data(study, params=["x", "kind"])
    assert sorted(data.bars[0].param_names) == ["kind", "x"]
    assert sum(data.bars[0].importance_values) == pytest.approx(1.0)
    ax = mpl_plot(study, params=["x", "kind"])
    assert len(ax.patches) == 2
    _png(ax)


def test_unknown_parameter_is_named() -> None:
    study = single_objective(n=10)
    with pytest.raises(ValueError, match="nope"):
        plotly_plot(study, params=["x", "nope"])
    with pytest.raises(ValueError, match="nope"):
        mpl_plot(study, params=["nope"])


def test_only_complete_trials_count() -> None:
    study = with_pruned_and_failed()
    complete_only = podbor.create_study()
    complete_only.add_trials(
        [t for t in study.trials if t.state == podbor.trial.TrialState.COMPLETE]
    )
    ev = FanovaImportanceEvaluator(seed=1)
    assert param_importances_data(study, ev) == param_importances_data(complete_only, ev)
    _png(mpl_plot(study, ev))


def test_non_finite_values_are_left_out() -> None:
    study = single_objective(n=15)
    before = param_importances_data(study, MeanDecreaseImpurityImportanceEvaluator(seed=0))
    trial = study.trials[0]
    study.add_trial(
        podbor.trial.create_trial(
            value=float("inf"), params=trial.params, distributions=trial.distributions
        )
    )
    after = param_importances_data(study, MeanDecreaseImpurityImportanceEvaluator(seed=0))
    assert after == before


@pytest.mark.parametrize("params", [None, [], ["x"]])
def test_empty_study_draws_no_bars(params: Any) -> None:
    study = empty_study()
    data = param_importances_data(study, params=params)
    assert [b.param_names for b in data.bars] == [[]]
    assert data.message
    fig = plotly_plot(study, params=params)
    assert len(fig.data) == 1 and len(fig.data[0].x) == 0
    ax = mpl_plot(study, params=params)
    assert len(ax.patches) == 0
    _png(ax)
    assert param_importances_data(study).message == NO_TRIALS_MESSAGE


def test_conditional_parameters() -> None:
    study = conditional()
    # PED-ANOVA (the default) assesses the conditional parameters too
    assert sorted(param_importances_data(study).bars[0].param_names) == ["C", "depth", "kind"]
    # the forests only the parameters every trial has
    fanova = param_importances_data(study, FanovaImportanceEvaluator(seed=0))
    assert fanova.bars[0].param_names == ["kind"]
    _png(mpl_plot(study))


def test_multi_objective_one_bar_set_per_objective() -> None:
    study = multi_objective(2, n=12)
    data = param_importances_data(study)
    assert [b.target_name for b in data.bars] == ["Objective Value 0", "Objective Value 1"]
    assert all(b.param_names == ["x"] for b in data.bars)
    fig = plotly_plot(study)
    assert [t.name for t in fig.data] == ["Objective Value 0", "Objective Value 1"]
    assert fig.layout.barmode == "group"
    ax = mpl_plot(study)
    assert len(ax.patches) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Objective Value 0",
        "Objective Value 1",
    ]
    _png(ax)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.set_metric_names(["loss", "accuracy"])
    assert [b.target_name for b in param_importances_data(study).bars] == ["loss", "accuracy"]


def test_multi_objective_with_target() -> None:
    study = multi_objective(2, n=12)
    with pytest.warns(UserWarning, match="target_name"):
        data = param_importances_data(
            study,
            FanovaImportanceEvaluator(seed=0),
            target=lambda t: t.values[0],  # type: ignore[index]
        )
    assert len(data.bars) == 1 and data.bars[0].param_names == ["x"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plotly_plot(
            study,
            FanovaImportanceEvaluator(seed=0),
            target=lambda t: t.values[1],
            target_name="accuracy",
        )
    assert [t.name for t in fig.data] == ["accuracy"]
    with pytest.raises(ValueError, match="target"):
        _get_importances_info(study, None, None, None, "Objective Value")


def test_negligible_importance_is_labelled() -> None:
    study = podbor.create_study()
    for x in (1, 2):
        study.enqueue_trial({"x": x, "y": 0})
    study.optimize(
        lambda t: t.suggest_int("x", 0, 2) ** 2 + 0 * t.suggest_int("y", -1, 1), n_trials=2
    )
    (bars,) = param_importances_data(study).bars
    assert bars.importance_values[0] < bars.importance_values[1]
    assert bars.param_names == ["y", "x"]

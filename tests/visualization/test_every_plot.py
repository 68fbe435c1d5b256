"""Every plot, in both backends, on every kind of study: it draws (or refuses as Optuna does).

The per-plot test files check each figure's data in detail; this matrix makes sure that no
combination of plot, backend and study kind was left out: one and several objectives (with
``target=``), conditional parameters, pruned/failed/running trials, and an empty study. The
matplotlib figures are rendered to PNG.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from tests.visualization.studies import (
    conditional,
    empty_study,
    multi_objective,
    single_objective,
    with_pruned_and_failed,
)

import podbor

pytest.importorskip("plotly")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

# The plots of one objective (or one target) that take only the study and ``target=``.
TARGET_PLOTS = [
    "plot_optimization_history",
    "plot_edf",
    "plot_parallel_coordinate",
    "plot_slice",
    "plot_contour",
    "plot_rank",
    "plot_param_importances",
]
OTHER_PLOTS = ["plot_intermediate_values", "plot_timeline", "plot_sampler_decisions"]

STUDIES: dict[str, Callable[[], podbor.Study]] = {
    "single": single_objective,
    "maximize": lambda: single_objective("maximize"),
    "pruned-and-failed": with_pruned_and_failed,
    "conditional": conditional,
    "empty": empty_study,
}


def _function(backend: str, name: str) -> Callable[..., Any]:
    module = podbor.visualization if backend == "plotly" else podbor.visualization.matplotlib
    return getattr(module, name)  # type: ignore[no-any-return]


def _check_drawn(backend: str, figure: Any) -> None:
    if backend == "plotly":
        assert figure.to_dict()["layout"] is not None
        return
    import matplotlib.pyplot as plt

    if isinstance(figure, tuple):  # plot_sampler_decisions: the value and strategy Axes
        figure = figure[0]
    axes = figure.flat[0] if hasattr(figure, "flat") else figure
    buffer = io.BytesIO()
    axes.figure.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")
    plt.close("all")


@pytest.mark.parametrize("backend", ["plotly", "matplotlib"])
@pytest.mark.parametrize("kind", sorted(STUDIES))
@pytest.mark.parametrize("name", TARGET_PLOTS + OTHER_PLOTS)
def test_draws_on_every_kind_of_study(backend: str, kind: str, name: str) -> None:
    study = STUDIES[kind]()
    _check_drawn(backend, _function(backend, name)(study))


@pytest.mark.parametrize("backend", ["plotly", "matplotlib"])
@pytest.mark.parametrize("name", TARGET_PLOTS)
def test_several_objectives_need_a_target(backend: str, name: str) -> None:
    study = multi_objective(2)
    plot = _function(backend, name)
    if name in ("plot_parallel_coordinate", "plot_param_importances"):
        _check_drawn(backend, plot(study))  # Optuna 5 draws every objective here
    else:
        with pytest.raises(ValueError, match="specify the `target`"):
            plot(study)
    _check_drawn(backend, plot(study, target=lambda t: t.values[0], target_name="first"))


@pytest.mark.parametrize("backend", ["plotly", "matplotlib"])
@pytest.mark.parametrize("n_objectives", [2, 3])
def test_pareto_front_and_hypervolume_on_several_objectives(
    backend: str, n_objectives: int
) -> None:
    study = multi_objective(n_objectives)
    _check_drawn(backend, _function(backend, "plot_pareto_front")(study))
    reference = [20.0] * (n_objectives - 1) + [-20.0]
    _check_drawn(backend, _function(backend, "plot_hypervolume_history")(study, reference))


@pytest.mark.parametrize("backend", ["plotly", "matplotlib"])
@pytest.mark.parametrize("name", ["plot_slice", "plot_contour", "plot_parallel_coordinate"])
def test_an_unknown_parameter_is_named(backend: str, name: str) -> None:
    with pytest.raises(ValueError, match="nope"):
        _function(backend, name)(single_objective(), params=["x", "nope"])

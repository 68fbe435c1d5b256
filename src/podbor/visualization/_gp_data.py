"""What the GP picture shows, as plain arrays: computed here, drawn by a thin renderer.

Along one parameter, with every other parameter fixed at the best trial's value (the incumbent),
the picture shows the observations, the GP posterior mean with a ±2σ band, a few sample paths
drawn from the joint posterior, and the acquisition function with its maximum: the seminar's
figures of Bayesian optimization (a probabilistic model of the metric, and a function that trades
exploration against exploitation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from podbor._search_space import transformed_bounds
from podbor._study_view import StudyView
from podbor._validation import check_choice, check_int
from podbor.distributions import BaseDistribution, CategoricalDistribution
from podbor.exceptions import invalid_argument
from podbor.samplers._gp.acquisition import ACQUISITIONS, Acquisition, ucb_beta
from podbor.samplers._gp.model import robust_cholesky
from podbor.samplers._gp.sampler import GPSampler
from podbor.samplers._gp.study_model import (
    StudyModel,
    fit_study_model,
    single_threaded_blas,
)

__all__ = ["GPPlotData", "gp_plot_data"]

FloatArray = npt.NDArray[np.float64]
_OWNER = "plot_gp"

ACQUISITION_LABELS = {
    "logei": "log expected improvement",
    "ei": "expected improvement",
    "pi": "log probability of improvement",
    "ucb": "upper confidence bound μ + βσ",
}
"""How each acquisition function is named on the plot."""


@dataclass(frozen=True)
class GPPlotData:
    """The GP along one parameter, in the objective's units.

    Attributes:
        param: The parameter along which the slice is taken.
        log_scale: Whether the parameter is on a log scale (the x axis should be too).
        x: Shape ``m``, the parameter's values along the slice (a continuous relaxation for
            integers and steps).
        mean: Shape ``m``, the posterior mean of the objective.
        std: Shape ``m``, the posterior standard deviation of the objective.
        samples: Shape ``n_samples x m``, sample paths from the joint posterior.
        acquisition: Shape ``m``, the acquisition function (on the standardized, maximized target).
        acquisition_name: What ``acquisition`` is, e.g. ``"log expected improvement"``.
        argmax: The value of ``param`` where ``acquisition`` is largest along the slice.
        observed_x: Shape ``k``, the parameter's value in each complete trial.
        observed_y: Shape ``k``, each complete trial's objective value (±inf clipped to the
            finite range).
        fixed: The other parameters' values along the slice (the incumbent's).
        direction: ``"minimize"`` or ``"maximize"``.
    """

    param: str
    log_scale: bool
    x: FloatArray
    mean: FloatArray
    std: FloatArray
    samples: FloatArray
    acquisition: FloatArray
    acquisition_name: str
    argmax: float
    observed_x: FloatArray
    observed_y: FloatArray
    fixed: dict[str, Any]
    direction: str

    @property
    def lower(self) -> FloatArray:
        """Shape ``m``: ``mean - 2 std``."""
        return self.mean - 2.0 * self.std

    @property
    def upper(self) -> FloatArray:
        """Shape ``m``: ``mean + 2 std``."""
        return self.mean + 2.0 * self.std


def _settings(study: StudyView, acquisition: str | None) -> tuple[str, float | None, bool]:
    sampler = getattr(study, "sampler", None)
    if isinstance(sampler, GPSampler):
        kind, beta, deterministic = (
            sampler.acquisition,
            sampler.beta,
            sampler.deterministic_objective,
        )
    else:
        kind, beta, deterministic = "logei", None, False
    chosen = check_choice(acquisition, "acquisition", ACQUISITIONS, owner=_OWNER, allow_none=True)
    return kind if chosen is None else chosen, beta, deterministic


def _check_param(model: StudyModel | None, param: str) -> int:
    names = [] if model is None else model.encoder.names
    dists = [] if model is None else model.encoder.distributions
    numeric = [n for n, d in zip(names, dists) if not isinstance(d, CategoricalDistribution)]
    if param not in numeric:
        allowed = f"a numeric parameter that every complete trial has, one of {numeric}"
        raise invalid_argument("param", param, allowed, owner=_OWNER)
    return names.index(param)


def _to_axis(dist: BaseDistribution, u: FloatArray) -> FloatArray:
    """Unit-interval encodings (any shape) to the parameter's scale, without rounding."""
    lo, hi, log = transformed_bounds(dist)
    t = lo + np.asarray(u, dtype=float) * (hi - lo)
    return np.exp(t) if log else t


def _posterior_samples(
    model: StudyModel, x: FloatArray, n_samples: int, rng: np.random.Generator
) -> FloatArray:
    """``n_samples x m`` draws of the latent function at ``x`` (``m x d``), standardized."""
    mean, cov = model.gp.joint(x)
    chol = robust_cholesky(cov + 1e-9 * model.gp.params.signal_var * np.eye(x.shape[0]))
    draws: FloatArray = mean[None, :] + rng.standard_normal((n_samples, x.shape[0])) @ chol.T
    return draws


def gp_plot_data(
    study: StudyView,
    param: str,
    *,
    n_samples: int = 3,
    acquisition: str | None = None,
    n_points: int = 200,
    seed: int = 0,
) -> GPPlotData:
    """Fit the GP on a study's complete trials and slice it along ``param``.

    Args:
        study: A single-objective study with at least one complete trial.
        param: A numeric parameter of the joint search space of the complete trials.
        n_samples: Number of posterior sample paths.
        acquisition: ``"logei"``, ``"ei"``, ``"pi"`` or ``"ucb"``; by default the study's
            :class:`~podbor.samplers.GPSampler`'s, else ``"logei"``.
        n_points: Number of points along the slice.
        seed: Seed of the sample paths.

    Returns:
        The arrays to draw.

    Raises:
        InvalidArgumentError: If ``param`` is not a numeric parameter of every complete trial, or
            an argument is out of range.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=6)
        >>> data = gp_plot_data(study, "x", n_points=50)
        >>> data.x.shape, data.samples.shape, data.observed_x.shape
        ((50,), (3, 50), (6,))
    """
    if len(study.directions) != 1:
        raise invalid_argument("study", study, "a single-objective study", owner=_OWNER)
    n_samples = check_int(n_samples, "n_samples", owner=_OWNER, minimum=0)
    n_points = check_int(n_points, "n_points", owner=_OWNER, minimum=2)
    kind, beta, deterministic = _settings(study, acquisition)
    with single_threaded_blas():
        model = fit_study_model(study, deterministic_objective=deterministic)
        j = _check_param(model, param)
        assert model is not None
        return _slice(model, j, kind, beta, n_samples, n_points, np.random.default_rng(seed))


def _slice(
    model: StudyModel,
    j: int,
    kind: str,
    beta: float | None,
    n_samples: int,
    n_points: int,
    rng: np.random.Generator,
) -> GPPlotData:
    incumbent = model.incumbent()
    u = np.linspace(0.0, 1.0, n_points)
    points = np.repeat(incumbent[None, :], n_points, axis=0)
    points[:, j] = u
    mean, var = model.gp.predict(points)
    n, d = model.x_observed.shape
    beta = ucb_beta(n, d) if beta is None else beta
    acq = Acquisition(model.gp, kind, best=float(np.max(model.gp.y_train)), beta=beta).value(points)
    samples = _posterior_samples(model, points, n_samples, rng)
    dist = model.encoder.distributions[j]
    axis = _to_axis(dist, u)
    decoded = model.encoder.decode(incumbent)
    fixed = {
        name: d.to_external_repr(decoded[name])
        for name, d in zip(model.encoder.names, model.encoder.distributions)
        if name != model.encoder.names[j]
    }
    finite = model.y_observed[np.isfinite(model.y_observed)]
    clip = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
    return GPPlotData(
        param=model.encoder.names[j],
        log_scale=transformed_bounds(dist)[2],
        x=axis,
        mean=model.to_objective_units(mean),
        std=model.standardization.scale * np.sqrt(var),
        samples=model.to_objective_units(samples),
        acquisition=acq,
        acquisition_name=ACQUISITION_LABELS[kind],
        argmax=float(axis[int(np.argmax(acq))]),
        observed_x=_to_axis(dist, model.x_observed[:, j]),
        observed_y=np.clip(model.y_observed, *clip),
        fixed=fixed,
        direction="maximize" if model.sign > 0 else "minimize",
    )

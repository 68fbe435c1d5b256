"""What the GP pictures show, as plain arrays: computed here, drawn by thin renderers.

The GP is the one :class:`~podbor.samplers.GPSampler` fits (same encoding, kernel and priors),
on the study's complete trials, in the objective's own units. Every parameter not plotted is
fixed at the best trial's value (the incumbent), so a picture is a slice of the model:

* along **one** parameter (:class:`GPPlotData`): the observations, the posterior mean with a
  ±2σ band, a few sample paths drawn from the joint posterior, and the acquisition function
  with its maximum: the seminar's figures of Bayesian optimization (a probabilistic model of the
  metric, and a function that trades exploration against exploitation);
* over **two** parameters (:class:`GPContourData`): the posterior mean and standard deviation
  on a grid, for contour panels, with the observations and the acquisition's maximum (the next
  proposal on this slice) to mark on them: where the model expects good values, where it is
  unsure, and where it will look next.

The GP modules (and SciPy) are imported when data is built, not when this module is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from podbor._arrays import FloatArray
from podbor._search_space import transformed_bounds
from podbor._study_view import StudyView
from podbor._validation import check_choice, check_int
from podbor.distributions import BaseDistribution, CategoricalDistribution
from podbor.exceptions import invalid_argument

if TYPE_CHECKING:
    from podbor.samplers._gp.study_model import StudyModel

__all__ = ["ACQUISITION_LABELS", "GPContourData", "GPPlotData", "gp_plot_data"]

_OWNER = "plot_gp"
_ACQUISITIONS = ("logei", "ei", "pi", "ucb")

ACQUISITION_LABELS = {
    "logei": "log expected improvement",
    "ei": "expected improvement",
    "pi": "log probability of improvement",
    "ucb": "upper confidence bound μ + βσ",
}
"""How each acquisition function is named on the plot."""

_DEFAULT_POINTS = {1: 200, 2: 60}
"""Points per axis by default: a 1-D curve, a 2-D grid (60 x 60 = 3,600 GP predictions)."""


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
        """``mean - 2 std``, shape ``m``."""
        return self.mean - 2.0 * self.std

    @property
    def upper(self) -> FloatArray:
        """``mean + 2 std``, shape ``m``."""
        return self.mean + 2.0 * self.std


@dataclass(frozen=True)
class GPContourData:
    """The GP over two parameters on a grid, in the objective's units.

    Grids are indexed ``[row, column]`` = ``[y index, x index]``, as contour functions take them.

    Attributes:
        params: The two parameters: the x axis's, then the y axis's.
        log_scale: For each of them, whether its axis is on a log scale.
        x: Shape ``m``, the first parameter's values (columns of the grids).
        y: Shape ``m``, the second parameter's values (rows of the grids).
        mean: Shape ``m x m``, the posterior mean of the objective.
        std: Shape ``m x m``, the posterior standard deviation of the objective.
        acquisition: Shape ``m x m``, the acquisition function.
        acquisition_name: What ``acquisition`` is.
        next_point: Where ``acquisition`` is largest on the grid: the next proposal on this slice.
        observed_x: Shape ``k``, the first parameter's value in each complete trial.
        observed_y: Shape ``k``, the second parameter's value in each complete trial.
        observed_value: Shape ``k``, each complete trial's objective value (±inf clipped).
        best: Index in the observations of the best trial (the incumbent).
        fixed: The other parameters' values on the slice (the incumbent's).
        direction: ``"minimize"`` or ``"maximize"``.
    """

    params: tuple[str, str]
    log_scale: tuple[bool, bool]
    x: FloatArray
    y: FloatArray
    mean: FloatArray
    std: FloatArray
    acquisition: FloatArray
    acquisition_name: str
    next_point: tuple[float, float]
    observed_x: FloatArray
    observed_y: FloatArray
    observed_value: FloatArray
    best: int
    fixed: dict[str, Any]
    direction: str


def _settings(study: StudyView, acquisition: str | None) -> tuple[str, float | None, bool]:
    from podbor.samplers._gp.sampler import GPSampler

    sampler = getattr(study, "sampler", None)
    if isinstance(sampler, GPSampler):
        kind, beta, deterministic = (
            sampler.acquisition,
            sampler.beta,
            sampler.deterministic_objective,
        )
    else:
        kind, beta, deterministic = "logei", None, False
    chosen = check_choice(acquisition, "acquisition", _ACQUISITIONS, owner=_OWNER, allow_none=True)
    return kind if chosen is None else chosen, beta, deterministic


def _check_param(model: StudyModel | None, param: object, name: str = "param") -> int:
    names = [] if model is None else model.encoder.names
    dists = [] if model is None else model.encoder.distributions
    numeric = [n for n, d in zip(names, dists) if not isinstance(d, CategoricalDistribution)]
    if param not in numeric:
        allowed = f"a numeric parameter that every complete trial has, one of {numeric}"
        raise invalid_argument(name, param, allowed, owner=_OWNER)
    return names.index(str(param))


def _to_axis(dist: BaseDistribution, u: FloatArray) -> FloatArray:
    """Unit-interval encodings (any shape) to the parameter's scale, without rounding."""
    lo, hi, log = transformed_bounds(dist)
    t = lo + np.asarray(u, dtype=float) * (hi - lo)
    return np.exp(t) if log else t


def _posterior_samples(
    model: StudyModel, x: FloatArray, n_samples: int, rng: np.random.Generator
) -> FloatArray:
    """``n_samples x m`` draws of the latent function at ``x`` (``m x d``), standardized."""
    from podbor.samplers._gp.model import robust_cholesky

    mean, cov = model.gp.joint(x)
    chol = robust_cholesky(cov + 1e-9 * model.gp.params.signal_var * np.eye(x.shape[0]))
    draws: FloatArray = mean[None, :] + rng.standard_normal((n_samples, x.shape[0])) @ chol.T
    return draws


def _param_names(param: str | Sequence[str]) -> list[str]:
    """One or two parameter names, from a name or a sequence of one or two."""
    if isinstance(param, str):
        return [param]
    names = list(param) if isinstance(param, Sequence) else []
    if not 1 <= len(names) <= 2 or len(set(names)) != len(names):
        raise invalid_argument(
            "param", param, "a parameter name or a sequence of two different ones", owner=_OWNER
        )
    return names


@overload
def gp_plot_data(
    study: StudyView,
    param: str,
    *,
    n_samples: int = 3,
    acquisition: str | None = None,
    n_points: int | None = None,
    seed: int = 0,
) -> GPPlotData: ...


@overload
def gp_plot_data(
    study: StudyView,
    param: tuple[str, str],
    *,
    n_samples: int = 3,
    acquisition: str | None = None,
    n_points: int | None = None,
    seed: int = 0,
) -> GPContourData: ...


@overload
def gp_plot_data(
    study: StudyView,
    param: Sequence[str],
    *,
    n_samples: int = 3,
    acquisition: str | None = None,
    n_points: int | None = None,
    seed: int = 0,
) -> GPPlotData | GPContourData: ...


def gp_plot_data(
    study: StudyView,
    param: str | Sequence[str],
    *,
    n_samples: int = 3,
    acquisition: str | None = None,
    n_points: int | None = None,
    seed: int = 0,
) -> GPPlotData | GPContourData:
    """Fit the GP on a study's complete trials and slice it along one or two parameters.

    Args:
        study: A single-objective study with at least one complete trial.
        param: A numeric parameter of the joint search space of the complete trials (a 1-D
            slice, :class:`GPPlotData`), or a pair of them (a 2-D grid, :class:`GPContourData`).
        n_samples: Number of posterior sample paths (1-D only).
        acquisition: ``"logei"``, ``"ei"``, ``"pi"`` or ``"ucb"``; by default the study's
            :class:`~podbor.samplers.GPSampler`'s, else ``"logei"``.
        n_points: Number of points along each axis; by default 200 (1-D) or 60 (2-D).
        seed: Seed of the sample paths.

    Returns:
        The arrays to draw.

    Raises:
        InvalidArgumentError: If ``param`` is not a numeric parameter of every complete trial (or
            a pair of different ones), or an argument is out of range.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=6)
        >>> data = gp_plot_data(study, "x", n_points=50)
        >>> data.x.shape, data.samples.shape, data.observed_x.shape
        ((50,), (3, 50), (6,))
        >>> study2 = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study2.optimize(lambda t: t.suggest_float("x", -2, 2) * t.suggest_float("y", 0, 1),
        ...                 n_trials=5)
        >>> gp_plot_data(study2, ("x", "y"), n_points=20).mean.shape
        (20, 20)
    """
    from podbor.samplers._gp.study_model import fit_study_model, single_threaded_blas

    if len(study.directions) != 1:
        raise invalid_argument("study", study, "a single-objective study", owner=_OWNER)
    names = _param_names(param)
    n_samples = check_int(n_samples, "n_samples", owner=_OWNER, minimum=0)
    if n_points is None:
        n_points = _DEFAULT_POINTS[len(names)]
    n_points = check_int(n_points, "n_points", owner=_OWNER, minimum=2)
    kind, beta, deterministic = _settings(study, acquisition)
    with single_threaded_blas():
        model = fit_study_model(study, deterministic_objective=deterministic)
        columns = [_check_param(model, name) for name in names]
        assert model is not None
        if len(columns) == 1:
            rng = np.random.default_rng(seed)
            return _slice(model, columns[0], kind, beta, n_samples, n_points, rng)
        return _grid(model, (columns[0], columns[1]), kind, beta, n_points)


def _acquisition(
    model: StudyModel, kind: str, beta: float | None, points: FloatArray
) -> FloatArray:
    from podbor.samplers._gp.acquisition import Acquisition, ucb_beta

    n, d = model.x_observed.shape
    beta = ucb_beta(n, d) if beta is None else beta
    best = float(np.max(model.gp.y_train))
    values: FloatArray = Acquisition(model.gp, kind, best=best, beta=beta).value(points)
    return values


def _fixed(model: StudyModel, incumbent: FloatArray, plotted: Sequence[int]) -> dict[str, Any]:
    """The values of the parameters not plotted, at the incumbent."""
    decoded = model.encoder.decode(incumbent)
    names, dists = model.encoder.names, model.encoder.distributions
    return {
        name: dist.to_external_repr(decoded[name])
        for j, (name, dist) in enumerate(zip(names, dists))
        if j not in plotted
    }


def _clipped_values(model: StudyModel) -> FloatArray:
    finite = model.y_observed[np.isfinite(model.y_observed)]
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
    return np.clip(model.y_observed, low, high)


def _direction(model: StudyModel) -> str:
    return "maximize" if model.sign > 0 else "minimize"


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
    acq = _acquisition(model, kind, beta, points)
    samples = _posterior_samples(model, points, n_samples, rng)
    dist = model.encoder.distributions[j]
    axis = _to_axis(dist, u)
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
        observed_y=_clipped_values(model),
        fixed=_fixed(model, incumbent, [j]),
        direction=_direction(model),
    )


def _grid(
    model: StudyModel, columns: tuple[int, int], kind: str, beta: float | None, n_points: int
) -> GPContourData:
    jx, jy = columns
    incumbent = model.incumbent()
    u = np.linspace(0.0, 1.0, n_points)
    ux, uy = np.meshgrid(u, u)  # [row = y, column = x]
    points = np.repeat(incumbent[None, :], n_points * n_points, axis=0)
    points[:, jx] = ux.ravel()
    points[:, jy] = uy.ravel()
    mean, var = model.gp.predict(points)
    acq = _acquisition(model, kind, beta, points)
    shape = (n_points, n_points)
    dist_x, dist_y = (model.encoder.distributions[j] for j in columns)
    x_axis, y_axis = _to_axis(dist_x, u), _to_axis(dist_y, u)
    row, col = np.unravel_index(int(np.argmax(acq)), shape)
    best = int(np.argmax(model.gp.y_train[: model.x_observed.shape[0]]))
    return GPContourData(
        params=(model.encoder.names[jx], model.encoder.names[jy]),
        log_scale=(transformed_bounds(dist_x)[2], transformed_bounds(dist_y)[2]),
        x=x_axis,
        y=y_axis,
        mean=model.to_objective_units(mean).reshape(shape),
        std=(model.standardization.scale * np.sqrt(var)).reshape(shape),
        acquisition=acq.reshape(shape),
        acquisition_name=ACQUISITION_LABELS[kind],
        next_point=(float(x_axis[col]), float(y_axis[row])),
        observed_x=_to_axis(dist_x, model.x_observed[:, jx]),
        observed_y=_to_axis(dist_y, model.x_observed[:, jy]),
        observed_value=_clipped_values(model),
        best=best,
        fixed=_fixed(model, incumbent, columns),
        direction=_direction(model),
    )

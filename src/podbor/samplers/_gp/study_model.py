"""Fitting the GP on a training set: the hyper-parameters' schedule, the fit, the fitted model.

:func:`fit_model` fits a GP on a :class:`~podbor.samplers._gp.training.TrainingSet`
(:class:`StudyModel`), refitting its hyper-parameters on the schedule of :class:`KernelFit`;
:mod:`~podbor.samplers._gp.proposal` then proposes the next point from it.
:class:`~podbor.samplers.GPSampler` and the per-branch GPs (:mod:`~podbor.samplers._gp.branches`)
both build on these; :func:`fit_study_model` fits the model of a whole study as the GP sampler
would (for plots). Nothing here touches a storage.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from podbor._arrays import FloatArray
from podbor._records.trial_state import TrialState
from podbor._search_space import SearchSpaceEncoder
from podbor._study_view import StudyView
from podbor.distributions import (
    BaseDistribution,
)
from podbor.exceptions import invalid_argument
from podbor.samplers._branching import SpaceKey
from podbor.samplers._gp.kernels import KernelParams
from podbor.samplers._gp.model import (
    DETERMINISTIC_NOISE,
    GaussianProcess,
    Standardization,
    condition_or_default,
    fit_kernel_params,
    standardize,
    warp_targets,
)
from podbor.samplers._gp.optimize import HIGH_DIM, SearchDims
from podbor.samplers._gp.training import (
    TrainingSet,
    objective_sign,
    relative_space,
    search_dims,
    space_key,
)
from podbor.samplers._intersection import IntersectionSearchSpace

__all__ = [
    "LOCAL_JITTER",
    "N_LOCAL_STARTS",
    "REFIT_ALWAYS_BELOW",
    "REFIT_GROWTH",
    "REFIT_GROWTH_HIGH_DIM",
    "KernelFit",
    "StudyModel",
    "fit_model",
    "fit_study_model",
    "single_threaded_blas",
]

N_LOCAL_STARTS = 3
"""The best observations, slightly perturbed, are always refined by the acquisition optimizer."""
LOCAL_JITTER = 1e-3
"""Standard deviation of that perturbation in the unit cube (continuous columns only)."""
REFIT_ALWAYS_BELOW = 64
"""Below this many training points the hyper-parameters are fitted again for every proposal."""
REFIT_GROWTH = 1 / 16
"""From then on, once the training set has grown by this fraction since the last fit."""
REFIT_GROWTH_HIGH_DIM = 1 / 8
"""The same from :data:`~podbor.samplers._gp.optimize.HIGH_DIM` parameters on, where a fit costs
~15 ms (every 16th trial at 128 points instead of every 8th; the same 10-seed medians on the
20-parameter problems, ``benchmarks/README.md``, session 36)."""


@dataclass(frozen=True)
class KernelFit:
    """The hyper-parameters a sampler fitted last on one search space, and on how many points.

    A fit costs dozens of likelihood evaluations of ``O(n³)`` each, and on a long history one
    more point hardly moves the maximum a posteriori (GPyOpt's ``model_update_interval`` and
    SMAC's refit schedule rest on the same observation). So a sampler fits again for every
    proposal while the history is short (:data:`REFIT_ALWAYS_BELOW`), then whenever it has grown
    by :data:`REFIT_GROWTH` (every 10th trial at 160 points; by :data:`REFIT_GROWTH_HIGH_DIM`
    from 16 parameters on), and in between conditions the GP on every point with the last fit's
    hyper-parameters. The schedule depends only on the number of points and parameters, so a
    seeded study stays reproducible. On the 20-parameter problems of
    ``benchmarks/sample_efficiency.py`` it saves a quarter of the default's time per trial at
    150 trials, with the same regret (``benchmarks/README.md``).

    Attributes:
        key: The search space the hyper-parameters belong to.
        params: One set per modelled objective.
        n_points: The training points of that fit.
        warped: Whether that fit's targets were warped (:func:`warp_targets`); a fit on the
            other kind of targets is due at once.

    Example:
        >>> from podbor.distributions import FloatDistribution
        >>> key = space_key({"x": FloatDistribution(0, 1)})
        >>> last = KernelFit(key, (), n_points=100)
        >>> [KernelFit.plan(last, key, n, n_models=0)[1] for n in (100, 106, 107, 40)]
        [False, False, True, True]
        >>> KernelFit.plan(last, space_key({"y": FloatDistribution(0, 1)}), 100, n_models=0)
        (None, True)
        >>> KernelFit.plan(last, key, 100, n_models=0, warped=False)  # targets of another kind
        ((), True)
    """

    key: SpaceKey
    params: tuple[KernelParams, ...]
    n_points: int
    warped: bool = True

    @staticmethod
    def plan(
        last: KernelFit | None,
        key: SpaceKey,
        n_points: int,
        *,
        n_models: int,
        warped: bool = True,
    ) -> tuple[tuple[KernelParams, ...] | None, bool]:
        """What to do for ``n_models`` GPs on ``n_points`` points of ``key``, after ``last``.

        Returns:
            ``(start, refit)``: the hyper-parameters to start from or to condition on (the last
            fit's, on the same space and as many models; else None, to fit from the defaults),
            and whether to fit them now (always when ``start`` is None).
        """
        if last is None or last.key != key or len(last.params) != n_models:
            return None, True
        growth = REFIT_GROWTH_HIGH_DIM if len(key) >= HIGH_DIM else REFIT_GROWTH
        refit = (
            warped != last.warped
            or n_points < REFIT_ALWAYS_BELOW
            or n_points < last.n_points
            or n_points >= last.n_points * (1.0 + growth)
        )
        return last.params, refit


# -- BLAS threads --------------------------------------------------------------------------------
@functools.cache
def _blas_controller() -> Any:
    try:
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:
        return None
    return threadpoolctl.ThreadpoolController()


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the block with one BLAS thread, when ``threadpoolctl`` is installed.

    The GP's matrices have a few hundred rows: splitting their products and factorizations over
    threads costs more than it saves, and on a busy machine it costs several times the work
    itself. Without ``threadpoolctl`` the block runs unchanged.

    Example:
        >>> with single_threaded_blas():
        ...     float(np.linalg.det(np.eye(2)))
        1.0
    """
    controller = _blas_controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=1, user_api="blas"):  # as a context: it frees the control
        yield


# -- the model -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StudyModel:
    """A GP fitted on a study's complete trials, with what is needed to read it in its units.

    Attributes:
        encoder: The encoding of the search space's columns.
        dims: How each column is searched.
        gp: The GP on standardized, maximized targets (fantasies included, if any).
        standardization: Maps standardized targets back to ``sign * value``.
        sign: +1 for a maximized objective, -1 for a minimized one.
        x_observed: Shape ``n x d``, encodings of the complete trials.
        y_observed: Shape ``n``, their objective values (±inf kept).
    """

    encoder: SearchSpaceEncoder
    dims: SearchDims
    gp: GaussianProcess
    standardization: Standardization
    sign: float
    x_observed: FloatArray
    y_observed: FloatArray

    def to_objective_units(self, z: FloatArray) -> FloatArray:
        """Map standardized, maximized values (any shape) to objective values."""
        return self.sign * self.standardization.to_raw(z)

    def incumbent(self) -> FloatArray:
        """The encoding of the best observation, shape ``d``."""
        best = int(np.argmax(self.gp.y_train[: self.x_observed.shape[0]]))
        return np.array(self.x_observed[best], dtype=np.float64)


def fit_model(
    training: TrainingSet,
    *,
    deterministic: bool,
    initial: KernelParams | None,
    warp: bool = False,
    objective: int = 0,
    target: FloatArray | None = None,
    refit: bool = True,
) -> StudyModel:
    """Fit the GP's hyper-parameters on a (non-empty) training set and condition it.

    Args:
        training: The complete trials of the search space.
        deterministic: Fix the noise at a tiny value instead of learning it.
        initial: Hyper-parameters to start the fit from (the previous fit's), or None.
        refit: False to condition on ``initial`` as it is, without a fit (see
            :class:`KernelFit`); ignored when ``initial`` is None.
        warp: Warp the standardized targets (the samplers' model; plots keep the objective's own
            units).
        objective: The column of ``training.targets`` to model (the objective's index).
        target: A maximized target per row to model instead of an objective (a scalarization
            of several; its sign is +1).

    Example:
        >>> import podbor
        >>> from podbor.distributions import FloatDistribution
        >>> from podbor.trial import create_trial
        >>> x = FloatDistribution(0, 4)
        >>> study = podbor.create_study()
        >>> for v in (0.5, 2.0, 3.5):
        ...     study.add_trial(create_trial(params={"x": v}, distributions={"x": x}, value=v))
        >>> training = TrainingSet(space_key({"x": x}), sign=-1.0)
        >>> training.update(study.trials)
        >>> fit_model(training, deterministic=True, initial=None).incumbent().tolist()
        [0.125]
    """
    sign = training.signs[objective] if target is None else 1.0
    y = training.targets[:, objective] if target is None else target
    z, how = standardize(y)
    if warp:
        z = warp_targets(z)
    is_cat = training.encoder.is_categorical
    noise = DETERMINISTIC_NOISE if deterministic else None
    if refit or initial is None:
        params = fit_kernel_params(training.x, z, is_cat, initial=initial, fixed_noise=noise)
    else:
        params = initial
    gp = condition_or_default(training.x, z, is_cat, params, noise)
    return StudyModel(
        training.encoder,
        search_dims(training.encoder),
        gp,
        how,
        sign,
        training.x,
        sign * y,
    )


def fit_study_model(
    study: StudyView,
    *,
    deterministic_objective: bool = False,
    search_space: Mapping[str, BaseDistribution] | None = None,
) -> StudyModel | None:
    """Fit a GP on a single-objective study's complete trials, as :class:`GPSampler` would.

    Args:
        study: The study (only its ``StudyView`` is used).
        deterministic_objective: Fix the noise at a tiny value instead of learning it.
        search_space: The columns; by default the intersection search space of the complete trials
            without single-value distributions.

    Returns:
        The fitted model, or None when there is no complete trial with a parameter to model.

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 4), n_trials=4)
        >>> fit_study_model(study).x_observed.shape
        (4, 1)
    """
    if len(study.directions) != 1:
        raise invalid_argument("study", study, "a single-objective study", owner="fit_study_model")
    if search_space is None:
        search_space = relative_space(IntersectionSearchSpace().calculate(study))
    if not search_space:
        return None
    training = TrainingSet(space_key(search_space), objective_sign(study))
    training.update(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    if training.y.size == 0:
        return None
    return fit_model(training, deterministic=deterministic_objective, initial=None)

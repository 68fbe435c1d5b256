"""``GPSampler``: the adapter between a study's trials and the GP maths of this package.

The sampler translates finished trials into one ``(n x d)`` array in the shared unit-cube
encoding (grown incrementally: finished trials never change), fits the model
(:mod:`~podbor.samplers._gp.model`), adds running trials as fantasized observations, maximizes the
acquisition (:mod:`~podbor.samplers._gp.acquisition`, :mod:`~podbor.samplers._gp.optimize`) and
decodes the winner back into parameter values. It knows nothing of storages.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import math
import numbers
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from podbor._search_space import SearchSpaceEncoder, from_unit, to_unit
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import invalid_argument
from podbor.logging import get_logger
from podbor.samplers._base import BaseSampler
from podbor.samplers._branching import SpaceKey
from podbor.samplers._gp.acquisition import ACQUISITIONS, Acquisition, ucb_beta
from podbor.samplers._gp.kernels import FloatArray, KernelParams
from podbor.samplers._gp.model import (
    DETERMINISTIC_NOISE,
    GaussianProcess,
    IllConditionedError,
    Standardization,
    default_params,
    fit_kernel_params,
    standardize,
    warp_targets,
)
from podbor.samplers._gp.optimize import SearchDims
from podbor.samplers._gp.trust_region import TrustRegion, maximize_in_region, trust_region_box
from podbor.samplers._intersection import IntersectionSearchSpace
from podbor.samplers._random import RandomSampler
from podbor.trial._frozen import FrozenTrial
from podbor.trial._state import TrialState

__all__ = ["GPSampler", "StudyModel", "fit_study_model", "single_threaded_blas"]

_logger = get_logger(__name__)
_OWNER = "GPSampler"
_GRID_MAX = 4096
"""Discrete columns with more values than this are relaxed and only snapped, never enumerated."""
_ENUMERATE_MAX = 32
"""Discrete columns with more values than this are also refined by L-BFGS-B (then snapped)."""
_N_LOCAL_STARTS = 3
"""The best observations, slightly perturbed, are always refined by the acquisition optimizer."""
_LOCAL_JITTER = 1e-3
"""Standard deviation of that perturbation in the unit cube (continuous columns only)."""


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
    """
    controller = _blas_controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=1, user_api="blas"):  # as a context: it frees the control
        yield


# -- the search space as columns --------------------------------------------------------------
def _grid(dist: BaseDistribution) -> FloatArray | None:
    """Encodings of every value of a discrete distribution (sorted), or None if continuous/huge."""
    if isinstance(dist, CategoricalDistribution):
        values = np.arange(len(dist.choices), dtype=float)
    elif isinstance(dist, IntDistribution):
        count = (dist.high - dist.low) // dist.step + 1
        if count > _GRID_MAX:
            return None
        values = dist.low + dist.step * np.arange(count, dtype=float)
    elif isinstance(dist, FloatDistribution) and dist.step is not None:
        count = round((dist.high - dist.low) / dist.step) + 1
        if count > _GRID_MAX:
            return None
        values = np.minimum(dist.low + dist.step * np.arange(count, dtype=float), dist.high)
    else:
        return None
    return np.sort(to_unit(dist, values))


def _is_discrete(dist: BaseDistribution) -> bool:
    return isinstance(dist, (CategoricalDistribution, IntDistribution)) or (
        isinstance(dist, FloatDistribution) and dist.step is not None
    )


def search_dims(encoder: SearchSpaceEncoder) -> SearchDims:
    """How each encoded column is searched by the acquisition optimizer."""
    grids = [_grid(d) for d in encoder.distributions]
    continuous = np.array(
        [
            not isinstance(d, CategoricalDistribution) and (g is None or g.size > _ENUMERATE_MAX)
            for d, g in zip(encoder.distributions, grids)
        ],
        dtype=bool,
    )
    return SearchDims(continuous, grids, _snapper(encoder))


def _snapper(encoder: SearchSpaceEncoder) -> Callable[[FloatArray], FloatArray]:
    discrete = [j for j, d in enumerate(encoder.distributions) if _is_discrete(d)]

    def snap(x: FloatArray) -> FloatArray:
        out = np.clip(x, 0.0, 1.0)
        for j in discrete:
            dist = encoder.distributions[j]
            out[:, j] = to_unit(dist, from_unit(dist, out[:, j]))
        return out

    return snap


# -- the training data ---------------------------------------------------------------------------
def _encode_trials(encoder: SearchSpaceEncoder, trials: Sequence[FrozenTrial]) -> FloatArray:
    """Encode trials that hold every parameter of the encoder's space: ``(n x d)``."""
    internal: list[Mapping[str, float]] = [
        {
            name: dist.to_internal_repr(t.params[name])
            for name, dist in zip(encoder.names, encoder.distributions)
        }
        for t in trials
    ]
    return encoder.encode(internal)


def _in_space(trial: FrozenTrial, key: SpaceKey) -> bool:
    return all(trial.distributions.get(name) == dist for name, dist in key)


class _TrainingSet:
    """The complete trials of one search space as arrays, grown incrementally by trial number.

    ``x`` is ``(n x d)`` in the unit-cube encoding; ``y`` (``n``) holds the objective values
    multiplied by ``sign`` (+1 to maximize, -1 to minimize), so that larger is always better;
    ``trial_numbers`` (``n``) are the trial numbers of the rows.
    """

    def __init__(self, key: SpaceKey, sign: float) -> None:
        self.key = key
        self.sign = sign
        self.encoder = SearchSpaceEncoder(dict(key))
        self.x: FloatArray = np.empty((0, len(key)))
        self.y: FloatArray = np.empty(0)
        self.trial_numbers: list[int] = []
        self._seen: set[int] = set()
        self.whole = True  # no trial so far has a parameter outside the key (none conditional)

    def update(self, completes: Sequence[FrozenTrial]) -> None:
        """Append the complete trials not seen yet (finished trials never change)."""
        new = [t for t in completes if t.number not in self._seen]
        self._seen.update(t.number for t in new)
        new = [t for t in new if t.value is not None and _in_space(t, self.key)]
        if not new:
            return
        size = len(self.key)
        self.whole = self.whole and all(
            sum(not d.single() for d in t.distributions.values()) == size for t in new
        )
        self.x = np.vstack([self.x, _encode_trials(self.encoder, new)])
        self.trial_numbers.extend(t.number for t in new)
        self.y = np.concatenate([self.y, self.sign * np.array([t.value for t in new], dtype=float)])


# -- the model of a study ----------------------------------------------------------------------
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


def _condition(
    x: FloatArray,
    z: FloatArray,
    is_cat: np.ndarray[Any, np.dtype[np.bool_]],
    params: KernelParams,
    fixed_noise: float | None,
) -> GaussianProcess:
    """Condition the GP, falling back to the prior-median hyper-parameters when ill-posed."""
    try:
        return GaussianProcess.condition(x, z, is_cat, params)
    except IllConditionedError:
        _logger.warning(
            "GPSampler: the fitted kernel is ill-conditioned; using default hyper-parameters."
        )
        return GaussianProcess.condition(
            x, z, is_cat, default_params(is_cat, noise_var=fixed_noise)
        )


def _fit(
    training: _TrainingSet,
    *,
    deterministic: bool,
    initial: KernelParams | None,
    warp: bool = False,
) -> StudyModel:
    z, how = standardize(training.y)
    if warp:  # the sampler's model; pictures keep the objective's own units
        z = warp_targets(z)
    is_cat = training.encoder.is_categorical
    noise = DETERMINISTIC_NOISE if deterministic else None
    params = fit_kernel_params(training.x, z, is_cat, initial=initial, fixed_noise=noise)
    gp = _condition(training.x, z, is_cat, params, noise)
    return StudyModel(
        training.encoder,
        search_dims(training.encoder),
        gp,
        how,
        training.sign,
        training.x,
        training.sign * training.y,
    )


def believe(gp: GaussianProcess, x_running: FloatArray) -> GaussianProcess:
    """The "kriging believer" (Ginsbourger, Le Riche & Carraro 2010): ``gp`` conditioned as if the
    running trials at ``x_running`` (``m x d``) had returned its posterior mean there, so that
    parallel workers do not all propose the same point. Returns ``gp`` itself when ``m = 0``."""
    if not x_running.size:
        return gp
    believed = gp.predict(x_running)[0]
    return GaussianProcess.condition(
        np.vstack([gp.x_train, x_running]),
        np.concatenate([gp.y_train, believed]),
        gp.is_categorical,
        gp.params,
    )


def _sign(study: StudyView) -> float:
    return 1.0 if study.directions[0] == StudyDirection.MAXIMIZE else -1.0


def fit_study_model(
    study: StudyView,
    *,
    deterministic_objective: bool = False,
    search_space: Mapping[str, BaseDistribution] | None = None,
) -> StudyModel | None:
    """Fit a GP on a single-objective study's complete trials, as :class:`GPSampler` would.

    Args:
        study: The study (only its :class:`~podbor._study_view.StudyView` is used).
        deterministic_objective: Fix the noise at a tiny value instead of learning it.
        search_space: The columns; by default the intersection search space of the complete trials
            without single-value distributions.

    Returns:
        The fitted model, or None when there is no complete trial with a parameter to model.
    """
    if len(study.directions) != 1:
        raise invalid_argument("study", study, "a single-objective study", owner="fit_study_model")
    if search_space is None:
        search_space = _relative_space(IntersectionSearchSpace().calculate(study))
    if not search_space:
        return None
    key = tuple(sorted(search_space.items(), key=lambda kv: kv[0]))
    training = _TrainingSet(key, _sign(study))
    training.update(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    if training.y.size == 0:
        return None
    return _fit(training, deterministic=deterministic_objective, initial=None)


def _relative_space(space: Mapping[str, BaseDistribution]) -> dict[str, BaseDistribution]:
    return {name: dist for name, dist in space.items() if not dist.single()}


# -- the sampler ---------------------------------------------------------------------------------
def _check_args(
    seed: Any,
    n_startup_trials: Any,
    acquisition: Any,
    beta: Any,
    independent_sampler: Any,
    trust_region: Any,
) -> None:
    if not isinstance(trust_region, bool):
        raise invalid_argument("trust_region", trust_region, "True or False", owner=_OWNER)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise invalid_argument("seed", seed, "an int or None", owner=_OWNER)
    if (
        isinstance(n_startup_trials, bool)
        or not isinstance(n_startup_trials, numbers.Integral)
        or n_startup_trials < 0
    ):
        raise invalid_argument("n_startup_trials", n_startup_trials, "an int >= 0", owner=_OWNER)
    if acquisition not in ACQUISITIONS:
        allowed = "one of " + ", ".join(repr(a) for a in ACQUISITIONS)
        raise invalid_argument("acquisition", acquisition, allowed, owner=_OWNER)
    if beta is not None and (
        isinstance(beta, bool)
        or not isinstance(beta, numbers.Real)
        or not math.isfinite(beta)
        or beta < 0
    ):
        raise invalid_argument("beta", beta, "a finite number >= 0 or None", owner=_OWNER)
    if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
        raise invalid_argument(
            "independent_sampler", independent_sampler, "a BaseSampler or None", owner=_OWNER
        )


class GPSampler(BaseSampler):
    """Bayesian optimization with a Gaussian process: a model of the metric, and an acquisition
    function that trades exploration (large σ) against exploitation (good μ).

    After ``n_startup_trials`` complete trials, each new trial fits a GP (Matérn-5/2 ARD on the
    unit-cube encoding, a mismatch kernel on categoricals, maximum a posteriori hyper-parameters)
    to the complete trials of the intersection search space, and proposes the point that
    maximizes the acquisition function. Trials still running enter as fantasized observations
    (the "kriging believer": the posterior mean at their points, Ginsbourger, Le Riche & Carraro
    2010), so that parallel workers propose different points. Parameters outside the joint search
    space (conditional or changing ones), the startup trials and multi-objective studies use
    ``independent_sampler``.

    Args:
        seed: Seed of the sampler's random generator (candidate points, startup trials).
        n_startup_trials: Complete trials drawn by ``independent_sampler`` before the GP is used.
        acquisition: ``"logei"`` (log expected improvement, the default: as EI, but with a useful
            gradient where EI underflows), ``"ei"``, ``"pi"`` (log probability of improvement) or
            ``"ucb"`` (``μ + β σ``).
        beta: UCB's multiplier of σ; None for the schedule of
            :func:`~podbor.samplers._gp.acquisition.ucb_beta` (Srinivas et al. 2010, scaled down
            as in their experiments), which grows slowly with the number of trials.
        deterministic_objective: The objective has no noise: the noise variance is fixed at a
            tiny value and no point already evaluated (or being evaluated) is proposed again.
            (On a search space that is all grid — ints, steps, categoricals — and the same in
            every trial, tried points are never proposed again in any case.)
        independent_sampler: The sampler of startup trials and of parameters outside the joint
            space; a :class:`~podbor.samplers.RandomSampler` with ``seed`` by default.
        trust_region: Maximize the acquisition only inside a box around the incumbent that
            doubles after 3 improvements in a row and halves after ``max(4, d)`` trials without
            one (TuRBO's rule, Eriksson et al. 2019; see
            :mod:`~podbor.samplers._gp.trust_region`), instead of over the whole space. Fewer
            trials go to the faces and corners of the space, where a GP in several dimensions
            is most uncertain and most objectives are worst; ``AutoSampler`` turns it on.
        warn_independent_sampling: Log one warning per parameter that falls back to
            ``independent_sampler`` after the startup trials.

    Example:
        >>> import podbor
        >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
        >>> sampler = GPSampler(seed=0, n_startup_trials=5)
        >>> study = podbor.create_study(sampler=sampler)
        >>> study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=15)
        >>> abs(study.best_params["x"] - 1) < 0.1
        True
        >>> podbor.logging.set_verbosity(podbor.logging.INFO)
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        acquisition: str = "logei",
        beta: float | None = None,
        deterministic_objective: bool = False,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
        trust_region: bool = False,
    ) -> None:
        _check_args(seed, n_startup_trials, acquisition, beta, independent_sampler, trust_region)
        self._seed = seed
        self._rng = np.random.default_rng(seed)
        self._n_startup_trials = int(n_startup_trials)
        self._acquisition = acquisition
        self._beta = None if beta is None else float(beta)
        self._deterministic = bool(deterministic_objective)
        self._independent = independent_sampler or RandomSampler(seed=seed)
        self._warn_independent = bool(warn_independent_sampling)
        self._trust_region = trust_region
        self._lock = threading.RLock()
        self._warned: set[str] = set()
        self._new_caches()

    def _new_caches(self) -> None:
        """What the sampler learns from one study: rebuilt, never copied or pickled."""
        self._search_space = IntersectionSearchSpace()
        self._training: _TrainingSet | None = None
        self._params: tuple[SpaceKey, KernelParams] | None = None
        self._region: tuple[_TrainingSet, TrustRegion] | None = None
        self._pending: dict[int, tuple[SpaceKey, FloatArray]] = {}
        self._unmodelled: set[int] = set()

    def __getstate__(self) -> dict[str, Any]:
        """Copies and pickles keep the settings and the random state, not the study caches."""
        state = super().__getstate__()
        for cache in (
            "_search_space",
            "_training",
            "_params",
            "_region",
            "_pending",
            "_unmodelled",
        ):
            state.pop(cache, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._new_caches()

    @property
    def acquisition(self) -> str:
        """The name of the acquisition function (one of ``'logei'``, ``'ei'``, ``'pi'``, ``'ucb'``)."""
        return self._acquisition

    @property
    def beta(self) -> float | None:
        """UCB's multiplier of σ, or None for the default schedule."""
        return self._beta

    @property
    def deterministic_objective(self) -> bool:
        """Whether the objective is taken to be noiseless."""
        return self._deterministic

    @property
    def trust_region(self) -> bool:
        """Whether the acquisition is maximized inside a trust region around the incumbent."""
        return self._trust_region

    # -- BaseSampler ------------------------------------------------------------------------
    def reseed_rng(self) -> None:
        with self._lock:
            self._rng = np.random.default_rng()
        self._independent.reseed_rng()

    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if len(study.directions) != 1:
            return {}
        return _relative_space(self._search_space.calculate(study))

    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space or len(study.directions) != 1:
            return {}
        with self._lock:
            training, point = self._model_proposal(study, trial, search_space)
            if training is None or point is None:
                self._unmodelled.add(trial.number)  # its parameters go to the independent sampler
                return {}
            self._pending[trial.number] = (training.key, point)
        internal = training.encoder.decode(point)
        return {name: search_space[name].to_external_repr(v) for name, v in internal.items()}

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        with self._lock:
            self._maybe_warn(study, trial, param_name, param_distribution)
        return self._independent.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: StudyView, trial: FrozenTrial) -> None:
        self._independent.before_trial(study, trial)

    def after_trial(
        self,
        study: StudyView,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        with self._lock:
            self._pending.pop(trial.number, None)
            self._unmodelled.discard(trial.number)
        self._independent.after_trial(study, trial, state, values)

    def __repr__(self) -> str:
        return (
            f"GPSampler(seed={self._seed}, n_startup_trials={self._n_startup_trials}, "
            f"acquisition={self._acquisition!r}, beta={self._beta}, "
            f"deterministic_objective={self._deterministic}, trust_region={self._trust_region})"
        )

    # -- helpers ----------------------------------------------------------------------------
    def _model_proposal(
        self, study: StudyView, trial: FrozenTrial, space: Mapping[str, BaseDistribution]
    ) -> tuple[_TrainingSet | None, FloatArray | None]:
        """The training set and the GP's proposal, or None for either when there is none yet."""
        completes = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if len(completes) < max(self._n_startup_trials, 1):
            return None, None
        training = self._training_set(space, _sign(study))
        training.update(completes)
        if training.y.size == 0:
            return None, None
        try:
            with single_threaded_blas():
                return training, self._propose(study, trial, training)
        except (np.linalg.LinAlgError, ValueError) as err:
            _logger.warning(f"GPSampler could not propose a point ({err}); sampling randomly.")
            return training, None

    def _maybe_warn(
        self, study: StudyView, trial: FrozenTrial, name: str, dist: BaseDistribution
    ) -> None:
        if not self._warn_independent or dist.single() or name in self._warned:
            return
        if trial.number in self._unmodelled:  # startup, or no proposal: nothing to warn about
            return
        if len(study.directions) != 1:
            self._warned.add(name)
            _logger.warning(
                f"GPSampler models single-objective studies only; {name!r} of this "
                f"{len(study.directions)}-objective study is sampled by {self._independent!r}."
            )
            return
        n_complete = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
        if n_complete < self._n_startup_trials:
            return
        self._warned.add(name)
        _logger.warning(
            f"GPSampler: the parameter {name!r} is not in the joint search space of the complete "
            f"trials (it is conditional, or its distribution changed), so it is sampled by "
            f"{self._independent!r}. This warning is shown once per parameter."
        )

    def _training_set(self, space: Mapping[str, BaseDistribution], sign: float) -> _TrainingSet:
        key: SpaceKey = tuple(sorted(space.items(), key=lambda kv: kv[0]))
        if self._training is None or self._training.key != key or self._training.sign != sign:
            self._training = _TrainingSet(key, sign)
        return self._training

    def _running_points(
        self, study: StudyView, trial: FrozenTrial, key: SpaceKey, encoder: SearchSpaceEncoder
    ) -> FloatArray:
        """Encodings of the other running trials: stored params, or our pending proposal."""
        running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        alive = {t.number for t in running}
        for number in [n for n in self._pending if n not in alive]:
            del self._pending[number]
        rows: list[FloatArray] = []
        for t in running:
            if t.number == trial.number:
                continue
            if _in_space(t, key) and all(name in t.params for name, _ in key):
                rows.append(_encode_trials(encoder, [t])[0])
            elif t.number in self._pending and self._pending[t.number][0] == key:
                rows.append(self._pending[t.number][1])
        return np.array(rows).reshape(len(rows), len(key))

    def _propose(
        self, study: StudyView, trial: FrozenTrial, training: _TrainingSet
    ) -> FloatArray | None:
        initial = self._params[1] if self._params and self._params[0] == training.key else None
        model = _fit(training, deterministic=self._deterministic, initial=initial, warp=True)
        self._params = (training.key, model.gp.params)
        gp = model.gp
        x_running = self._running_points(study, trial, training.key, training.encoder)
        gp = believe(gp, x_running)
        n, d = training.x.shape
        beta = self._beta if self._beta is not None else ucb_beta(n, d)
        acq = Acquisition(gp, self._acquisition, best=float(np.max(gp.y_train)), beta=beta)
        best_rows = training.x[np.argsort(-model.gp.y_train)[:_N_LOCAL_STARTS]]
        jitter = self._rng.normal(0.0, _LOCAL_JITTER, best_rows.shape) * model.dims.continuous
        # Never propose a tried point again when that cannot tell anything new: a deterministic
        # objective, or a search space that is all grid (ints, steps, categoricals) and holds
        # every parameter of the trials, where the acquisition otherwise keeps returning to the
        # best point so far. (With conditional parameters outside it, the same point of the
        # joint space is not the same configuration.)
        all_grid = all(_is_discrete(d) for d in training.encoder.distributions)
        avoid = self._deterministic or (all_grid and training.whole)
        exclude = np.vstack([training.x, x_running]) if avoid else None
        bounds = None
        if self._trust_region:
            if self._region is None or self._region[0] is not training:
                self._region = (training, TrustRegion())
            bounds = trust_region_box(self._region[1], model.gp, training.y, model.dims)
        return maximize_in_region(
            acq, model.dims, self._rng, best_rows + jitter, exclude=exclude, bounds=bounds
        )

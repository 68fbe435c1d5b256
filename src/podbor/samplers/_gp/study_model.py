"""The adapter between a study's trials and the GP maths: training data, encoding, fitting.

:class:`TrainingSet` holds the complete trials of one search space as arrays in the shared
unit-cube encoding (grown incrementally: finished trials never change), :func:`fit_model` fits a
GP on it (:class:`StudyModel`), and :func:`search_dims` tells the acquisition optimizer how to
search each column (:mod:`~podbor.samplers._gp.proposal` then proposes the next point).
:class:`~podbor.samplers.GPSampler` and the per-branch GPs
(:mod:`~podbor.samplers._gp.branches`) both build on these; :func:`fit_study_model` fits the
model of a whole study as the GP sampler would (for plots). Nothing here touches a storage.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from podbor._arrays import FloatArray
from podbor._learning_curve import predicted_value
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
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
from podbor.samplers._branching import SpaceKey
from podbor.samplers._common import SeenTrials
from podbor.samplers._gp.feasibility import ConstraintTable
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
from podbor.samplers._gp.optimize import SearchDims
from podbor.samplers._gp.trust_region import TrustRegion
from podbor.samplers._intersection import IntersectionSearchSpace

__all__ = [
    "LOCAL_JITTER",
    "N_LOCAL_STARTS",
    "REFIT_ALWAYS_BELOW",
    "REFIT_GROWTH",
    "KernelFit",
    "StudyModel",
    "TrainingSet",
    "encode_trials",
    "fit_model",
    "fit_study_model",
    "is_discrete",
    "objective_sign",
    "objective_signs",
    "observed_trials",
    "observed_values",
    "relative_space",
    "search_dims",
    "single_threaded_blas",
    "space_key",
]

_GRID_MAX = 4096
"""Discrete columns with more values than this are relaxed and only snapped, never enumerated."""
_ENUMERATE_MAX = 32
"""Discrete columns with more values than this are also refined by L-BFGS-B (then snapped)."""
N_LOCAL_STARTS = 3
"""The best observations, slightly perturbed, are always refined by the acquisition optimizer."""
LOCAL_JITTER = 1e-3
"""Standard deviation of that perturbation in the unit cube (continuous columns only)."""
REFIT_ALWAYS_BELOW = 64
"""Below this many training points the hyper-parameters are fitted again for every proposal."""
REFIT_GROWTH = 1 / 16
"""From then on, once the training set has grown by this fraction since the last fit."""


@dataclass(frozen=True)
class KernelFit:
    """The hyper-parameters a sampler fitted last on one search space, and on how many points.

    A fit costs dozens of likelihood evaluations of ``O(n³)`` each, and on a long history one
    more point hardly moves the maximum a posteriori (GPyOpt's ``model_update_interval`` and
    SMAC's refit schedule rest on the same observation). So a sampler fits again for every
    proposal while the history is short (:data:`REFIT_ALWAYS_BELOW`), then whenever it has grown
    by :data:`REFIT_GROWTH` (every 10th trial at 160 points), and in between conditions the GP
    on every point with the last fit's hyper-parameters. The schedule depends only on the
    number of points, so a seeded study stays reproducible. On the 20-parameter problems of
    ``benchmarks/sample_efficiency.py`` it saves a quarter of the default's time per trial at
    150 trials, with the same regret (``benchmarks/README.md``).

    Attributes:
        key: The search space the hyper-parameters belong to.
        params: One set per modelled objective.
        n_points: The training points of that fit.
        warped: Whether that fit's targets were warped (:func:`warp_targets`); a fit on the
            other kind of targets is due at once.

    Example:
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
        refit = (
            warped != last.warped
            or n_points < REFIT_ALWAYS_BELOW
            or n_points < last.n_points
            or n_points >= last.n_points * (1.0 + REFIT_GROWTH)
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


# -- the search space as columns ---------------------------------------------------------------
def is_discrete(dist: BaseDistribution) -> bool:
    """Whether a distribution is a grid: categorical, int, or float with a step.

    Example:
        >>> is_discrete(IntDistribution(0, 3)), is_discrete(FloatDistribution(0, 1))
        (True, False)
    """
    return isinstance(dist, (CategoricalDistribution, IntDistribution)) or (
        isinstance(dist, FloatDistribution) and dist.step is not None
    )


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


def search_dims(encoder: SearchSpaceEncoder) -> SearchDims:
    """How each encoded column is searched by the acquisition optimizer.

    Example:
        >>> space = {"n": IntDistribution(0, 2), "x": FloatDistribution(0, 1)}
        >>> dims = search_dims(SearchSpaceEncoder(space))
        >>> dims.continuous.tolist(), dims.grids[0].round(3).tolist(), dims.grids[1]
        ([False, True], [0.167, 0.5, 0.833], None)
    """
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
    discrete = [j for j, d in enumerate(encoder.distributions) if is_discrete(d)]

    def snap(x: FloatArray) -> FloatArray:
        out = np.clip(x, 0.0, 1.0)
        for j in discrete:
            dist = encoder.distributions[j]
            out[:, j] = to_unit(dist, from_unit(dist, out[:, j]))
        return out

    return snap


def space_key(space: Mapping[str, BaseDistribution]) -> SpaceKey:
    """A search space as sorted ``(name, distribution)`` pairs: hashable and comparable.

    Example:
        >>> [name for name, _ in space_key({"y": FloatDistribution(0, 1),
        ...                                 "x": FloatDistribution(0, 1)})]
        ['x', 'y']
    """
    return tuple(sorted(space.items(), key=lambda kv: kv[0]))


def relative_space(space: Mapping[str, BaseDistribution]) -> dict[str, BaseDistribution]:
    """The parameters of ``space`` a model can learn: those with more than one value.

    Example:
        >>> list(relative_space({"x": FloatDistribution(0, 1), "c": IntDistribution(2, 2)}))
        ['x']
    """
    return {name: dist for name, dist in space.items() if not dist.single()}


def objective_signs(study: StudyView) -> tuple[float, ...]:
    """Per objective, +1 when it is maximized and -1 when it is minimized.

    Example:
        >>> import podbor
        >>> objective_signs(podbor.create_study(directions=["minimize", "maximize"]))
        (-1.0, 1.0)
    """
    return tuple(1.0 if d == StudyDirection.MAXIMIZE else -1.0 for d in study.directions)


def objective_sign(study: StudyView) -> float:
    """+1 when the study's (first) objective is maximized, -1 when it is minimized.

    Example:
        >>> import podbor
        >>> objective_sign(podbor.create_study(direction="maximize"))
        1.0
    """
    return objective_signs(study)[0]


# -- the training data ---------------------------------------------------------------------------
def observed_values(trial: FrozenTrial) -> list[float] | None:
    """What a finished trial tells the GP: a complete trial's values, or the predicted final
    value that :class:`~podbor.pruners.LearningCurvePruner` recorded on a trial it pruned
    (``podbor._learning_curve.predicted_value``); None for anything else.

    Example:
        >>> from podbor.trial import TrialState, create_trial
        >>> observed_values(create_trial(value=2.0))
        [2.0]
        >>> observed_values(create_trial(state=TrialState.PRUNED, value=5.0)) is None
        True
    """
    if trial.state == TrialState.COMPLETE:
        return trial.values
    predicted = predicted_value(trial)
    return None if predicted is None else [predicted]


def observed_trials(study: StudyView) -> list[FrozenTrial]:
    """The study's trials with :func:`observed_values`, in number order: every complete trial
    and the pruned ones with a recorded prediction.

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> len(observed_trials(study))
        2
    """
    finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    return [t for t in finished if t.state == TrialState.COMPLETE or predicted_value(t) is not None]


def encode_trials(encoder: SearchSpaceEncoder, trials: Sequence[FrozenTrial]) -> FloatArray:
    """Encode trials that hold every parameter of the encoder's space: shape ``n x d``.

    Example:
        >>> from podbor.trial import create_trial
        >>> dists = {"x": FloatDistribution(0, 4)}
        >>> trial = create_trial(params={"x": 1.0}, distributions=dists, value=0.0)
        >>> encode_trials(SearchSpaceEncoder(dists), [trial]).tolist()
        [[0.25]]
    """
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


def _signs(sign: float | Sequence[float]) -> tuple[float, ...]:
    return (float(sign),) if isinstance(sign, (int, float)) else tuple(map(float, sign))


class TrainingSet:
    """The complete trials of one search space as arrays, grown incrementally by trial number.

    ``x`` is ``(n x d)`` in the unit-cube encoding; ``targets`` (``n x m``) holds the ``m``
    objective values multiplied by their ``signs`` (+1 to maximize, -1 to minimize), so that
    larger is always better, and ``y`` (``n``) is its first column (the objective of a
    single-objective study); ``sign`` is the first of ``signs``. ``trial_numbers`` (``n``) are
    the trial numbers of the rows. ``region`` is the trust region
    that follows ``y`` as it grows (used by samplers that search in one). ``whole`` stays True
    while no trial had a parameter outside the space (none conditional). ``constraints`` holds
    the rows' recorded constraint values (``constraints.matrix``, ``n x m``).

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 4), n_trials=3)
        >>> training = TrainingSet(space_key({"x": FloatDistribution(0, 4)}), sign=-1.0)
        >>> training.update(study.trials)
        >>> training.x.shape, training.y.shape
        ((3, 1), (3,))
    """

    def __init__(self, key: SpaceKey, sign: float | Sequence[float]) -> None:
        self.key = key
        self.signs = _signs(sign)
        self.sign = self.signs[0]
        self.encoder = SearchSpaceEncoder(dict(key))
        self.x: FloatArray = np.empty((0, len(key)))
        self.targets: FloatArray = np.empty((0, len(self.signs)))
        self.y: FloatArray = np.empty(0)
        self.trial_numbers: list[int] = []
        self.whole = True
        self.constraints = ConstraintTable()
        self.region = TrustRegion()
        self._seen = SeenTrials()

    @classmethod
    def reuse(
        cls, training: TrainingSet | None, key: SpaceKey, sign: float | Sequence[float]
    ) -> TrainingSet:
        """``training`` if it is the set of ``key`` and ``sign``; else a new, empty one."""
        if training is not None and training.key == key and training.signs == _signs(sign):
            return training
        return cls(key, sign)

    @property
    def all_grid(self) -> bool:
        """Whether every column is a grid (ints, steps, categoricals)."""
        return all(is_discrete(d) for d in self.encoder.distributions)

    def same_study(self, completes: Sequence[FrozenTrial]) -> bool:
        """Whether ``completes`` (a study's complete trials, in number order) extend the trials
        this set has taken in; False when its sampler was handed another study."""
        return self._seen.same_study(completes)

    def update(self, completes: Sequence[FrozenTrial]) -> None:
        """Append the observed trials not seen yet (finished trials never change): complete
        ones, and pruned ones at their predicted final value (:func:`observed_values`)."""
        m = len(self.signs)
        new: list[FrozenTrial] = []
        observed: list[list[float]] = []
        for t in self._seen.take_new(completes):
            values = observed_values(t)
            if values is not None and len(values) == m and _in_space(t, self.key):
                new.append(t)
                observed.append(values)
        if not new:
            return
        size = len(self.key)
        self.whole = self.whole and all(
            sum(not d.single() for d in t.distributions.values()) == size for t in new
        )
        self.x = np.vstack([self.x, encode_trials(self.encoder, new)])
        self.trial_numbers.extend(t.number for t in new)
        rows = np.array(observed, dtype=float).reshape(len(new), m)
        self.targets = np.vstack([self.targets, np.array(self.signs) * rows])
        self.y = self.targets[:, 0]
        self.constraints.extend(new)

    def running_rows(
        self, running: Sequence[FrozenTrial], pending: Mapping[int, FloatArray]
    ) -> tuple[FloatArray, list[FrozenTrial]]:
        """Where the running trials are in this space, and which of them are nowhere yet.

        A trial's row is its stored parameters when it has every parameter of the space, else
        ``pending[trial.number]`` (a proposal of the sampler, not stored yet). Returns the rows
        (``m x d``, in the order of ``running``) and the trials with neither: their points are
        unknown, e.g. another worker is still choosing them.

        Example:
            >>> from podbor.trial import create_trial
            >>> x = FloatDistribution(0, 4)
            >>> training = TrainingSet(space_key({"x": x}), sign=-1.0)
            >>> stored = create_trial(params={"x": 2.0}, distributions={"x": x}, value=0.0)
            >>> blank = create_trial(params={}, distributions={}, value=0.0)
            >>> rows, unknown = training.running_rows([stored, blank], {})
            >>> rows.tolist(), len(unknown)
            ([[0.5]], 1)
        """
        has_all = [
            _in_space(t, self.key) and all(name in t.params for name, _ in self.key)
            for t in running
        ]
        stored = [t for t, h in zip(running, has_all) if h]
        encoded = iter(encode_trials(self.encoder, stored) if stored else ())
        rows: list[FloatArray] = []
        unknown: list[FrozenTrial] = []
        for t, h in zip(running, has_all):
            if h:
                rows.append(next(encoded))
            elif t.number in pending:
                rows.append(pending[t.number])
            else:
                unknown.append(t)
        return self.stack(rows), unknown

    def stack(self, rows: Sequence[FloatArray]) -> FloatArray:
        """Rows of this space (each shape ``d``) as one ``m x d`` array (``0 x d`` for none)."""
        return np.array(rows).reshape(len(rows), len(self.key))


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

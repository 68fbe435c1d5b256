"""What the GP learns from: a study's finished trials as arrays in the shared encoding.

:class:`TrainingSet` holds the observed trials of one search space (complete ones, and pruned
ones at the final value :class:`~podbor.pruners.LearningCurvePruner` predicted for them) as
arrays in the unit-cube encoding, grown incrementally by trial number: finished trials never
change. :func:`search_dims` tells the acquisition optimizer how to search each encoded column.
:mod:`~podbor.samplers._gp.study_model` fits the GP on a training set. Nothing here touches a
storage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

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
from podbor.samplers._branching import SpaceKey
from podbor.samplers._common import SeenTrials
from podbor.samplers._gp.feasibility import ConstraintTable
from podbor.samplers._gp.optimize import SearchDims
from podbor.samplers._gp.trust_region import TrustRegion

__all__ = [
    "TrainingSet",
    "encode_trials",
    "is_discrete",
    "objective_sign",
    "objective_signs",
    "observed_trials",
    "observed_values",
    "relative_space",
    "search_dims",
    "space_key",
]

_GRID_MAX = 4096
"""Discrete columns with more values than this are relaxed and only snapped, never enumerated."""
_ENUMERATE_MAX = 32
"""Discrete columns with more values than this are also refined by L-BFGS-B (then snapped)."""


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

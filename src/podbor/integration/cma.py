"""pycma's CMA-ES behind podbor's sampler interface: optuna-integration's ``PyCmaSampler``.

``PyCmaSampler`` has the name, signature and behaviour of ``optuna_integration.PyCmaSampler``:
relative sampling over the intersection search space of the complete trials (floats, ints and,
as optuna-integration does, categoricals as their choice index), the other parameters handed to
an independent sampler. The optimizer is pycma's ``cma.CMAEvolutionStrategy`` (``pip install
podbor[cma]``; podbor's own :class:`~podbor.samplers.CmaEsSampler` runs on the ``cmaes``
package instead). pycma is imported when the sampler is built, so importing this module works
without it.

pycma searches the unit cube of the shared encoding (:mod:`podbor._search_space`), bounded by
its ``BoundTransform``: a log-scaled parameter is searched in log space, and an int, a stepped
float or a categorical owns equal shares of its coordinate, so each point decodes to a value
inside its distribution. That cube is optuna-integration's own coordinates (the transformed
bounds: ``log``, a half step beyond each end) rescaled to ``[0, 1]``, and ``sigma0`` keeps
optuna-integration's meaning by the same rescaling.

Nothing is stored in the study. The optimizer's state is a function of the seed and the study's
complete trials: they are told, in trial-number order, one generation of ``popsize`` at a time,
and a new trial takes the next member of the population asked for the current generation. A
trial is told as the member it took (pycma gets back the very point it sent), or as its own
parameters when they are not what a member decodes to (enqueued or fixed values, a trial
sampled in another generation), as optuna-integration tells every trial. Each
population is drawn from its own generator, seeded by the sampler's seed, the generation and the
block (:class:`_Replay`), so pycma never touches numpy's global random state, a copy of the
sampler proposes what the original proposes, and a process that reads the study afresh continues
it as the first would have. The replay is kept in memory between trials and tells only the
generations completed since; a trial that finishes late, behind generations already told (parallel
workers), makes it replay from the start.

Example:
    >>> import importlib.util, podbor
    >>> if importlib.util.find_spec("cma"):
    ...     study = podbor.create_study(sampler=PyCmaSampler(seed=0))
    ...     study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2
    ...                    + t.suggest_float("y", -1, 1) ** 2, n_trials=40)
    ...     assert study.best_value < 0.05
"""

from __future__ import annotations

import bisect
import copy
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from podbor._arrays import FloatArray
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._search_space import SearchSpaceEncoder, from_unit, to_unit, transformed_bounds
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor._validation import check_int, check_optional_real, is_real
from podbor.distributions import BaseDistribution, FloatDistribution, IntDistribution
from podbor.exceptions import invalid_argument
from podbor.integration._common import require
from podbor.samplers._base import BaseSampler
from podbor.samplers._common import FallbackSampler, SeenTrials, refuse_multi_objective
from podbor.samplers._intersection import IntersectionSearchSpace

__all__ = ["PyCmaSampler"]

_OWNER = "PyCmaSampler"
_SIGMA0 = 1.0 / 6.0  # the default initial standard deviation, of each coordinate's range
_INFINITE = 1e300  # what an infinite value is told as: ranked, and finite for pycma
_SAME_POINT = 1e-9  # a trial's parameters are a proposal's when this close in the unit cube
# pycma options the sampler sets itself: the search space's bounds, its own seeded draws
_RESERVED = {
    "bounds": "the search space sets them",
    "BoundaryHandler": "the sampler uses cma.BoundTransform",
    "CMA_stds": "pass cma_stds=",
    "seed": "pass seed=",
    "randn": "the sampler draws from its own seeded generator",
}
_COMPLETE = (TrialState.COMPLETE,)


def _cma() -> Any:
    return require("cma", package="pycma", extra="cma", owner=_OWNER)


class _Normal:
    """pycma's ``randn`` option: standard normal draws from a generator the caller swaps in."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)

    def __call__(self, *shape: int) -> FloatArray:
        return self.rng.standard_normal(shape)


class _Replay:
    """A ``cma.CMAEvolutionStrategy`` told the complete trials of one search space.

    Rows are kept sorted by trial number; generation ``g`` is rows ``g * popsize`` to
    ``(g + 1) * popsize``, told once all of them are in (:func:`_told_points` says which
    points). Proposals for the current generation come in blocks of ``popsize``: block 0 is the
    population the optimizer asked for before its next ``tell``, a further block (more trials
    started than a population holds) is asked of a copy, so that the optimizer stays what a
    replay from scratch would make of the same rows. Knows nothing of studies: rows are points
    of the unit cube, values are to be minimized.

    Args:
        mean: The initial mean, shape ``d``.
        stds: The initial standard deviation of each coordinate, shape ``d``.
        options: pycma options (the user's ``cma_opts``).
        seed: The seed of every population's draw.
        snap: Maps points (``n x d``) to the points of the values they decode to (``n x d``).
    """

    def __init__(
        self,
        mean: FloatArray,
        stds: FloatArray,
        options: Mapping[str, Any],
        seed: int,
        snap: Callable[[FloatArray], FloatArray],
    ) -> None:
        self._start = (mean, stds, dict(options))
        self._seed = seed
        self._snap = snap
        self.numbers: list[int] = []
        self._rows: list[FloatArray] = []
        self._values: list[float] = []
        self._restart()

    def _restart(self) -> None:
        cma = _cma()
        mean, stds, options = self._start
        scale = float(np.max(stds))
        d = len(mean)
        options = {
            **options,
            "bounds": [[0.0] * d, [1.0] * d],
            "BoundaryHandler": cma.BoundTransform,
            "CMA_stds": (stds / scale).tolist(),
            "seed": math.nan,  # pycma leaves numpy's global state alone; draws come from randn
            "randn": _Normal(),
        }
        self.es = cma.CMAEvolutionStrategy(mean.tolist(), scale, options)
        self.popsize = int(self.es.popsize)
        self.told = 0
        self._blocks = {0: self._ask(self.es, 0)}

    def _ask(self, es: Any, block: int) -> FloatArray:
        es.opts["randn"].rng = np.random.default_rng([self._seed, self.told, block])
        return np.asarray(es.ask(), dtype=float)

    @property
    def last_told(self) -> int:
        """The number of the last trial told (-1 before the first generation)."""
        return self.numbers[self.told * self.popsize - 1] if self.told else -1

    def add(self, numbers: Sequence[int], x: FloatArray, y: FloatArray) -> None:
        """Take in finished trials: their numbers, points (``n x d``) and values (``n``), then
        tell every generation that is complete."""
        first = len(self.numbers)
        for number, row, value in zip(numbers, x, y):
            i = bisect.bisect(self.numbers, number)
            self.numbers.insert(i, number)
            self._rows.insert(i, row)
            self._values.insert(i, float(value))
            first = min(first, i)
        if first < self.told * self.popsize:  # a late trial among generations already told
            self._restart()
        cma = _cma()
        while len(self.numbers) >= (self.told + 1) * self.popsize:
            told = slice(self.told * self.popsize, (self.told + 1) * self.popsize)
            population = self._blocks[0]
            points = _told_points(np.array(self._rows[told]), population, self._snap(population))
            values = np.clip(self._values[told], -_INFINITE, _INFINITE)
            with warnings.catch_warnings():
                # a proposal no trial took (trials run in parallel, an enqueued one) leaves
                # pycma's record of its mirrored sample unanswered: expected here, not a bug
                warnings.simplefilter("ignore", cma.evolution_strategy.InjectionWarning)
                self.es.tell(list(points), values.tolist())
            self.told += 1
            self._blocks = {0: self._ask(self.es, 0)}

    def propose(self, index: int) -> FloatArray:
        """Member ``index`` of the current generation's proposals, shape ``d``."""
        block, k = divmod(index, self.popsize)
        if block not in self._blocks:
            self._blocks[block] = self._ask(copy.deepcopy(self.es), block)
        point: FloatArray = self._blocks[block][k]
        return point


def _told_points(rows: FloatArray, population: FloatArray, snapped: FloatArray) -> FloatArray:
    """The points to tell for one generation's trials: shape ``p x d``, like ``rows`` (the
    trials' parameters encoded).

    A trial whose parameters are what a member of ``population`` (``p x d``, the points asked
    for) decodes to (``snapped``) is told as that member, each member once: pycma gets back the
    very solution it sent, so it knows its genotype (before the bounds' transformation) and
    which were its mirrored or injected samples, and an int's step is not rounded away. Another
    trial (enqueued, fixed, or sampled in another generation) is told as its parameters, as
    optuna-integration tells every trial.

    Example:
        >>> population = np.array([[0.1, 0.52], [0.7, 0.26]])
        >>> snapped = np.array([[0.1, 0.5], [0.7, 0.3]])  # the second coordinate is an int
        >>> _told_points(np.array([[0.7, 0.3], [0.4, 0.5]]), population, snapped).tolist()
        [[0.7, 0.26], [0.4, 0.5]]
    """
    told: FloatArray = np.array(rows, dtype=float)
    close = np.max(np.abs(rows[:, None, :] - snapped[None, :, :]), axis=2) <= _SAME_POINT
    free = np.ones(len(population), dtype=bool)
    for i in range(len(rows)):
        match = np.flatnonzero(close[i] & free)
        if match.size:
            told[i] = population[match[0]]
            free[match[0]] = False
    return told


def _snapper(encoder: SearchSpaceEncoder) -> Callable[[FloatArray], FloatArray]:
    """``snap`` of :class:`_Replay` for ``encoder``'s space: decode each point, encode again."""

    def snap(points: FloatArray) -> FloatArray:
        columns = [
            to_unit(dist, from_unit(dist, points[:, j]))
            for j, dist in enumerate(encoder.distributions)
        ]
        return np.column_stack(columns)

    return snap


class _Run:
    """What the sampler has read of one study (the owner locks): the intersection search space,
    the replay of the current relative space, its complete trials, and whether ``x0`` and
    ``cma_stds`` were checked against the study's parameters."""

    def __init__(self) -> None:
        self.space = IntersectionSearchSpace()
        self.seen = SeenTrials()
        self.replay: _Replay | None = None
        self.key: tuple[dict[str, BaseDistribution], float] | None = None
        self.encoder: SearchSpaceEncoder | None = None
        self.names_checked = False


class PyCmaSampler(FallbackSampler):
    """CMA-ES of the ``cma`` package (pycma) over the intersection search space.

    optuna-integration's sampler of the same name and signature. Floats, ints and categoricals
    (by choice index) that every complete trial has, with the same distribution, are searched
    jointly; a conditional or newly added parameter, and a one-dimensional space (which pycma
    does not support), go to ``independent_sampler``, logged once per parameter. One objective
    only. Needs ``pip install podbor[cma]``. See the module docstring for how the optimizer is
    rebuilt from the trials.

    Args:
        x0: Initial mean, ``{name: value}`` in the parameters' own values; parameters left out
            start at the middle of their (log) range. Checked against the joint search space
            when CMA-ES starts: an unknown name or a value outside its distribution is an error.
        sigma0: Initial standard deviation, in the parameters' units (of the log for a
            log-scaled one, of the choice index for a categorical), as in optuna-integration.
            By default a sixth of each parameter's range (optuna-integration takes a sixth of
            the narrowest range for every parameter).
        cma_stds: Multipliers of ``sigma0`` by parameter name (1 for one left out).
        seed: Seed of the populations' draws and of the default independent sampler.
        cma_opts: Options of ``cma.CMAEvolutionStrategy`` (``cma.CMAOptions()`` lists them),
            e.g. ``{"popsize": 10}``; ``verbose`` defaults to -2. ``bounds``,
            ``BoundaryHandler``, ``CMA_stds``, ``seed`` and ``randn`` are the sampler's own
            (optuna-integration silently overrides them; here they are an error).
        n_startup_trials: Complete trials before CMA-ES starts; until then every parameter is
            sampled independently.
        independent_sampler: Sampler of what CMA-ES does not cover; default
            ``RandomSampler(seed=seed)``.
        warn_independent_sampling: Log, once per parameter, when one is sampled independently
            after the start-up trials.

    Raises:
        ImportError: pycma is not installed.
        podbor.exceptions.InvalidArgumentError: (a ``ValueError``) for a bad argument, naming
            it; for ``x0`` or ``cma_stds`` naming a parameter CMA-ES does not search, at its
            first trial.

    Example:
        >>> import importlib.util, podbor
        >>> if importlib.util.find_spec("cma"):
        ...     # x starts at 0.5 and n at 2; each moves by 0.5 at first, n by 4 x 0.5
        ...     sampler = PyCmaSampler(x0={"x": 0.5, "n": 2}, sigma0=0.5, cma_stds={"n": 4.0},
        ...                            seed=1)
        ...     study = podbor.create_study(sampler=sampler)
        ...     study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.3) ** 2
        ...                    + t.suggest_int("n", 0, 10), n_trials=30)
        ...     assert study.best_params["n"] == 0
    """

    _STUDY_CACHES = ("_run",)

    def __init__(
        self,
        x0: dict[str, Any] | None = None,
        sigma0: float | None = None,
        cma_stds: dict[str, float] | None = None,
        seed: int | None = None,
        cma_opts: dict[str, Any] | None = None,
        n_startup_trials: int = 1,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
    ) -> None:
        cma = _cma()
        super().__init__(seed, independent_sampler, warn_independent_sampling, owner=_OWNER)
        self._x0 = dict(_check_by_name(x0, "x0", "a dict of initial values by parameter name"))
        self._sigma0 = check_optional_real(
            sigma0, "sigma0", owner=_OWNER, minimum=0.0, include_minimum=False, finite=True
        )
        self._cma_stds = _check_stds(cma_stds)
        self._cma_opts = _check_options(cma_opts, cma.CMAOptions())
        self._n_startup = check_int(n_startup_trials, "n_startup_trials", owner=_OWNER, minimum=0)
        self._cma_seed = int(self._rng.integers(2**63))
        self._new_caches()

    def _new_caches(self) -> None:
        self._run: _Run | None = None

    def _reseed(self) -> None:
        super()._reseed()
        with self._lock:
            self._cma_seed = int(self._rng.integers(2**63))
            if self._run is not None:  # the populations drawn with the old seed are void
                self._run.replay = self._run.key = None

    # -- the search space -------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        with self._lock:  # read under the lock: a list older than the run's reads as another study
            complete = study.get_trials(deepcopy=False, states=_COMPLETE)
            space = self._study_run(complete).space.calculate_from(complete)
        return {name: dist for name, dist in space.items() if not dist.single()}

    def _study_run(self, complete: Sequence[FrozenTrial]) -> _Run:
        """This sampler's :class:`_Run` of the study ``complete`` comes from (a fresh one for
        another study). The caller holds the lock."""
        if self._run is None or not self._run.seen.same_study(complete):
            self._run = _Run()
        return self._run

    # -- sampling ---------------------------------------------------------------------------------
    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        refuse_multi_objective(study, owner=_OWNER)
        if len(search_space) < 2:  # pycma does not do one dimension: _why_independent says so
            return {}
        sign = -1.0 if study.directions[0] == StudyDirection.MAXIMIZE else 1.0
        with self._lock:
            complete = study.get_trials(deepcopy=False, states=_COMPLETE)
            if len(complete) < self._n_startup:
                return {}
            trials = study.get_trials(deepcopy=False)
            run = self._study_run(complete)
            replay, encoder = self._replay(run, search_space, sign, complete)
            index = _n_pending(trials, replay.last_told, trial.number, encoder.names)
            point = replay.propose(index)
        return {
            name: search_space[name].to_external_repr(value)
            for name, value in encoder.decode(point).items()
        }

    def _replay(
        self,
        run: _Run,
        space: dict[str, BaseDistribution],
        sign: float,
        complete: Sequence[FrozenTrial],
    ) -> tuple[_Replay, SearchSpaceEncoder]:
        """``run``'s replay of ``space``, brought up to date with ``complete``: a new one when
        the space (or the direction) changed. The caller holds the lock."""
        if run.replay is None or run.key != (space, sign):
            if not run.names_checked:
                self._check_names(run.space.calculate_from(complete))
                run.names_checked = True
            run.encoder = SearchSpaceEncoder(space)
            mean, stds = self._initial(run.encoder)
            run.replay = _Replay(mean, stds, self._cma_opts, self._cma_seed, _snapper(run.encoder))
            run.key = (dict(space), sign)
            run.seen = SeenTrials()
        assert run.encoder is not None
        new = [
            t
            for t in run.seen.take_new(complete)
            if all(t.distributions.get(n) == d for n, d in space.items())
        ]
        if new:
            internal: list[Mapping[str, float]] = [
                {n: d.to_internal_repr(t.params[n]) for n, d in space.items()} for t in new
            ]
            values = sign * np.array([t.value for t in new], dtype=float)
            run.replay.add([t.number for t in new], run.encoder.encode(internal), values)
        return run.replay, run.encoder

    def _check_names(self, known: Mapping[str, BaseDistribution]) -> None:
        """``x0`` and ``cma_stds`` name parameters of the joint search space (``known``)."""
        listed = ", ".join(repr(n) for n in known) or "(none)"
        for name, given in (("x0", self._x0), ("cma_stds", self._cma_stds)):
            unknown = sorted(set(given) - set(known))
            if unknown:
                raise invalid_argument(
                    name,
                    given,
                    f"a dict over the parameters CMA-ES searches ({listed}); "
                    f"{', '.join(map(repr, unknown))} is not one of them (a misspelt name, or a "
                    "conditional parameter)",
                    owner=_OWNER,
                )

    def _initial(self, encoder: SearchSpaceEncoder) -> tuple[FloatArray, FloatArray]:
        """The initial mean and standard deviations in the unit cube, each of shape ``d``."""
        mean = np.full(len(encoder.names), 0.5)
        widths = np.empty(len(encoder.names))
        for j, (name, dist) in enumerate(zip(encoder.names, encoder.distributions)):
            low, high, _ = transformed_bounds(dist)
            widths[j] = high - low
            if name in self._x0:
                mean[j] = to_unit(dist, np.array([_x0_internal(name, self._x0, dist)]))[0]
        sigma = _SIGMA0 if self._sigma0 is None else self._sigma0 / widths
        multipliers = np.array([self._cma_stds.get(n, 1.0) for n in encoder.names])
        return mean, sigma * multipliers

    # -- what CMA-ES leaves to the independent sampler --------------------------------------------
    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        refuse_multi_objective(study, owner=_OWNER)
        return super().sample_independent(study, trial, param_name, param_distribution)

    def _why_independent(self, study: StudyView, trial: FrozenTrial, param_name: str) -> str | None:
        if len(study.get_trials(deepcopy=False, states=_COMPLETE)) < max(self._n_startup, 1):
            return None  # the start-up trials: nothing to model yet
        space = self.infer_relative_search_space(study, trial)
        if param_name in space and len(space) == 1:
            return "pycma does not optimize a one-dimensional search space"
        return (
            "CMA-ES searches the parameters that every complete trial has with the same "
            "distribution (a conditional or newly added parameter, or one whose range changed, "
            "is not among them)"
        )

    def __repr__(self) -> str:
        return f"PyCmaSampler(seed={self._seed})"


# -- helpers --------------------------------------------------------------------------------------
def _n_pending(
    trials: Sequence[FrozenTrial], last_told: int, current: int, names: Sequence[str]
) -> int:
    """How many trials after the last one told already hold a point of the space (any state,
    ``current`` left out): the index of ``current``'s proposal, as optuna-integration counts.
    ``trials`` are in number order, so only the tail is read."""
    start = bisect.bisect_right(trials, last_told, key=lambda t: t.number)
    return sum(
        1 for t in trials[start:] if t.number != current and all(n in t.params for n in names)
    )


def _x0_internal(name: str, x0: Mapping[str, Any], dist: BaseDistribution) -> float:
    """``x0[name]`` as ``dist``'s internal value; an error naming ``x0`` when it is outside
    (between the bounds is enough for a number: it need not lie on a step)."""
    try:
        internal = float(dist.to_internal_repr(x0[name]))
    except (ValueError, TypeError):
        internal = math.nan
    if isinstance(dist, (FloatDistribution, IntDistribution)) and not (
        dist.low <= internal <= dist.high
    ):
        internal = math.nan
    if math.isnan(internal):
        raise invalid_argument(
            "x0", x0, f"values inside their distributions; {name!r} has {dist!r}", owner=_OWNER
        )
    return internal


def _check_by_name(value: Any, name: str, allowed: str) -> Mapping[str, Any]:
    """``value`` as a mapping with str keys ({} for None), or an error naming ``name``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise invalid_argument(name, value, f"{allowed} or None", owner=_OWNER)
    return value


def _check_stds(value: Any) -> dict[str, float]:
    allowed = "a dict of positive finite multipliers by parameter name"
    stds = _check_by_name(value, "cma_stds", allowed)
    if not all(is_real(v) and 0.0 < float(v) < math.inf for v in stds.values()):
        raise invalid_argument("cma_stds", value, f"{allowed} or None", owner=_OWNER)
    return {k: float(v) for k, v in stds.items()}


def _check_options(value: Any, known: Mapping[str, Any]) -> dict[str, Any]:
    """The user's pycma options, copied, with ``verbose`` -2 unless given (optuna-integration's
    default); an unknown option or one of the sampler's own is an error naming ``cma_opts``."""
    options = dict(_check_by_name(value, "cma_opts", "a dict of cma.CMAOptions"))
    for key in options:
        if key in _RESERVED:
            why = f"a dict of pycma options without {key!r} ({_RESERVED[key]})"
            raise invalid_argument("cma_opts", value, why, owner=_OWNER)
        if key not in known:
            why = f"a dict of pycma options (cma.CMAOptions() lists them); {key!r} is not one"
            raise invalid_argument("cma_opts", value, why, owner=_OWNER)
    options.setdefault("verbose", -2)
    return options

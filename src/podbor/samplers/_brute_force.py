"""Exhaustive search over a finite, define-by-run search space: every combination once.

The sampler knows no search space up front. It reads the one the objective defines from the
trials: each trial is a path through the parameters it suggested, in the order it suggested
them, and the paths of all trials form a tree (a node per set of parameters decided so far, a
branch per value of the next parameter). A value never tried under a node is *open*; a
subtree whose every path ended in a finished trial is *closed*. A new value is drawn among the
open ones, each open combination below a value weighing one, and the study stops once nothing
is open, so conditional spaces (a parameter suggested only for some values of another) are
enumerated exactly.

How trials count, as in Optuna: a COMPLETE, PRUNED or FAIL trial closes its path (a failing
combination is not retried). A RUNNING trial holds its path; whether it may still grow (suggest
a parameter not seen yet) is ``avoid_premature_stop``'s question.

Everything is read from the trials, so processes sharing a study share the search. Each value a
sampler hands out is recorded on its trial at once (the trial system attribute
``brute_force:<name>``: the grid, the point, and its place among the trial's parameters), so
that other threads and processes see it before the trial stores the parameter, and so that
the suggestion order survives storages that return parameters sorted by name.

Cost: finished trials never change, so each is added once to a tree that keeps its counts of
open combinations up to date; a question lays the few running trials over it and walks one
path, and the draw is a cumulative sum over the tried points only. A study of n trials costs
O(n) per question for reading the trials from the storage, not for scanning them.
"""

from __future__ import annotations

import contextlib
import decimal
from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

import numpy as np

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor._validation import check_bool
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import InvalidArgumentError
from podbor.samplers._base import SeededSampler
from podbor.samplers._common import SeenTrials

__all__ = ["BruteForceSampler"]

_OWNER: Final = "BruteForceSampler"
_RESERVED_PREFIX: Final = "brute_force:"
"""Trial system attribute ``brute_force:<name>``: the value handed out for ``<name>``."""
_FINISHED: Final = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
_OFF_GRID_TOLERANCE: Final = 1e-8

Space = tuple[Any, ...]
"""What identifies a parameter's grid: its kind and bounds (JSON-friendly, compared exactly)."""


class _Step(NamedTuple):
    """One parameter of a trial's path: its name, its grid, and which grid point it took."""

    name: str
    space: Space
    size: int
    point: int


class _Path(NamedTuple):
    """A trial as the tree sees it: its number, its steps in suggestion order, its state."""

    number: int
    steps: tuple[_Step, ...]
    state: TrialState


# -- grids --------------------------------------------------------------------------------------
def _grid(dist: BaseDistribution) -> tuple[Space, int]:
    """The grid of a distribution: what identifies it, and how many points it has.

    Raises:
        InvalidArgumentError: For a float without ``step`` over a range (infinitely many values).
    """
    if isinstance(dist, CategoricalDistribution):
        return ("categorical", len(dist.choices)), len(dist.choices)
    if isinstance(dist, IntDistribution):
        return ("int", dist.low, dist.high, dist.step), (dist.high - dist.low) // dist.step + 1
    if isinstance(dist, FloatDistribution):
        if dist.step is None:
            if dist.low != dist.high:
                raise InvalidArgumentError(
                    f"BruteForceSampler needs a finite search space, but {dist!r} has infinitely "
                    "many values; give suggest_float a step (or use suggest_int or "
                    "suggest_categorical)."
                )
            return ("float", dist.low, dist.high, None), 1
        d_low, d_high, d_step = (decimal.Decimal(str(v)) for v in (dist.low, dist.high, dist.step))
        with decimal.localcontext() as context:
            context.prec = 60
            size = int((d_high - d_low) // d_step) + 1
        return ("float", dist.low, dist.high, dist.step), size
    raise InvalidArgumentError(f"BruteForceSampler cannot enumerate {dist!r}.")


def _value_at(dist: BaseDistribution, size: int, index: int) -> Any:
    """The external value of grid point ``index`` (the last point of a stepped float is ``high``)."""
    if isinstance(dist, CategoricalDistribution):
        return dist.to_external_repr(float(index))
    if isinstance(dist, IntDistribution):
        return dist.low + index * dist.step
    assert isinstance(dist, FloatDistribution)  # _grid refused every other kind
    if dist.step is None or index == size - 1:
        return dist.high if index else dist.low
    d_low, d_step = decimal.Decimal(str(dist.low)), decimal.Decimal(str(dist.step))
    return float(d_low + index * d_step)


def _index_of(dist: BaseDistribution, size: int, value: Any) -> int | None:
    """The grid point a stored value took, or None when it lies off the grid (an enqueued value
    used as given)."""
    internal = dist.to_internal_repr(value)
    if isinstance(dist, CategoricalDistribution):
        return int(internal)
    assert isinstance(dist, (IntDistribution, FloatDistribution))
    step = dist.step or 1.0
    k = (internal - dist.low) / step
    index = round(k)
    if abs(k - index) > _OFF_GRID_TOLERANCE * max(1.0, abs(k)) or not 0 <= index < size:
        return None
    return index


def _steps_of(trial: FrozenTrial) -> tuple[_Step, ...] | None:
    """The stored parameters of a trial as a path, in the order they were suggested, or None
    when one lies off its grid."""
    steps = []
    for name, dist in trial.distributions.items():
        space, size = _grid(dist)
        index = _index_of(dist, size, trial.params[name])
        if index is None:
            return None
        steps.append(_Step(name, space, size, index))
    return _in_suggestion_order(steps, trial.system_attrs)


def _in_suggestion_order(steps: list[_Step], attrs: Mapping[str, Any]) -> tuple[_Step, ...]:
    """Put a trial's parameters back in the order they were suggested.

    A storage need not return parameters in the order they were stored (a database may sort
    them by name), so the sampler records each value's place when it hands it out; the other
    parameters (enqueued, one-point, added with the trial) fill the free places in stored order.
    """
    placed: dict[int, _Step] = {}
    others = []
    for step in steps:
        record = attrs.get(_RESERVED_PREFIX + step.name)
        place = record.get("place") if isinstance(record, dict) else None
        if isinstance(place, int) and 0 <= place < len(steps) and place not in placed:
            placed[place] = step
        else:
            others.append(step)
    rest = iter(others)
    return tuple(placed[i] if i in placed else next(rest) for i in range(len(steps)))


def _reserved_steps(trial: FrozenTrial) -> list[_Step]:
    """The values a sampler handed a running trial that it has not stored yet."""
    held = []
    for key, record in trial.system_attrs.items():
        name = key[len(_RESERVED_PREFIX) :]
        if key.startswith(_RESERVED_PREFIX) and name not in trial.params:
            step = _Step(name, tuple(record["space"]), record["size"], record["point"])
            held.append((record.get("place", 0), step))
    return [step for _, step in sorted(held, key=lambda pair: pair[0])]


# -- the tree -----------------------------------------------------------------------------------
_Pending = tuple[tuple[_Step, ...], TrialState]
"""A path laid over the tree for one question only: the rest of its steps, and its state."""


class _Node:
    """The trials that share a set of decided parameters, in the tree of finished trials.

    ``name`` is the parameter decided next (None while no trial went further), ``children``
    the grid points of it tried so far, ``ended`` the states of the trials that stopped here,
    and ``open`` how many combinations below no finished trial has taken (kept up to date as
    trials are added, so a question costs the depth of the tree, not the number of trials).
    """

    __slots__ = ("children", "ended", "name", "open", "open_below", "size", "space")

    def __init__(self) -> None:
        self.name: str | None = None
        self.space: Space | None = None
        self.size = 0
        self.children: dict[int, _Node] = {}
        self.ended: set[TrialState] = set()
        self.open = 1
        self.open_below = 0  # the sum of the children's ``open``

    def expect(self, step: _Step) -> None:
        """Check that ``step`` may be the next parameter here; name the node after it if new.

        Raises:
            InvalidArgumentError: When the search space changed: another parameter (or another
                range of it) after the same values, or one more than a COMPLETE trial had.
        """
        if self.name is None:
            if TrialState.COMPLETE in self.ended:
                raise _changed(f"{step.name!r} was suggested where a trial ended")
            self.name, self.space, self.size = step.name, step.space, step.size
        elif self.name != step.name:
            raise _changed(f"{step.name!r} was suggested where others suggested {self.name!r}")
        elif self.space != step.space:
            raise _changed(f"the range of {step.name!r} changed from {self.space} to {step.space}")

    def add(self, steps: Sequence[_Step], state: TrialState) -> None:
        """Add a finished trial's path and update ``open`` along it."""
        chain = [self]
        for step in steps:
            node = chain[-1]
            node.expect(step)
            child = node.children.get(step.point)
            if child is None:  # an untried point (weight 1) becomes a child of weight 1
                child = node.children[step.point] = _Node()
                node.open_below += 1
            chain.append(child)
        if state == TrialState.COMPLETE and chain[-1].name is not None:
            raise _changed(f"a trial ended where others went on to suggest {chain[-1].name!r}")
        chain[-1].ended.add(state)
        for depth in range(len(chain) - 1, -1, -1):
            node = chain[depth]
            if node.name is None:
                new = 0 if node.ended else 1
            else:
                new = node.size - len(node.children) + node.open_below
            if depth:
                chain[depth - 1].open_below += new - node.open
            node.open = new


def _open_with(node: _Node | None, pending: list[_Pending], *, may_grow: bool) -> int:
    """How many combinations below ``node`` are open once the ``pending`` paths are laid over it.

    A pending RUNNING trial that stops at a leaf holds it unless ``may_grow``; a pending
    finished one closes it. The tree itself is left as it is.
    """
    if not pending:
        return 1 if node is None else node.open
    probe = _Node()  # what this node becomes with the pending paths: checked, then counted
    if node is not None:
        probe.name, probe.space, probe.size = node.name, node.space, node.size
        probe.ended = set(node.ended)
    going: dict[int, list[_Pending]] = {}
    stopping: set[TrialState] = set()
    for steps, state in pending:
        if steps:
            probe.expect(steps[0])
            going.setdefault(steps[0].point, []).append((steps[1:], state))
        else:
            stopping.add(state)
    if probe.name is None:
        ended = probe.ended | stopping
        return 0 if ended - {TrialState.RUNNING} else int(may_grow or not ended)
    if TrialState.COMPLETE in stopping:
        raise _changed(f"a trial ended where others went on to suggest {probe.name!r}")
    total = node.open if node is not None and node.name is not None else probe.size
    for point, below in going.items():
        child = None if node is None else node.children.get(point)
        total += _open_with(child, below, may_grow=may_grow) - (1 if child is None else child.open)
    return total


def _draw(weights: Mapping[int, int], size: int, u: float) -> int:
    """Map ``u`` in [0, 1) to one of ``size`` grid points, each open combination weighing one.

    ``weights`` holds the points whose weight is not 1 (tried ones, and those held by running
    trials); the others weigh 1 each. Points are laid out in grid order, so a grid of any size
    is never built. When nothing is open (an enqueued trial entered a closed subtree), every
    point weighs one.
    """
    tried = np.array(sorted(weights), dtype=np.int64)
    w = np.array([weights[i] for i in tried.tolist()], dtype=np.float64)
    total = size - len(tried) + float(w.sum())
    if total <= 0:
        return min(int(u * size), size - 1)
    target = u * total
    # Weight before tried point j: its untried predecessors plus the earlier tried weights.
    before = tried - np.arange(len(tried)) + np.concatenate(([0.0], np.cumsum(w)[:-1]))
    j = int(np.searchsorted(before, target, side="right")) - 1
    if j < 0:
        return int(target)
    if target < before[j] + w[j]:
        return int(tried[j])
    return min(int(tried[j]) + 1 + int(target - before[j] - w[j]), size - 1)


def _changed(what: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"BruteForceSampler needs the same search space in every trial, but {what}. Keep each "
        "parameter's range fixed, and suggest the same parameters for the same values."
    )


def _stop(study: StudyView) -> None:
    """Stop the running ``optimize``; outside of one (``ask`` and ``tell``) there is none."""
    with contextlib.suppress(RuntimeError):
        study.stop()


def _order_generator(seed: int | None) -> np.random.Generator:
    """A generator over Mersenne Twister seeded as ``numpy.random.RandomState(seed)`` is.

    Optuna's BruteForceSampler draws from a ``RandomState``; seeding the same way makes a seed
    visit the combinations in the same order as there, which code written for Optuna may rely on.
    """
    bit_generator = np.random.MT19937()
    if seed is not None:
        words: int | list[int] = seed
        if seed >= 2**32:  # RandomState takes larger seeds as 32-bit words
            words = [(seed >> shift) & 0xFFFFFFFF for shift in range(0, seed.bit_length(), 32)]
        state: Any = np.random.RandomState(words).get_state(legacy=False)
        bit_generator.state = state
    return np.random.Generator(bit_generator)


class BruteForceSampler(SeededSampler):
    """Try every combination of a finite search space once, in random order, then stop the study.

    The space is whatever the objective suggests: integers, stepped floats, categoricals (a
    one-point float too), also conditionally. Trials of every state count (a PRUNED or FAILed
    combination is not retried), as do trials added with ``add_trial`` and enqueued ones. A
    value is held for its trial from the moment it is handed out, so ``n_jobs`` threads draw
    different ones; only a trial that starts while the last open values are held by running
    trials repeats a combination (as in Optuna). When every combination has a trial,
    ``optimize`` starts no new one.

    Args:
        seed: Seed of the order in which combinations are visited (an int >= 0), or None.
        avoid_premature_stop: With the default False, a RUNNING trial counts as having suggested
            all its parameters, so the study may stop while it could still open a branch that
            nobody tried. True stops only once every trial has finished with nothing open: the
            search is strictly exhaustive, at the risk of a few repeated combinations.

    Raises:
        InvalidArgumentError: (a ``ValueError``) from ``suggest_float`` without ``step`` on a
            range, and when the search space changes between trials (another range, or another
            parameter after the same values).

    Example:
        >>> import podbor
        >>> def objective(trial):
        ...     kind = trial.suggest_categorical("kind", ["linear", "tree"])
        ...     if kind == "tree":
        ...         return trial.suggest_int("depth", 1, 3)
        ...     return trial.suggest_float("alpha", 0.0, 1.0, step=0.5)
        >>> study = podbor.create_study(sampler=BruteForceSampler(seed=0))
        >>> study.optimize(objective)  # no n_trials: the sampler stops the study
        >>> len(study.trials)  # 3 depths + 3 alphas
        6
    """

    _STUDY_CACHES = ("_seen", "_tree")

    def __init__(self, seed: int | None = None, avoid_premature_stop: bool = False) -> None:
        super().__init__(seed, owner=_OWNER)
        self._rng = _order_generator(self._seed)
        self._avoid_premature_stop = check_bool(
            avoid_premature_stop, "avoid_premature_stop", owner=_OWNER
        )
        self._new_caches()

    def _new_caches(self) -> None:
        """The tree of the finished trials, each added once (finished trials never change)."""
        self._seen = SeenTrials()
        self._tree = _Node()

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        space, size = _grid(param_distribution)
        decided = _steps_of(trial)
        with self._lock:  # choose and hold the value atomically, so threads never share one
            running = [p for p in self._running(study) if p.number != trial.number]
            weights = {} if decided is None else self._weights(decided, running, param_name, space)
            index = _draw(weights, size, float(self._rng.random()))
            if trial.state == TrialState.RUNNING:
                place = len(trial.params)  # this trial's params are in suggestion order
                record = {"space": list(space), "size": size, "point": index, "place": place}
                study.set_trial_system_attr(trial, _RESERVED_PREFIX + param_name, record)
        return _value_at(param_distribution, size, index)

    def _weights(
        self, decided: tuple[_Step, ...], running: list[_Path], name: str, space: Space
    ) -> dict[int, int]:
        """The open combinations below each tried or held point of ``name``, the parameter a
        trial that took ``decided`` asks for (an untried point weighs 1)."""
        node: _Node | None = self._tree
        pending = [(p.steps, p.state) for p in running]
        for step in decided:  # down to where the trial stands, keeping the paths that follow
            pending = [(s[1:], state) for s, state in pending if s and s[0] == step]
            if node is not None and node.name is None:
                _refuse_growth(node, step)
                node = None
            elif node is not None:
                node.expect(step)  # only checks: the node is named
                node = node.children.get(step.point)
        here = _Step(name, space, 0, 0)
        if node is not None and node.name is None:
            _refuse_growth(node, here)
            node = None
        elif node is not None:
            node.expect(here)  # raises for another parameter, or another range, at this point
        probe = _Node()
        probe.expect(here)
        going: dict[int, list[_Pending]] = {}
        for steps, state in pending:
            if steps:
                probe.expect(steps[0])  # a running trial took another parameter or range here
                going.setdefault(steps[0].point, []).append((steps[1:], state))
        children = {} if node is None else node.children
        weights = {point: child.open for point, child in children.items()}
        for point, below in going.items():
            weights[point] = _open_with(children.get(point), below, may_grow=False)
        return weights

    def _trial_finished(self, study: StudyView, trial: FrozenTrial, state: TrialState) -> None:
        steps = _steps_of(trial)
        with self._lock:
            pending = [(p.steps, p.state) for p in self._running(study) if p.number != trial.number]
            if steps is not None:  # the study still holds it as RUNNING: lay it over as it ends
                pending.append((steps, state))
            if _open_with(self._tree, pending, may_grow=self._avoid_premature_stop) == 0:
                _stop(study)

    def _running(self, study: StudyView) -> list[_Path]:
        """Add the trials finished since the last call to the tree; return the running ones, with
        the values handed to them but not stored yet. The caller holds ``_lock``."""
        # Running ones first: a trial that finishes in between is then seen twice, never missed.
        running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        finished = study.get_trials(deepcopy=False, states=_FINISHED)
        if not self._seen.same_study(finished):
            self._new_caches()
        try:
            for t in self._seen.take_new(finished):
                steps = _steps_of(t)
                if steps is not None:
                    self._tree.add(steps, t.state)
        except InvalidArgumentError:
            self._new_caches()  # the tree may be half-updated: rebuild it next time
            raise
        paths = []
        for t in running:
            steps = _steps_of(t)
            if steps is not None:
                paths.append(_Path(t.number, (*steps, *_reserved_steps(t)), t.state))
        return paths

    def __repr__(self) -> str:
        return (
            f"BruteForceSampler(seed={self._seed}, "
            f"avoid_premature_stop={self._avoid_premature_stop})"
        )


def _refuse_growth(leaf: _Node, step: _Step) -> None:
    """A trial that goes on past a leaf of the tree: fine unless a COMPLETE trial ended there."""
    if TrialState.COMPLETE in leaf.ended:
        raise _changed(f"{step.name!r} was suggested where a trial ended")

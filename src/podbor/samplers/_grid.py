"""Grid search: every combination of the given values, each once, in random order."""

from __future__ import annotations

import contextlib
import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor.distributions import BaseDistribution, CategoricalChoiceType
from podbor.exceptions import InvalidArgumentError, invalid_argument
from podbor.samplers._base import SeededSampler

__all__ = ["GridSampler", "GridValueType"]

_GRID_ID = "grid_id"
_SEARCH_SPACE = "search_space"
_ALLOWED = (type(None), bool, int, float, str)

GridValueType = CategoricalChoiceType
"""The types a grid value may have (Optuna's name); numpy scalars are read as Python ones."""


def _stop(study: StudyView) -> None:
    """Stop the running ``optimize``; outside of one (``ask`` and ``tell``) there is none to stop.

    ``Study.stop`` raises ``RuntimeError`` outside of ``optimize``, as in Optuna.
    """
    with contextlib.suppress(RuntimeError):
        study.stop()


def _grid_values(name: str, values: Any) -> list[GridValueType]:
    """One axis of the grid as a list of Python scalars (a 1-d numpy array is accepted)."""
    if type(values).__module__ == "numpy" and getattr(values, "ndim", None) == 1:
        values = values.tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise invalid_argument(
            f"search_space[{name!r}]",
            values,
            "a non-empty list (or 1-d numpy array) of values",
            owner="GridSampler",
        )
    out: list[GridValueType] = []
    for v in values:
        if type(v).__module__ == "numpy" and callable(getattr(v, "item", None)):
            v = v.item()  # numpy scalars → Python scalars, so that the grid is stored as JSON
        if not isinstance(v, _ALLOWED):
            raise invalid_argument(
                f"search_space[{name!r}]",
                values,
                "a list of None, bool, int, float or str values",
                owner="GridSampler",
            )
        out.append(v)
    return out


class GridSampler(SeededSampler):
    """Evaluate each point of a grid once; the study stops when the grid is done.

    Points are taken in a random (seeded) order, each at most once, also with ``n_jobs`` threads:
    a point is reserved for a trial the moment the trial starts. Parameters must be suggested
    with the names of ``search_space``; values outside the suggested range are used with a
    warning.

    Args:
        search_space: Parameter name → the values to try (None, bool, int, float or str).
        seed: Seed of the order in which points are visited (an int >= 0, or None).

    Example:
        >>> import podbor
        >>> sampler = GridSampler({"x": [-1, 0, 1], "y": ["a", "b"]}, seed=0)
        >>> study = podbor.create_study(sampler=sampler)
        >>> study.optimize(lambda t: t.suggest_int("x", -1, 1) ** 2 + (t.suggest_categorical("y", ["a", "b"]) == "b"),
        ...                n_trials=100)
        >>> len(study.trials)  # 3 x 2 points, then the study stops by itself
        6
    """

    def __init__(
        self, search_space: Mapping[str, Sequence[GridValueType]], seed: int | None = None
    ) -> None:
        if not isinstance(search_space, Mapping) or not search_space:
            raise invalid_argument(
                "search_space",
                search_space,
                "a non-empty dict of name → list of values",
                owner="GridSampler",
            )
        grid = {name: _grid_values(name, values) for name, values in search_space.items()}
        super().__init__(seed, owner="GridSampler")
        self._search_space = {name: grid[name] for name in sorted(grid)}
        self._names = list(self._search_space)
        self._all_grids = list(itertools.product(*self._search_space.values()))
        self._n_grids = len(self._all_grids)

    @property
    def n_grids(self) -> int:
        """The number of points in the grid."""
        return self._n_grids

    def _trial_started(self, study: StudyView, trial: FrozenTrial) -> None:
        fixed = trial.system_attrs.get("fixed_params")
        if fixed is not None:  # an enqueued (or retried) trial carries its own values
            point = self._point_of(fixed) if isinstance(fixed, Mapping) else None
            if point is not None:  # on the grid: record which point, as a sampled trial does
                study.set_trial_system_attr(trial, _SEARCH_SPACE, self._search_space)
                study.set_trial_system_attr(trial, _GRID_ID, point)
            return
        with self._lock:  # pick and reserve atomically, so threads never share a point
            taken = self._taken_grid_ids(study, states=None)
            free = [i for i in range(self._n_grids) if i not in taken]
            if not free:
                finished = self._taken_grid_ids(
                    study, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
                )
                free = [i for i in range(self._n_grids) if i not in finished] or list(
                    range(self._n_grids)
                )
                warnings.warn(
                    "GridSampler has no unvisited point left; it re-evaluates one. "
                    "Stop the study with n_trials equal to the grid size or let it stop by itself.",
                    UserWarning,
                    stacklevel=3,  # the caller of before_trial
                )
            grid_id = int(free[int(self._rng.integers(len(free)))])
            study.set_trial_system_attr(trial, _SEARCH_SPACE, self._search_space)
            study.set_trial_system_attr(trial, _GRID_ID, grid_id)
            if len(taken) + 1 >= self._n_grids:  # the last point is taken: start no new trial
                _stop(study)

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if param_name not in self._search_space:
            raise InvalidArgumentError(
                f"The parameter {param_name!r} is not in the grid's search space "
                f"{sorted(self._search_space)}; GridSampler can only suggest those."
            )
        grid_id = trial.system_attrs.get(_GRID_ID)
        if grid_id is None:
            raise InvalidArgumentError(
                f"Trial {trial.number} has no grid point (was GridSampler.before_trial called?)."
            )
        value = self._all_grids[int(grid_id)][self._names.index(param_name)]
        if not param_distribution.contains_external(value):
            warnings.warn(
                f"The grid value {value!r} of {param_name!r} lies outside {param_distribution!r}.",
                UserWarning,
                stacklevel=2,
            )
        return value

    def _trial_finished(self, study: StudyView, trial: FrozenTrial, state: TrialState) -> None:
        with self._lock:
            if self.is_exhausted(study):
                _stop(study)

    def is_exhausted(self, study: StudyView) -> bool:
        """Return True when every grid point has a trial (running or finished)."""
        return len(self._taken_grid_ids(study, states=None)) >= self._n_grids

    def _taken_grid_ids(self, study: StudyView, states: tuple[TrialState, ...] | None) -> set[int]:
        taken: set[int] = set()
        for t in study.get_trials(deepcopy=False, states=states):
            grid_id = t.system_attrs.get(_GRID_ID)
            if grid_id is not None and self._same_space(t.system_attrs.get(_SEARCH_SPACE)):
                taken.add(int(grid_id))
            elif "fixed_params" in t.system_attrs and t.state != TrialState.WAITING:
                point = self._point_of(t.params)
                if point is not None:
                    taken.add(point)
        return taken

    def _same_space(self, space: Any) -> bool:
        if not isinstance(space, dict) or sorted(space) != self._names:
            return False
        return all(
            len(space[n]) == len(self._search_space[n])
            and all(_same_value(a, b) for a, b in zip(space[n], self._search_space[n]))
            for n in self._names
        )

    def _point_of(self, params: Mapping[str, Any]) -> int | None:
        if sorted(params) != self._names:
            return None
        for i, grid in enumerate(self._all_grids):
            if all(_same_value(params[n], v) for n, v in zip(self._names, grid)):
                return i
        return None

    def __repr__(self) -> str:
        return f"GridSampler({self._search_space!r}, seed={self._seed})"


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b and type(a) is type(b)) or (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )

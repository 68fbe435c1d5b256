"""What the storage conformance checks share: the values they store and small helpers."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar

from podbor._records.frozen_trial import FrozenTrial, create_trial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.storages._base import BaseStorage

__all__ = [
    "DISTRIBUTIONS",
    "FINISHED",
    "JSON_VALUES",
    "MAX",
    "MIN",
    "N_THREADS",
    "PARAMS",
    "UNKNOWN_ID",
    "finished_trial",
    "in_threads",
    "make_template",
    "typed",
]

_T = TypeVar("_T")

MIN: Final = StudyDirection.MINIMIZE
MAX: Final = StudyDirection.MAXIMIZE
N_THREADS: Final = 8
FINISHED: Final = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
UNKNOWN_ID: Final = 987_654_321

JSON_VALUES: Final[dict[str, Any]] = {
    "int": 7,
    "float": 0.25,
    "str": "text ✓",
    "none": None,
    "bool": True,
    "list": [1, "two", None, False, [3.5]],
    "nested": {"a": {"b": [1, 2, {"c": None, "d": "e"}]}, "empty": {}},
}
"""Attribute values the suite stores: every JSON kind, nested."""

_CHOICES: Final = (None, True, 1, 1.5, "a")
DISTRIBUTIONS: Final[dict[str, BaseDistribution]] = {
    "float": FloatDistribution(-1.0, 1.0),
    "log_float": FloatDistribution(1e-3, 1.0, log=True),
    "step_float": FloatDistribution(0.0, 1.0, step=0.25),
    "int": IntDistribution(-3, 3),
    "log_int": IntDistribution(1, 100, log=True),
    "step_int": IntDistribution(0, 10, step=2),
    "cat_none": CategoricalDistribution(_CHOICES),
    "cat_bool": CategoricalDistribution(_CHOICES),
    "cat_int": CategoricalDistribution(_CHOICES),
    "cat_float": CategoricalDistribution(_CHOICES),
    "cat_str": CategoricalDistribution(_CHOICES),
}
PARAMS: Final[dict[str, Any]] = {
    "float": -0.5,
    "log_float": 0.01,
    "step_float": 0.75,
    "int": -2,
    "log_int": 10,
    "step_int": 4,
    "cat_none": None,
    "cat_bool": True,
    "cat_int": 1,
    "cat_float": 1.5,
    "cat_str": "a",
}
_START: Final = datetime.datetime(2024, 2, 29, 13, 14, 15, 123456)
_COMPLETE: Final = datetime.datetime(2024, 2, 29, 13, 16, 17, 654321)


def typed(mapping: dict[Any, Any]) -> list[tuple[str, str]]:
    """A mapping with its values' types, in a form that compares exactly (1 != True != 1.0)."""
    return sorted((repr(k), f"{type(v).__name__}:{v!r}") for k, v in mapping.items())


def make_template(
    state: TrialState = TrialState.COMPLETE, values: Sequence[float] | None = None
) -> FrozenTrial:
    """A template trial with every kind of parameter, attribute, report, and fixed datetimes."""
    if values is None and state == TrialState.COMPLETE:
        values = [1.5]
    trial = create_trial(
        state=state,
        values=values,
        params=dict(PARAMS),
        distributions=dict(DISTRIBUTIONS),
        user_attrs=dict(JSON_VALUES),
        system_attrs={"sampler": {"state": [1, 2, 3]}, "flag": False},
        intermediate_values={0: 3.0, 1: 2.5, 4: -1.0},
    )
    if state != TrialState.WAITING:
        trial.datetime_start = _START
    if state.is_finished():
        trial.datetime_complete = _COMPLETE
    return trial


def in_threads(func: Callable[[int], _T], n: int = N_THREADS) -> list[_T]:
    """Run ``func(i)`` for ``i`` in ``range(n)`` in ``n`` threads released together."""
    barrier = threading.Barrier(n)

    def run(i: int) -> _T:
        barrier.wait()
        return func(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def finished_trial(storage: BaseStorage, study_id: int, state: TrialState) -> int:
    """Create a trial with a parameter and a report, finish it in ``state``, return its id."""
    trial_id = storage.create_new_trial(study_id)
    storage.set_trial_param(trial_id, "float", 0.5, DISTRIBUTIONS["float"])
    storage.set_trial_intermediate_value(trial_id, 0, 1.0)
    values = [1.0] if state == TrialState.COMPLETE else None
    assert storage.set_trial_state_values(trial_id, state, values)
    return trial_id

"""FrozenStudy and StudySummary take Optuna's arguments: ``direction`` or ``directions``."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from podbor import StudyDirection
from podbor.study import FrozenStudy, StudySummary

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE


def _frozen(direction: StudyDirection | None, **kwargs: Any) -> FrozenStudy:
    return FrozenStudy("s", direction, {"u": 1}, {"s": 2}, 7, **kwargs)


def _summary(direction: StudyDirection | None, **kwargs: Any) -> StudySummary:
    start = datetime.datetime(2024, 1, 1)
    return StudySummary("s", direction, None, {"u": 1}, 3, start, 7, **kwargs)


@pytest.mark.parametrize("make", [_frozen, _summary], ids=["FrozenStudy", "StudySummary"])
def test_one_direction_or_several(make: Any) -> None:
    single = make(MAX)
    assert single.direction == MAX and single.directions == [MAX]
    several = make(None, directions=(MIN, MAX))
    assert several.directions == [MIN, MAX]
    with pytest.raises(RuntimeError, match="several objectives"):
        _ = several.direction
    for bad in ({"direction": None}, {"direction": MIN, "directions": [MIN]}):
        with pytest.raises(ValueError, match="exactly one of 'direction'"):
            make(**bad)


@pytest.mark.parametrize("make", [_frozen, _summary], ids=["FrozenStudy", "StudySummary"])
def test_compared_by_value_and_ordered_by_id(make: Any) -> None:
    assert make(MIN) == make(MIN)
    assert make(MIN) != make(MAX)
    later = make(MIN)
    later._study_id = 8
    assert make(MIN) < later and make(MIN) <= make(MIN) and not later < make(MIN)


def test_summary_fields() -> None:
    summary = _summary(MIN, system_attrs={"k": "v"})
    assert (summary.study_name, summary.n_trials, summary.best_trial) == ("s", 3, None)
    assert summary.user_attrs == {"u": 1} and summary.system_attrs == {"k": "v"}
    assert summary.datetime_start == datetime.datetime(2024, 1, 1)
    assert _summary(MIN).system_attrs == {}

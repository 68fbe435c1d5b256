"""Tests of constraints: ``set_constraint``/``constraints`` on every trial kind, and feasibility
in ``Study.best_trial`` and ``Study.best_trials``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

import podbor
from podbor._records.base_trial import BaseTrial, constraints_from_system_attrs, is_feasible
from podbor.study import StudyDirection
from podbor.study._constrained_optimization import _CONSTRAINTS_KEY
from podbor.trial import FixedTrial, create_trial


def _fixed() -> BaseTrial:
    return FixedTrial({})


def _frozen() -> BaseTrial:
    return create_trial(value=0.0)


def _live() -> BaseTrial:
    return podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0)).ask()


TRIAL_KINDS = [
    pytest.param(_fixed, id="fixed"),
    pytest.param(_frozen, id="frozen"),
    pytest.param(_live, id="live"),
]


@pytest.mark.parametrize("make", TRIAL_KINDS)
def test_set_constraint_records_named_values(make: Callable[[], BaseTrial]) -> None:
    trial = make()
    trial.set_constraint("cost", 1.5)
    trial.set_constraint("limit", "-2.5")  # type: ignore[arg-type]  # float() accepts it
    assert trial.constraints == {"cost": 1.5, "limit": -2.5}
    assert trial.system_attrs["constraints:cost"] == 1.5
    assert not is_feasible(trial)


@pytest.mark.parametrize("make", TRIAL_KINDS)
@pytest.mark.parametrize(
    ("value", "error"),
    [
        pytest.param(math.nan, ValueError, id="nan"),
        pytest.param("much", TypeError, id="text"),
        pytest.param(None, TypeError, id="none"),
    ],
)
def test_set_constraint_refuses_bad_values(
    make: Callable[[], BaseTrial], value: Any, error: type[Exception]
) -> None:
    trial = make()
    with pytest.raises(error, match=r"The 'value' parameter of Trial\.set_constraint"):
        trial.set_constraint("c", value)
    assert trial.constraints == {}


@pytest.mark.parametrize("make", TRIAL_KINDS)
def test_a_constraint_is_set_once(make: Callable[[], BaseTrial]) -> None:
    trial = make()
    trial.set_constraint("c", 1.0)
    with pytest.warns(UserWarning, match="already set"):
        trial.set_constraint("c", 2.0)
    assert trial.constraints == {"c": 1.0}


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        pytest.param({}, {}, id="none"),
        pytest.param({"constraints": [1.5, -0.5]}, {"0": 1.5, "1": -0.5}, id="listed"),
        pytest.param({"constraints:cost": 2.5}, {"cost": 2.5}, id="named"),
        pytest.param(
            {"constraints": [1.0, 2.0], "constraints:cost": 3.0},
            {"0": 1.0, "1": 2.0, "cost": 3.0},
            id="both",
        ),
    ],
)
def test_constraints_are_read_in_both_forms(
    attrs: dict[str, Any], expected: dict[str, float]
) -> None:
    assert constraints_from_system_attrs(attrs) == expected
    assert create_trial(value=1.0, system_attrs=attrs).constraints == expected


def test_a_named_constraint_overrides_a_listed_one_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="recorded twice"):
        found = constraints_from_system_attrs({"constraints": [1.0, 2.0], "constraints:0": 3.0})
    assert found == {"0": 3.0, "1": 2.0}


def _tell(study: podbor.Study, values: Any, constraint: float | None) -> None:
    trial = study.ask()
    if constraint is not None:
        trial.set_constraint("c", constraint)
    study.tell(trial, values)


@pytest.mark.parametrize(
    "direction", [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE], ids=["min", "max"]
)
def test_best_trial_is_the_best_feasible_one(direction: StudyDirection) -> None:
    study = podbor.create_study(direction=direction)
    better = -1.0 if direction == StudyDirection.MINIMIZE else 1.0
    _tell(study, 0.0, 1.0)  # infeasible
    with pytest.raises(ValueError, match="feasible"):
        _ = study.best_trial
    _tell(study, 0.0, 0.0)  # feasible (0 counts)
    assert study.best_trial.number == 1
    _tell(study, better, 1.0)  # better but infeasible
    assert study.best_trial.number == 1
    assert study.best_value == 0.0
    _tell(study, better, None)  # no constraint: feasible
    assert study.best_trial.number == 3


def test_best_trial_reads_the_listed_form_written_by_samplers() -> None:
    study = podbor.create_study()
    for value, constraint in [(0.0, 1.0), (1.0, -1.0)]:
        trial = study.ask()
        study._storage.set_trial_system_attr(trial._trial_id, _CONSTRAINTS_KEY, [constraint])
        study.tell(trial, value)
    assert study.best_trial.number == 1


def test_best_trials_keep_only_feasible_trials() -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    assert study.best_trials == []
    _tell(study, [0, 0], 1.0)
    assert study.best_trials == []
    _tell(study, [0, 0], 0.0)
    assert [t.number for t in study.best_trials] == [1]
    _tell(study, [-1, 1], 1.0)  # dominates, but infeasible
    assert [t.number for t in study.best_trials] == [1]
    _tell(study, [1, 1], 0.0)
    assert {t.number for t in study.best_trials} == {1, 3}


def test_the_progress_log_names_the_best_feasible_trial(caplog: pytest.LogCaptureFixture) -> None:
    podbor.logging.set_verbosity(podbor.logging.INFO)
    study = podbor.create_study()
    _tell(study, 1.0, 0.0)
    _tell(study, 0.0, 5.0)
    assert "Best is trial 0 with value: 1.0." in caplog.text.splitlines()[-1]

"""Optuna's own exceptions, raised by code written for Optuna, inside a podbor study.

No optuna is imported: classes that carry Optuna's names and module stand in for them.
"""

from __future__ import annotations

import pytest

import podbor
from podbor.exceptions import (
    DuplicatedStudyError,
    PodborError,
    TrialPruned,
    podbor_equivalent,
)
from podbor.trial import TrialState


class OptunaError(Exception):
    pass


class OptunaTrialPruned(OptunaError):
    pass


class OptunaDuplicatedStudyError(OptunaError):
    pass


OptunaError.__module__ = "optuna.exceptions"
OptunaTrialPruned.__module__ = "optuna.exceptions"
OptunaTrialPruned.__name__ = "TrialPruned"
OptunaDuplicatedStudyError.__module__ = "optuna.exceptions"
OptunaDuplicatedStudyError.__name__ = "DuplicatedStudyError"


class NotOptunasTrialPruned(Exception):  # the name alone is not enough
    pass


NotOptunasTrialPruned.__name__ = "TrialPruned"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OptunaTrialPruned(), TrialPruned),
        (OptunaError(), PodborError),
        (OptunaDuplicatedStudyError(), DuplicatedStudyError),
        (TrialPruned(), TrialPruned),
        (NotOptunasTrialPruned(), NotOptunasTrialPruned),
        (ValueError(), ValueError),
    ],
    ids=["optuna-pruned", "optuna-root", "optuna-duplicated", "podbor", "look-alike", "builtin"],
)
def test_podbor_equivalent(error: BaseException, expected: type[BaseException]) -> None:
    assert podbor_equivalent(error) is expected


def test_optunas_trial_pruned_prunes_the_trial() -> None:
    def objective(trial: podbor.Trial) -> float:
        trial.report(0.5, 0)
        raise OptunaTrialPruned("plateau")

    study = podbor.create_study()
    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.PRUNED] * 2
    assert study.trials[0].value == 0.5
    assert study.trials[0].system_attrs["prune_reason"] == "plateau"


def test_optunas_errors_are_caught_as_podbors() -> None:
    def objective(trial: podbor.Trial) -> float:
        raise OptunaDuplicatedStudyError("exists")

    study = podbor.create_study()
    study.optimize(objective, n_trials=2, catch=(PodborError,))
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 2
    with pytest.raises(OptunaDuplicatedStudyError):
        study.optimize(objective, n_trials=1, catch=(KeyError,))


def test_a_look_alike_is_not_a_prune() -> None:
    def objective(trial: podbor.Trial) -> float:
        raise NotOptunasTrialPruned()

    study = podbor.create_study()
    study.optimize(objective, n_trials=1, catch=(Exception,))
    assert study.trials[0].state == TrialState.FAIL

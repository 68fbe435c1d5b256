"""Tests of optimize callbacks, ``MaxTrialsCallback`` and ``Study.stop``."""

from __future__ import annotations

from typing import Any

import pytest

import podbor
from podbor.study import MaxTrialsCallback
from podbor.trial import FrozenTrial, Trial, TrialState


def _study() -> podbor.Study:
    return podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))


def _objective(trial: Trial) -> float:
    if trial.number % 3 == 2:
        raise ValueError("every third trial fails")
    return trial.suggest_float("x", 0, 1)


@pytest.mark.parametrize("n_jobs", [1, 2], ids=["sequential", "threads"])
def test_callbacks_get_the_study_and_the_finished_trial(n_jobs: int) -> None:
    calls: list[tuple[str, Any, FrozenTrial]] = []
    study = _study()
    study.optimize(
        _objective,
        n_trials=6,
        n_jobs=n_jobs,
        catch=(ValueError,),
        callbacks=[
            lambda s, t: calls.append(("first", s, t)),
            lambda s, t: calls.append(("second", s, t)),
        ],
    )
    assert len(calls) == 12
    assert all(s is study for _, s, _ in calls)
    assert all(isinstance(t, FrozenTrial) and t.state.is_finished() for _, _, t in calls)
    for number in range(6):  # each trial: every callback once, in the order given
        assert [name for name, _, t in calls if t.number == number] == ["first", "second"]
    by_number = {t.number: t for _, _, t in calls}
    for stored in study.trials:
        assert by_number[stored.number].state == stored.state
        assert by_number[stored.number].values == stored.values


def test_each_callback_gets_its_own_copy_of_the_trial() -> None:
    """As in Optuna: a callback may change the trial it gets (its mappings are plain dicts);
    neither the study nor the next callback sees the change."""
    seen: list[FrozenTrial] = []

    def change(study: podbor.Study, trial: FrozenTrial) -> None:
        seen.append(trial)
        trial.set_user_attr("changed", True)
        trial.distributions["extra"] = podbor.distributions.FloatDistribution(0, 1)

    study = _study()
    study.optimize(_objective, n_trials=3, catch=(ValueError,), callbacks=[change, change])
    assert len(seen) == 6 and len({id(t) for t in seen}) == 6
    assert all(t.user_attrs == {"changed": True} for t in seen)
    assert all(not t.user_attrs and "extra" not in t.distributions for t in study.trials)


def test_callback_sees_failed_and_pruned_trials() -> None:
    states: list[TrialState] = []

    def objective(trial: Trial) -> float:
        if trial.number == 0:
            raise podbor.TrialPruned()
        if trial.number == 1:
            raise ValueError
        return 0.0

    _study().optimize(
        objective, n_trials=3, catch=ValueError, callbacks=[lambda s, t: states.append(t.state)]
    )
    assert states == [TrialState.PRUNED, TrialState.FAIL, TrialState.COMPLETE]


def test_an_error_in_a_callback_propagates_after_the_trial_is_stored() -> None:
    def callback(study: podbor.Study, trial: FrozenTrial) -> None:
        raise RuntimeError("callback boom")

    study = _study()
    with pytest.raises(RuntimeError, match="callback boom"):
        study.optimize(_objective, n_trials=5, callbacks=[callback])
    assert [t.state for t in study.trials] == [TrialState.COMPLETE]


@pytest.mark.parametrize(
    ("callback", "expected_total", "expected_complete"),
    [
        # _objective: trials 2, 5, 8, … fail; the others complete.
        pytest.param(MaxTrialsCallback(5), 7, 5, id="complete-by-default"),
        pytest.param(MaxTrialsCallback(5, states=None), 5, 4, id="every-state"),
        pytest.param(MaxTrialsCallback(2, states=(TrialState.FAIL,)), 6, 4, id="failures"),
    ],
)
def test_max_trials_callback(
    callback: MaxTrialsCallback, expected_total: int, expected_complete: int
) -> None:
    study = _study()
    study.optimize(_objective, n_trials=100, catch=(ValueError,), callbacks=[callback])
    trials = study.trials
    assert len(trials) == expected_total
    assert sum(t.state == TrialState.COMPLETE for t in trials) == expected_complete


def test_max_trials_callback_counts_trials_of_earlier_calls() -> None:
    study = _study()
    study.optimize(lambda t: 0.0, n_trials=3)
    study.optimize(lambda t: 0.0, n_trials=100, callbacks=[MaxTrialsCallback(5)])
    assert len(study.trials) == 5


@pytest.mark.parametrize(
    "n_trials", [-1, 1.5, True, None], ids=["negative", "float", "bool", "none"]
)
def test_max_trials_callback_validates_n_trials(n_trials: Any) -> None:
    with pytest.raises(ValueError, match="The 'n_trials' parameter of MaxTrialsCallback"):
        MaxTrialsCallback(n_trials)


def test_stop_from_a_callback() -> None:
    def callback(study: podbor.Study, trial: FrozenTrial) -> None:
        if trial.number == 2:
            study.stop()

    study = _study()
    study.optimize(lambda t: 0.0, callbacks=[callback])  # no other budget: only stop() ends it
    assert len(study.trials) == 3
    study.optimize(lambda t: 0.0, n_trials=2)  # the flag does not outlive the call
    assert len(study.trials) == 5


def test_stop_from_the_objective_lets_the_trial_finish() -> None:
    def objective(trial: Trial) -> float:
        if trial.number == 1:
            trial.study.stop()
        return 1.0

    study = _study()
    study.optimize(objective, n_trials=10)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2


def test_stop_with_threads() -> None:
    def callback(study: podbor.Study, trial: FrozenTrial) -> None:
        if trial.number >= 3:
            study.stop()

    study = _study()
    study.optimize(lambda t: 0.0, n_trials=1000, n_jobs=2, callbacks=[callback])
    assert 4 <= len(study.trials) <= 6  # each thread finishes at most its running trial
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_stop_outside_optimize_raises_and_leaves_the_next_call_alone() -> None:
    study = _study()
    with pytest.raises(RuntimeError, match=r"Study\.stop"):
        study.stop()
    study.optimize(lambda t: 0.0, n_trials=2)
    assert len(study.trials) == 2

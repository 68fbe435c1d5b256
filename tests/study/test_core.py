"""The study's internal interface: StudyCore, reached through core_of."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import podbor
from podbor._study_core import FAIL_REASON_KEY, WORKER_KEY, StudyCore, core_of
from podbor.samplers import RandomSampler
from podbor.storages import InMemoryStorage, JournalFileBackend, JournalStorage
from podbor.study import RetryFailedTrialCallback
from podbor.trial import TrialState, create_trial


@pytest.fixture
def study() -> podbor.Study:
    return podbor.create_study(study_name="s", storage=InMemoryStorage())


def test_core_holds_what_the_study_was_made_with(study: podbor.Study) -> None:
    core = core_of(study)
    assert isinstance(core, StudyCore)
    assert core.study_name == "s"
    assert core.directions == study.directions
    assert core.sampler is study.sampler
    assert core.pruner is study.pruner


def test_assigning_a_sampler_or_pruner_reaches_the_trials(study: podbor.Study) -> None:
    study.sampler = RandomSampler(seed=1)
    study.pruner = podbor.pruners.MedianPruner()
    assert core_of(study).sampler is study.sampler
    assert core_of(study).pruner is study.pruner
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    seeded = podbor.create_study(sampler=RandomSampler(seed=1))
    seeded.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert [t.params for t in study.trials] == [t.params for t in seeded.trials]


def test_two_handles_on_one_study_have_their_own_core(study: podbor.Study) -> None:
    other = podbor.load_study(study_name="s", storage=core_of(study).storage)
    assert core_of(other) is not core_of(study)
    assert core_of(other).is_same_study(core_of(study))
    elsewhere = podbor.create_study(storage=core_of(study).storage)
    assert not core_of(elsewhere).is_same_study(core_of(study))


def test_a_trial_of_another_handle_on_the_same_study_can_be_told(study: podbor.Study) -> None:
    other = podbor.load_study(study_name="s", storage=core_of(study).storage)
    trial = other.ask()
    assert study.tell(trial, 1.0).state == TrialState.COMPLETE
    foreign = podbor.create_study().ask()
    with pytest.raises(ValueError, match="a trial of this study"):
        study.tell(foreign, 1.0)


def test_enter_optimize_refuses_nesting(study: podbor.Study) -> None:
    core = core_of(study)
    core.enter_optimize()
    with pytest.raises(RuntimeError, match="Nested optimization"):
        core.enter_optimize()
    core.request_stop()
    assert core.stop_requested
    core.exit_optimize()
    assert not core.stop_requested
    core.enter_optimize()  # free again
    core.exit_optimize()


def test_start_trial_claims_the_oldest_waiting_trial_first(study: podbor.Study) -> None:
    study.enqueue_trial({"x": 0.5})
    study.enqueue_trial({"x": 0.25})
    core = core_of(study)
    first, second, third = core.start_trial(), core.start_trial(), core.start_trial()
    assert [core.get_trial(t).number for t in (first, second, third)] == [0, 1, 2]
    assert core.get_trial(first).system_attrs["fixed_params"] == {"x": 0.5}
    assert core.get_trial(third).state == TrialState.RUNNING
    assert core.n_trials() == 3
    assert core.trial_id_of(1) == second
    with pytest.raises(KeyError):
        core.trial_id_of(7)


def test_best_trial_is_none_until_one_completes_and_for_several_objectives(
    study: podbor.Study,
) -> None:
    core = core_of(study)
    assert core.best_trial() is None
    study.add_trial(create_trial(value=2.0))
    study.add_trial(create_trial(value=1.0))
    best = core.best_trial()
    assert best is not None and best.number == 1
    multi = podbor.create_study(directions=["minimize", "maximize"])
    multi.add_trial(create_trial(values=[1.0, 2.0]))
    assert core_of(multi).best_trial() is None


def test_finish_trial_stores_state_and_values(study: podbor.Study) -> None:
    core = core_of(study)
    trial_id = core.start_trial()
    core.set_trial_system_attr(trial_id, FAIL_REASON_KEY, "because")
    finished = core.finish_trial(trial_id, TrialState.FAIL, None)
    assert finished.state == TrialState.FAIL
    assert finished.system_attrs[FAIL_REASON_KEY] == "because"


@pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")
def test_metric_names_are_read_through_the_core(study: podbor.Study) -> None:
    assert core_of(study).metric_names() is None
    study.set_metric_names(["loss"])
    assert core_of(study).metric_names() == ["loss"] == study.metric_names


def test_heartbeat_settings_come_from_the_storage(study: podbor.Study) -> None:
    core = core_of(study)
    assert core.heartbeat_interval is None
    assert core.failed_trial_callback is None
    assert core.fail_stale_trials() == []


def test_retry_callback_has_optunas_path_too() -> None:
    assert podbor.storages.RetryFailedTrialCallback is RetryFailedTrialCallback
    assert "RetryFailedTrialCallback" in podbor.storages.__all__


@pytest.mark.parametrize("kind", ["memory", "sqlite", "journal"])
def test_a_trial_started_by_optimize_is_described_as_stored(kind: str, tmp_path: Path) -> None:
    """optimize describes a trial it creates from what it wrote (no read back); the Trial must
    still see exactly the stored record, and a claimed enqueued trial its fixed params."""
    storage: Any
    if kind == "memory":
        storage = InMemoryStorage()
    elif kind == "sqlite":
        storage = f"sqlite:///{tmp_path / 'db.sqlite'}"
    else:
        storage = JournalStorage(JournalFileBackend(str(tmp_path / "journal.log")))
    study = podbor.create_study(storage=storage, sampler=RandomSampler(seed=0))
    study.enqueue_trial({"x": 0.25})
    checked: list[int] = []

    def objective(trial: podbor.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        stored = core_of(study).get_trial(trial._trial_id)
        assert trial.number == stored.number == len(checked)
        assert trial.datetime_start == stored.datetime_start
        assert trial.system_attrs == stored.system_attrs
        assert WORKER_KEY in trial.system_attrs
        assert trial.params == stored.params == {"x": x}
        checked.append(trial.number)
        return x

    study.optimize(objective, n_trials=3)
    assert checked == [0, 1, 2]
    assert study.trials[0].params == {"x": 0.25}


def test_get_trials_with_deepcopy_copies_attributes_with_copy_deepcopy() -> None:
    """Optuna's own test watches copy.deepcopy: a public read with deepcopy=True uses it even
    for scalar attributes (the storages' internal copies take a plain path)."""
    import copy
    from unittest.mock import patch

    study = podbor.create_study(sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_int("x", 1, 5), n_trials=5)
    with patch("copy.deepcopy", wraps=copy.deepcopy) as deepcopy:
        shared = study.get_trials(deepcopy=False)
        assert deepcopy.call_count == 0
        copied = study.get_trials(deepcopy=True)
        assert deepcopy.call_count > 0
    assert copied == shared and all(a is not b for a, b in zip(copied, shared))

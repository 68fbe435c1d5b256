"""InMemoryStorage beyond the shared contract: optional heartbeats and pickling."""

from __future__ import annotations

import pickle
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import podbor
from podbor.storages import InMemoryStorage
from podbor.trial import TrialState

MIN = podbor.StudyDirection.MINIMIZE


def test_heartbeats_are_off_by_default() -> None:
    storage = InMemoryStorage()
    assert storage.heartbeat_interval is None and storage.heartbeat_stale_trial_callback is None
    study_id = storage.create_new_study([MIN], "s")
    trial_id = storage.create_new_trial(study_id)
    storage.record_heartbeat(trial_id)
    assert storage.fail_stale_trials(study_id) == []
    assert storage.get_trial(trial_id).state == TrialState.RUNNING


def test_only_running_trials_that_stopped_beating_are_failed() -> None:
    storage = InMemoryStorage(heartbeat_interval=0.05, grace_period=0.1)
    study_id = storage.create_new_study([MIN], "s")
    other_study = storage.create_new_study([MIN], "other")
    stale, finished, unbeaten, elsewhere = (
        storage.create_new_trial(s) for s in (study_id, study_id, study_id, other_study)
    )
    for trial_id in (stale, finished, elsewhere):
        storage.record_heartbeat(trial_id)
    storage.set_trial_state_values(finished, TrialState.COMPLETE, [1.0])
    time.sleep(0.2)
    assert storage.fail_stale_trials(study_id) == [stale]
    assert storage.fail_stale_trials(study_id) == []  # each stale trial is failed once
    trial = storage.get_trial(stale)
    assert trial.state == TrialState.FAIL and trial.datetime_complete is not None
    assert storage.get_trial(finished).state == TrialState.COMPLETE
    assert storage.get_trial(unbeaten).state == TrialState.RUNNING  # never beat: never stale
    assert storage.get_trial(elsewhere).state == TrialState.RUNNING  # another study's


def test_pickling_keeps_the_studies_and_the_heartbeat_settings() -> None:
    storage = InMemoryStorage(heartbeat_interval=5)
    study = podbor.create_study(storage=storage, study_name="p")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    copy = pickle.loads(pickle.dumps(storage))
    assert copy.heartbeat_interval == 5
    assert len(podbor.load_study(study_name="p", storage=copy).trials) == 2


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"heartbeat_interval": 0}, "heartbeat_interval"),
        ({"heartbeat_interval": True}, "heartbeat_interval"),
        ({"heartbeat_interval": 1, "grace_period": "long"}, "grace_period"),
        ({"grace_period": 5}, "grace_period"),
        ({"heartbeat_stale_trial_callback": print}, "heartbeat_stale_trial_callback"),
    ],
)
def test_bad_heartbeat_settings_name_the_argument(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=f"'{name}' parameter of InMemoryStorage"):
        InMemoryStorage(**kwargs)


# -- the indexes by state ----------------------------------------------------------------------
_SELECTIONS: list[tuple[TrialState, ...]] = [(state,) for state in TrialState] + [
    (TrialState.COMPLETE, TrialState.PRUNED),
    (TrialState.RUNNING, TrialState.COMPLETE),
    (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED),
    (TrialState.PRUNED, TrialState.COMPLETE),
]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["create", "enqueue", "claim", "finish"]),
            st.sampled_from([TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL]),
            st.integers(0, 30),
        ),
        max_size=60,
    )
)
@settings(max_examples=60, deadline=None)
def test_trials_by_state_agree_with_a_scan(ops: list[tuple[str, TrialState, int]]) -> None:
    """RUNNING trials, finished ones by state and merged lists of several states are kept as
    indexes; whatever the order of creations and endings (late finishers included), a read by
    state gives exactly what a scan of every trial gives, in number order."""
    storage = InMemoryStorage()
    study_id = storage.create_new_study([MIN], "s")
    for op, state, pick in ops:
        if op == "create":
            storage.create_new_trial(study_id)
        elif op == "enqueue":
            template = podbor.trial.create_trial(state=TrialState.WAITING)
            storage.create_new_trial(study_id, template_trial=template)
        elif op == "claim":
            storage.claim_waiting_trial(study_id)
        else:
            running = storage.get_all_trials(study_id, False, (TrialState.RUNNING,))
            if running:
                victim = running[pick % len(running)]
                values = [float(pick)] if state == TrialState.COMPLETE else None
                storage.set_trial_state_values(victim._trial_id, state, values)
        everything = storage.get_all_trials(study_id, deepcopy=False)
        for states in _SELECTIONS:  # read each after every step: the merged lists are kept
            expected = [t.number for t in everything if t.state in states]
            got = storage.get_all_trials(study_id, deepcopy=False, states=states)
            assert [t.number for t in got] == expected, states
            assert storage.get_n_trials(study_id, states) == len(expected)

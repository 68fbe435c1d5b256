"""The retry callback for trials whose worker died, under Optuna's names, and the experimental
``podbor.storages.fail_stale_trials``."""

from __future__ import annotations

import time
import warnings

import pytest

import podbor
from podbor.exceptions import ExperimentalWarning
from podbor.storages import InMemoryStorage
from podbor.study._retry import RetryFailedTrialCallback, RetryHeartbeatStaleTrialCallback
from podbor.trial import TrialState


def test_optunas_names_are_in_storages() -> None:
    assert podbor.storages.RetryHeartbeatStaleTrialCallback is RetryHeartbeatStaleTrialCallback
    for name in ("RetryHeartbeatStaleTrialCallback", "RetryFailedTrialCallback"):
        assert name in podbor.storages.__all__
    assert "fail_stale_trials" in podbor.storages.__all__


def test_the_callback_is_experimental_and_its_old_name_deprecated() -> None:
    with pytest.warns(ExperimentalWarning, match="RetryHeartbeatStaleTrialCallback"):
        RetryHeartbeatStaleTrialCallback()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = RetryFailedTrialCallback(max_retry=1)
    assert isinstance(old, RetryHeartbeatStaleTrialCallback)
    assert [w.category for w in caught] == [FutureWarning]  # podbor's own call is not warned


@pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")
@pytest.mark.parametrize("max_retry", [None, 0, 2])
def test_fail_stale_trials_fails_and_retries(max_retry: int | None) -> None:
    retry = RetryHeartbeatStaleTrialCallback(max_retry=max_retry)
    storage = InMemoryStorage(
        heartbeat_interval=0.05, grace_period=0.1, heartbeat_stale_trial_callback=retry
    )
    study = podbor.create_study(storage=storage)
    trial = study.ask({"x": podbor.distributions.FloatDistribution(0, 1)})
    storage.record_heartbeat(trial._trial_id)
    time.sleep(0.2)
    with pytest.warns(ExperimentalWarning, match="fail_stale_trials"):
        podbor.storages.fail_stale_trials(study)
    trials = study.trials
    assert trials[0].state == TrialState.FAIL
    if max_retry == 0:
        assert len(trials) == 1
        return
    assert trials[1].state == TrialState.WAITING and trials[1].params == trials[0].params
    assert RetryHeartbeatStaleTrialCallback.retried_trial_number(trials[1]) == 0
    assert RetryHeartbeatStaleTrialCallback.retry_history(trials[1]) == [0]

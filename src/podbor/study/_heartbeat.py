"""Heartbeats of running trials, and failing the trials of workers that died."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from podbor._study_core import StudyCore, StudyHandle, core_of
from podbor.logging import get_logger

__all__ = ["fail_stale_trials", "heartbeat"]

_logger = get_logger("podbor.study")


@contextmanager
def heartbeat(core: StudyCore, trial_id: int) -> Iterator[None]:
    """Record a heartbeat every ``heartbeat_interval`` seconds until the block ends.

    The trial's first heartbeat was recorded when the loop started it
    (:meth:`~podbor._study_core.StudyCore.start_trial`, in the write that created or claimed
    it), so there is no moment in which the trial exists unprotected.
    """
    interval = core.heartbeat_interval
    if interval is None:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            try:
                core.record_heartbeat(trial_id)
            except Exception as err:  # a missed beat must not kill the trial
                _logger.warning(f"Could not record a heartbeat: {err!r}")

    thread = threading.Thread(target=beat, name="podbor-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def fail_stale_trials(study: StudyHandle) -> None:
    """Mark FAIL the trials whose worker stopped beating, then run the failed-trial callback.

    The callback (e.g. :class:`~podbor.storages.RetryFailedTrialCallback`) receives the study
    handle and a copy of each failed trial.
    """
    core = core_of(study)
    if core.heartbeat_interval is None:
        return
    for frozen in core.fail_stale_trials():
        _logger.warning(
            f"Trial {frozen.number} was marked FAIL: its worker sent no heartbeat within the "
            "grace period (it probably died)."
        )
        callback = core.failed_trial_callback
        if callback is not None:
            callback(study, frozen)

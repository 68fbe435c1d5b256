"""Heartbeats of running trials, and failing the trials of workers that died."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from podbor.logging import get_logger

if TYPE_CHECKING:
    from podbor.study._study import Study

__all__ = ["fail_stale_trials", "heartbeat"]

_logger = get_logger("podbor.study")


@contextmanager
def heartbeat(study: Study, trial_id: int) -> Iterator[None]:
    """Record a heartbeat now and every ``heartbeat_interval`` seconds until the block ends."""
    storage = study._storage
    interval = storage.heartbeat_interval
    if interval is None:
        yield
        return
    storage.record_heartbeat(trial_id)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            try:
                storage.record_heartbeat(trial_id)
            except Exception as err:  # a missed beat must not kill the trial
                _logger.warning(f"Could not record a heartbeat: {err!r}")

    thread = threading.Thread(target=beat, name="podbor-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def fail_stale_trials(study: Study) -> None:
    """Mark FAIL the trials whose worker stopped beating, then run the failed-trial callback."""
    storage = study._storage
    if storage.heartbeat_interval is None:
        return
    for trial_id in storage.fail_stale_trials(study._study_id):
        frozen = storage.get_trial(trial_id)
        _logger.warning(
            f"Trial {frozen.number} was marked FAIL: its worker sent no heartbeat within the "
            "grace period (it probably died)."
        )
        callback = storage.failed_trial_callback
        if callback is not None:
            callback(study, frozen._copy())

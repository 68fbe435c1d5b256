"""A Dask scheduler killed mid-study, for ``test_integration_dask.py`` and ``benchmarks/scale.py``.

``python -m podbor.testing._dask_restart URL TOTAL``: one life of a cluster: start a ``LocalCluster`` (its
scheduler in this process, two worker processes), hold the study ``restart`` of the database
``URL`` behind a ``DaskStorage`` (heartbeats on, stale trials retried), and run trials until
``TOTAL`` are COMPLETE. :func:`kill_and_restart` SIGKILLs a first life mid-study (scheduler,
workers and all) and starts a second one on the same database.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time

import podbor
from podbor.integration.dask import DaskStorage, optimize
from podbor.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from podbor.trial import FrozenTrial, Trial, TrialState

HEARTBEAT, GRACE = 0.3, 1.0
SLEEP = 0.25  # seconds per trial: the kill lands while a trial runs
FRESH = 0.6 * SLEEP
"""A running trial younger than this still runs at the kill (which follows the read at once).
0.1 s was too narrow a window on a loaded 2-core machine: reads through a new connection each
time, two workers, and the first life sometimes ended before a read caught one."""


def objective(trial: Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    time.sleep(SLEEP)
    return x


def main(url: str, total: int) -> None:
    """One life of the cluster (needs ``dask[distributed]``)."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        inner = RDBStorage(
            url,
            heartbeat_interval=HEARTBEAT,
            grace_period=GRACE,
            heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=3),
        )
        storage = DaskStorage(inner, name="restart", client=client)
        study = podbor.create_study(storage=storage, study_name="restart", load_if_exists=True)
        done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
        print(f"started with {done} complete", flush=True)
        if done < total:
            optimize(study, objective, total - done, client=client)


def trials_of(url: str) -> list[FrozenTrial]:
    """The study's trials as the database holds them now (none before it exists)."""
    storage = RDBStorage(url)
    try:
        study_id = storage.get_study_id_from_name("restart")
        return storage.get_all_trials(study_id)
    except KeyError:  # not created yet
        return []
    finally:
        storage.remove_session()
        storage.engine.dispose()


def kill_and_restart(
    url: str, total: int, min_complete: int
) -> tuple[list[FrozenTrial], list[FrozenTrial]]:
    """Run a first life until ``min_complete`` trials are COMPLETE and one runs, SIGKILL it
    (its whole process group), then a second life to the end; return the trials at the kill
    and at the end. Raises ``AssertionError`` when a life does not behave."""
    argv = [sys.executable, "-W", "ignore", "-m", "podbor.testing._dask_restart", url, str(total)]
    first = subprocess.Popen(argv, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and first.poll() is None:
            trials = trials_of(url)
            now = datetime.datetime.now()  # trials record naive local times, as Optuna
            fresh = [  # a trial that started under FRESH s ago still runs at the kill
                t
                for t in trials
                if t.state == TrialState.RUNNING
                and t.datetime_start is not None
                and (now - t.datetime_start.replace(tzinfo=None)).total_seconds() < FRESH
            ]
            if fresh and sum(t.state == TrialState.COMPLETE for t in trials) >= min_complete:
                break
            time.sleep(0.05)
        assert first.poll() is None, "the first cluster ended before it could be killed"
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    at_kill = trials_of(url)
    second = subprocess.run(argv, timeout=240, check=False)
    assert second.returncode == 0, f"the second cluster exited with {second.returncode}"
    return at_kill, trials_of(url)


if __name__ == "__main__":
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    main(sys.argv[1], int(sys.argv[2]))

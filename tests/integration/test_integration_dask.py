"""The Dask integration: ``DaskStorage`` (the whole storage contract, on a real ``LocalCluster``
with worker processes) and ``optimize`` across a cluster's workers or any executor."""

from __future__ import annotations

import asyncio
import importlib.util
import multiprocessing
import os
import pickle
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("distributed") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError(
            "dask[distributed] must be installed under CI=true (make test installs it)"
        )
    pytest.skip("dask[distributed] is not installed", allow_module_level=True)

import cloudpickle
from distributed import Client, LocalCluster, wait

import podbor
from podbor.exceptions import DuplicatedStudyError
from podbor.integration.dask import DaskStorage, WorkersLostError, optimize
from podbor.storages import (
    BaseStorage,
    InMemoryStorage,
    JournalFileBackend,
    JournalStorage,
    RetryHeartbeatStaleTrialCallback,
)
from podbor.testing import _dask_restart as dask_restart_phase
from podbor.testing.storages import StorageConformance
from podbor.trial import Trial, TrialState

# The Dask workers are other processes, which may not import this test module: send its
# objectives by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def client(cluster: LocalCluster) -> Iterator[Client]:
    with Client(cluster) as client:
        yield client


class TestDaskStorage(StorageConformance):
    @pytest.fixture
    def storage(self, client: Client) -> Iterator[BaseStorage]:
        self._handles: dict[str, DaskStorage] = {}
        yield DaskStorage(client=client)

    def with_heartbeats(self, storage: BaseStorage, **settings: Any) -> BaseStorage:
        assert isinstance(storage, DaskStorage)
        beating = self._handles.get(storage.name)
        if beating is None:  # the first call's settings hold; later calls share its studies
            beating = DaskStorage(InMemoryStorage(**settings), client=storage.client)
            self._handles[storage.name] = beating
        return beating


# -- DaskStorage, as optuna-integration's tests check it ------------------------------------------
def _quadratic(trial: Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


def test_names_are_unique_and_a_name_shares_one_storage(client: Client) -> None:
    assert DaskStorage(client=client).name != DaskStorage(client=client).name
    first = DaskStorage(name="shared-by-name", client=client)
    podbor.create_study(storage=first, study_name="s")
    second = DaskStorage(name="shared-by-name")  # the current client
    assert [s.study_name for s in second.get_all_studies()] == ["s"]
    assert pickle.loads(pickle.dumps(first)).get_all_studies()[0].study_name == "s"


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_study_optimize_submitted_to_workers(client: Client, tmp_path: Path, kind: str) -> None:
    url = None if kind == "memory" else f"sqlite:///{tmp_path / 'study.db'}"
    storage = DaskStorage(url)
    study = podbor.create_study(storage=storage)
    futures = [client.submit(study.optimize, _quadratic, n_trials=1, pure=False) for _ in range(6)]
    wait(futures)
    assert [f.exception() for f in futures] == [None] * 6
    assert [t.number for t in study.trials] == list(range(6))
    assert {t.state for t in study.trials} == {TrialState.COMPLETE}
    base = storage.get_base_storage()
    assert type(base) is InMemoryStorage
    assert [t.value for t in base.get_all_trials(0)] == [t.value for t in study.trials]


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_best_value_follows_the_direction(client: Client, direction: str) -> None:
    study = podbor.create_study(storage=DaskStorage(), direction=direction)
    client.submit(study.optimize, _quadratic, n_trials=5).result()
    values = [t.value for t in study.trials]
    assert study.best_value == (min(values) if direction == "minimize" else max(values))


def _held(dask_scheduler: Any) -> dict[str, str]:
    storages = dask_scheduler.extensions["podbor"].storages
    return {name: type(storage).__name__ for name, storage in storages.items()}


def test_await_registers_with_an_asynchronous_client(cluster: LocalCluster, client: Client) -> None:
    async def register() -> DaskStorage:
        async with Client(cluster.scheduler_address, asynchronous=True) as own:
            return await DaskStorage(name="registered-async", client=own)

    storage = asyncio.run(register())
    assert storage.name == "registered-async"
    assert client.run_on_scheduler(_held)["registered-async"] == "InMemoryStorage"


def test_the_scheduler_holds_the_given_storage(client: Client, tmp_path: Path) -> None:
    DaskStorage(f"sqlite:///{tmp_path / 'held.db'}", name="held-in-sqlite")
    DaskStorage(InMemoryStorage(), name="held-in-memory")
    held = client.run_on_scheduler(_held)
    assert held["held-in-sqlite"] == "RDBStorage" and held["held-in-memory"] == "InMemoryStorage"


def test_heartbeat_settings_come_from_the_scheduler_storage(client: Client) -> None:
    inner = InMemoryStorage(heartbeat_interval=5.0, grace_period=12.0)
    storage = DaskStorage(inner)
    assert (storage.heartbeat_interval, storage.grace_period) == (5.0, 12.0)
    assert DaskStorage().heartbeat_interval is None


def test_storage_errors_reach_the_caller_unchanged(client: Client) -> None:
    storage = DaskStorage()
    podbor.create_study(storage=storage, study_name="taken")
    with pytest.raises(DuplicatedStudyError):
        podbor.create_study(storage=storage, study_name="taken")
    with pytest.raises(KeyError):
        storage.get_trial(12345)
    with pytest.raises(KeyError, match="No DaskStorage named 'missing'"):
        DaskStorage(name="missing", register=False).get_all_studies()


# -- optimize --------------------------------------------------------------------------------------
def _assert_exact(study: podbor.Study, n: int) -> None:
    trials = study.trials
    assert [t.number for t in trials] == list(range(n))
    assert all(t.state == TrialState.COMPLETE for t in trials), [t.state for t in trials]


def test_optimize_on_the_cluster_with_a_dask_storage(client: Client) -> None:
    study = podbor.create_study(storage=DaskStorage())
    seen: list[int] = []
    optimize(study, _quadratic, 8, callbacks=[lambda s, t: seen.append(t.number)])
    _assert_exact(study, 8)
    assert sorted(seen) == list(range(8))  # the callbacks ran here, once per trial
    worker_pids = set(client.run(os.getpid).values())
    pids = {int(t.system_attrs["worker"].split(":")[1].split("/")[0]) for t in study.trials}
    assert pids <= worker_pids and os.getpid() not in pids
    optimize(study, _quadratic, 3, client=client)  # n_trials counts this call's trials
    _assert_exact(study, 11)


def test_optimize_on_the_cluster_with_sqlite(client: Client, tmp_path: Path) -> None:
    study = podbor.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}")
    optimize(study, _quadratic, 6, client=client, n_concurrent=3)
    _assert_exact(study, 6)
    optimize(study, _quadratic, 3, executor=client.get_executor())  # Dask's own Executor
    _assert_exact(study, 9)


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_optimize_on_a_process_pool(tmp_path: Path, kind: str) -> None:
    if kind == "sqlite":
        storage: Any = f"sqlite:///{tmp_path / 'study.db'}"
    else:
        storage = JournalStorage(JournalFileBackend(str(tmp_path / "journal.log")))
    study = podbor.create_study(storage=storage, sampler=podbor.samplers.RandomSampler(seed=0))
    with ProcessPoolExecutor(2) as pool:
        optimize(study, _quadratic, 8, executor=pool)
    _assert_exact(study, 8)
    xs = [t.params["x"] for t in study.trials]
    assert len(set(xs)) == 8  # each worker's sampler has its own seed
    ran_in = {int(t.system_attrs["worker"].split(":")[1]) for t in study.trials}
    assert os.getpid() not in ran_in and 1 <= len(ran_in) <= 2


def test_optimize_on_a_forked_process_pool_with_a_dask_storage(client: Client) -> None:
    study = podbor.create_study(storage=DaskStorage())
    context = multiprocessing.get_context("fork")  # the pool's workers hold a dead client copy
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        optimize(study, _quadratic, 6, executor=pool)
    _assert_exact(study, 6)


def test_optimize_on_threads_keeps_an_in_memory_study() -> None:
    study = podbor.create_study()
    with ThreadPoolExecutor(3) as pool:
        optimize(study, lambda t: t.suggest_float("x", 0, 1), 7, executor=pool)
    _assert_exact(study, 7)


def test_timeout_starts_no_new_trial() -> None:
    study = podbor.create_study()

    def slow(trial: Trial) -> float:
        time.sleep(0.2)
        return trial.suggest_float("x", 0, 1)

    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        optimize(study, slow, 1000, executor=pool, timeout=0.5)
    assert time.monotonic() - started < 5
    assert 2 <= len(study.trials) <= 10
    assert {t.state for t in study.trials} == {TrialState.COMPLETE}


def _fails_on_big_x(trial: Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    if x > 0.5:
        raise ValueError(f"x is too big: {x}")
    return x


def test_caught_errors_count_and_others_are_raised(client: Client) -> None:
    sampler = podbor.samplers.RandomSampler(seed=1)
    study = podbor.create_study(storage=DaskStorage(), sampler=sampler)
    optimize(study, _fails_on_big_x, 10, catch=(ValueError,))
    assert len(study.trials) == 10  # failed trials count, as in Study.optimize
    states = {t.state for t in study.trials}
    assert states == {TrialState.COMPLETE, TrialState.FAIL}
    study = podbor.create_study(storage=DaskStorage(), sampler=sampler)
    with pytest.raises(ValueError, match="x is too big"):
        optimize(study, _fails_on_big_x, 30)
    assert len(study.trials) < 30
    assert TrialState.FAIL in {t.state for t in study.trials}
    assert TrialState.RUNNING not in {t.state for t in study.trials}


def test_a_callback_can_stop_the_call(client: Client) -> None:
    study = podbor.create_study(storage=DaskStorage())

    def stop_after_three(study: podbor.Study, trial: Any) -> None:
        if len(study.trials) >= 3:
            study.stop()

    optimize(study, _quadratic, 50, n_concurrent=1, callbacks=[stop_after_three])
    _assert_exact(study, 3)


def test_bad_arguments_are_named(client: Client, tmp_path: Path) -> None:
    memory = podbor.create_study()
    with ProcessPoolExecutor(1) as pool:
        with pytest.raises(ValueError, match=r"'study'.*DaskStorage.*ThreadPoolExecutor"):
            optimize(memory, _quadratic, 2, executor=pool)
        on_disk = podbor.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}")
        with pytest.raises(TypeError, match=r"'func'.*picklable"):
            optimize(on_disk, lambda t: 0.0, 2, executor=pool)
        with pytest.raises(ValueError, match="'executor'"):
            optimize(on_disk, _quadratic, 2, executor=pool, client=client)
        in_memory_sqlite = podbor.create_study(storage="sqlite://")
        with pytest.raises(ValueError, match="'study'"):
            optimize(in_memory_sqlite, _quadratic, 2, executor=pool)
    with pytest.raises(ValueError, match="'study'"):
        optimize(memory, _quadratic, 2, client=client)
    with pytest.raises(ValueError, match="'n_trials'"):
        optimize(memory, _quadratic, 0)
    with pytest.raises(TypeError, match="'executor'"):
        optimize(memory, _quadratic, 2, executor="threads")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'catch'"):
        optimize(memory, _quadratic, 2, catch=[42])  # type: ignore[list-item]
    assert memory.trials == [] and on_disk.trials == []


def _exits(trial: Trial) -> float:
    trial.suggest_float("x", 0, 1)
    os._exit(1)


def test_a_broken_process_pool_is_one_clear_error(tmp_path: Path) -> None:
    study = podbor.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}")
    study.optimize(_quadratic, n_trials=2)
    finished = study.trials
    lost = pytest.raises(WorkersLostError, match="All workers of the ProcessPoolExecutor")
    with ProcessPoolExecutor(2) as pool, lost:
        optimize(study, _exits, 4, executor=pool)
    assert study.trials[:2] == finished


def _third_kills_its_worker(trial: Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    if trial.number == 2:
        os._exit(1)  # the worker process dies; its nanny starts another
    time.sleep(0.1)
    return x


def test_a_dead_workers_trial_is_failed_and_run_again(tmp_path: Path) -> None:
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster, set_as_default=False) as own,
    ):
        inner = InMemoryStorage(heartbeat_interval=0.2, grace_period=0.6)
        study = podbor.create_study(storage=DaskStorage(inner, client=own))
        optimize(study, _third_kills_its_worker, 6, client=own)
        trials = study.trials
    assert [t.number for t in trials] == list(range(7))
    assert trials[2].state == TrialState.FAIL
    assert [t.state for t in trials if t.number != 2] == [TrialState.COMPLETE] * 6


def _sleeps(trial: Trial) -> float:
    trial.suggest_float("x", 0, 1)
    time.sleep(120)
    return 0.0


@pytest.mark.slow
def test_a_cluster_that_loses_all_workers_is_one_clear_error() -> None:
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster, set_as_default=False) as own,
    ):
        inner = InMemoryStorage(heartbeat_interval=0.2, grace_period=0.6)
        study = podbor.create_study(storage=DaskStorage(inner, client=own))
        study.optimize(_quadratic, n_trials=2)
        finished = study.trials

        def scale_down_once_both_run() -> None:
            while len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))) < 2:
                time.sleep(0.05)
            cluster.scale(0)

        threading.Thread(target=scale_down_once_both_run, daemon=True).start()
        with pytest.raises(
            WorkersLostError, match=r"All workers of the Dask cluster at tcp://"
        ) as info:
            optimize(study, _sleeps, 4, client=own)
        assert "\n" not in str(info.value) and "marked FAIL" in str(info.value)
        trials = study.trials
        assert trials[:2] == finished  # nothing that finished changed
        assert [t.state for t in trials[2:]] == [TrialState.FAIL] * 2


def test_a_scheduler_killed_mid_study_loses_nothing_told(tmp_path: Path) -> None:
    """Issue 21: the scheduler (with its whole cluster) SIGKILLed in the middle of a study held
    by a DaskStorage over a database; a new scheduler and workers go on with the same database.
    Every trial told before the kill stays as it was; the trials that were running end FAIL
    (stale heartbeats) and are run again; the study ends with exactly the requested COMPLETE
    trials, numbered without gap or repeat, none left RUNNING or WAITING."""
    total = 16
    at_kill, trials = dask_restart_phase.kill_and_restart(
        f"sqlite:///{tmp_path / 'restart.db'}", total, min_complete=4
    )
    told = {t.number: t for t in at_kill if t.state == TrialState.COMPLETE}
    running = [t.number for t in at_kill if t.state == TrialState.RUNNING]
    assert running and len(told) < total
    assert [t.number for t in trials] == list(range(len(trials)))
    assert sum(t.state == TrialState.COMPLETE for t in trials) == total
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    for number, before in told.items():
        after = trials[number]
        assert (after.state, after.values, after.params) == (
            before.state,
            before.values,
            before.params,
        )
    retried_from = {
        RetryHeartbeatStaleTrialCallback.retried_trial_number(t): t.state
        for t in trials
        if t.state == TrialState.COMPLETE
    }
    for number in running:
        assert trials[number].state == TrialState.FAIL
        assert retried_from.get(number) == TrialState.COMPLETE


# -- importing, the example ---------------------------------------------------------------------
def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_dask_is_imported_only_when_used_and_named_when_missing() -> None:
    done = _python(
        "import sys, podbor.integration, podbor.integration.dask\n"
        "assert 'distributed' not in sys.modules and 'dask' not in sys.modules, 'imported'\n"
        "sys.modules['distributed'] = None\n"
        "from podbor.integration.dask import DaskStorage\n"
        "try:\n    DaskStorage()\nexcept ImportError as err:\n    print(err)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "DaskStorage needs Dask distributed" in done.stdout
    assert "pip install podbor[dask]" in done.stdout
    done = _python(
        "from podbor.integration.dask import DaskStorage\n"
        "try:\n    DaskStorage()\nexcept ValueError as err:\n    print(err)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "No global client found" in done.stdout


def test_example_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "dask_study.py"), "--n-trials", "6"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"^Best value: [0-9.]+$", done.stdout, re.MULTILINE), done.stdout
    assert "Pruned trials:" in done.stdout

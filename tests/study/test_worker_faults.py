"""Workers that die cost nothing: SIGKILL worker processes at random moments (seeded) while
they run a study with heartbeats and retries, on SQLite, a journal file and PostgreSQL; the
survivors (and the workers started in the killed ones' place) finish it.

Afterwards: every trial that was seen finished stays exactly as it was, every FAIL trial (a
dead worker's) was run again, the study holds exactly the requested number of COMPLETE trials,
and the numbers are gap-free and duplicate-free. The small runs are part of ``make test``; the
large ones are marked slow.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

import podbor
from podbor.exceptions import ExperimentalWarning
from podbor.storages import BaseStorage, JournalStorage, RDBStorage
from podbor.storages.journal import JournalFileBackend, JournalFileOpenLock
from podbor.testing._faults import (
    FaultRun,
    PrivateServer,
    check_nothing_lost,
    run_with_kills,
    worker_command,
    write_objective,
)

STUDY = "faults"


def _sqlite(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, BaseStorage]:
    url = request.getfixturevalue("sqlite_url")
    return url, RDBStorage(url)


def _postgres(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, BaseStorage]:
    url = request.getfixturevalue("postgres_url")
    return url, RDBStorage(url)


def _journal(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, BaseStorage]:
    path = str(tmp_path / "study.log")
    backend = JournalFileBackend(path, lock_obj=JournalFileOpenLock(path, grace_period=1.0))
    return path, JournalStorage(backend)


BACKENDS: dict[str, Callable[[Path, pytest.FixtureRequest], tuple[str, BaseStorage]]] = {
    "sqlite": _sqlite,
    "journal": _journal,
    "postgresql": _postgres,
}


def _run(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, run: FaultRun
) -> dict[str, int]:
    where, storage = BACKENDS[backend](tmp_path, request)
    write_objective(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        study = podbor.create_study(storage=storage, study_name=STUDY)
    study_id = storage.get_study_id_from_name(STUDY)
    run_with_kills(tmp_path, worker_command(where, STUDY, run), storage, study_id, run)
    counts = check_nothing_lost(study.get_trials(deepcopy=True), run)
    assert run.kills_done == run.n_kills
    return counts


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_killed_workers_lose_nothing(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    run = FaultRun(n_workers=2, n_kills=2, n_trials=12, seed=1)
    _run(backend, tmp_path, request, run)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2, 3])
@pytest.mark.parametrize("backend", list(BACKENDS))
def test_many_killed_workers_lose_nothing(
    backend: str, seed: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    run = FaultRun(n_workers=4, n_kills=8, n_trials=60, seed=seed)
    _run(backend, tmp_path, request, run)


@pytest.mark.slow
def test_a_postgresql_restart_in_the_middle_loses_nothing(tmp_path: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="podbor-pg-"))  # not under pytest's 0700 root
    server = PrivateServer(folder)
    url = server.start()
    if url is None:
        shutil.rmtree(folder)
        pytest.skip("PostgreSQL is not installed")
    try:
        storage = RDBStorage(url)
        write_objective(tmp_path)
        study = podbor.create_study(storage=storage, study_name=STUDY)
        study_id = storage.get_study_id_from_name(STUDY)
        run = FaultRun(n_workers=3, n_kills=4, n_trials=60, grace=3.0, seed=5)
        command = worker_command(url, STUDY, run)
        run_with_kills(tmp_path, command, storage, study_id, run, restart=server.restart)
        assert run.restarted
        check_nothing_lost(study.get_trials(deepcopy=True), run)
        storage.remove_session()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_the_fault_harnesses_import_without_pytest() -> None:
    """``benchmarks/scale.py`` runs them in the benchmark environment, which has no pytest; the
    conformance suites of ``podbor.testing`` (which need it) are imported on first use."""
    code = (
        "import sys; sys.modules['pytest'] = None\n"
        "import podbor.testing._faults, podbor.testing._dask_restart\n"
        "import podbor.testing as t\n"
        "try:\n"
        "    t.SamplerConformance\n"
        "except ImportError:\n"
        "    print('suites need pytest')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "suites need pytest\n"

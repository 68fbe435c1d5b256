"""Running worker processes and killing them at random moments (the fault tests' machinery).

Each worker is a real process: ``podbor worker`` for a database URL, or a small Python program
that runs :class:`~podbor.study._worker.Worker` on a journal file (the CLI takes database URLs).
The killer SIGKILLs a random live worker at random moments (both drawn from a seeded generator)
and starts a new worker in its place, while it records every finished trial it sees, so the
test can check afterwards that nothing told was lost or changed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor.storages import BaseStorage
from podbor.study._retry import RetryHeartbeatStaleTrialCallback

OBJECTIVE_MODULE = """
import os, random, time

def objective(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    time.sleep(random.uniform(0.0, float(os.environ["FAULT_SLEEP"])))
    trial.report(x, 0)
    time.sleep(random.uniform(0.0, float(os.environ["FAULT_SLEEP"])))
    return x * x
"""

JOURNAL_WORKER = """
import sys, warnings
import podbor
from podbor.storages import JournalStorage
from podbor.storages.journal import JournalFileBackend, JournalFileOpenLock
from podbor.study._retry import RetryHeartbeatStaleTrialCallback
from podbor.study._worker import Worker
from faultobj import objective

path, name, n_trials, interval, grace = sys.argv[1], sys.argv[2], int(sys.argv[3]), *map(float, sys.argv[4:6])
warnings.simplefilter("ignore")
podbor.logging.set_verbosity(podbor.logging.WARNING)
retry = RetryHeartbeatStaleTrialCallback(max_retry=20)
backend = JournalFileBackend(path, lock_obj=JournalFileOpenLock(path, grace_period=1.0))
storage = JournalStorage(backend, heartbeat_interval=interval, grace_period=grace,
                         heartbeat_stale_trial_callback=retry)
study = podbor.load_study(study_name=name, storage=storage)
Worker(study, objective, n_trials=n_trials, retry=retry).run()
"""


@dataclass
class FaultRun:
    """One run: how many workers at once, how many kills, the study's total."""

    n_workers: int
    n_kills: int
    n_trials: int
    interval: float = 0.2
    grace: float = 0.8
    sleep: float = 0.05
    seed: int = 0
    kills_done: int = 0
    restarted: bool = False
    seen_finished: dict[int, FrozenTrial] = field(default_factory=dict)
    exit_codes: list[int] = field(default_factory=list)


def write_objective(folder: Path) -> None:
    (folder / "faultobj.py").write_text(OBJECTIVE_MODULE)
    (folder / "journal_worker.py").write_text(JOURNAL_WORKER)


def worker_command(url_or_path: str, study_name: str, run: FaultRun) -> list[str]:
    """The command line of one worker: ``podbor worker`` for a URL, the journal program else."""
    if "://" in url_or_path:
        return [
            sys.executable,
            "-m",
            "podbor",
            "-q",
            "worker",
            "--storage",
            url_or_path,
            "--study-name",
            study_name,
            "--objective",
            "faultobj:objective",
            "--n-trials",
            str(run.n_trials),
            "--heartbeat-interval",
            str(run.interval),
            "--grace-period",
            str(run.grace),
            "--retries",
            "20",
        ]
    return [
        sys.executable,
        "journal_worker.py",
        url_or_path,
        study_name,
        str(run.n_trials),
        str(run.interval),
        str(run.grace),
    ]


def run_with_kills(
    folder: Path,
    command: list[str],
    storage: BaseStorage,
    study_id: int,
    run: FaultRun,
    *,
    deadline_s: float = 120.0,
    restart: Callable[[], None] | None = None,
) -> None:
    """Start ``run.n_workers`` workers, SIGKILL ``run.n_kills`` of them at random moments
    (replacing each), wait for all to exit; record finished trials seen along the way.
    ``restart`` (the database server's) is called once, halfway through the kills."""
    rng = np.random.default_rng(run.seed)
    env = {**os.environ, "FAULT_SLEEP": str(run.sleep), "PYTHONPATH": str(folder)}

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    workers = [start() for _ in range(run.n_workers)]
    finished: list[subprocess.Popen[bytes]] = []
    end = time.monotonic() + deadline_s
    # each kill comes once the study holds a drawn number of trials (so that every planned
    # kill happens before the study can be done, however fast the machine), then after a
    # drawn delay (so that it lands at a random moment of a trial)
    due = sorted(int(k) for k in rng.integers(1, max(2, run.n_trials // 2), size=run.n_kills))
    next_kill = float("inf")
    try:
        while workers and time.monotonic() < end:
            _record_finished(storage, study_id, run)
            if restart is not None and run.kills_done * 2 >= run.n_kills:  # halfway: restart
                restart()
                restart, run.restarted = None, True
            if (
                run.kills_done < run.n_kills
                and next_kill == float("inf")
                and storage.get_n_trials(study_id) >= due[run.kills_done]
            ):
                next_kill = time.monotonic() + float(rng.uniform(0.0, 0.05))
            if run.kills_done < run.n_kills and time.monotonic() >= next_kill:
                live = [w for w in workers if w.poll() is None]
                if live:
                    victim = live[int(rng.integers(len(live)))]
                    victim.send_signal(signal.SIGKILL)
                    victim.wait()
                    workers.remove(victim)
                    workers.append(start())
                    run.kills_done += 1
                next_kill = float("inf")
            for w in [w for w in workers if w.poll() is not None]:
                workers.remove(w)
                finished.append(w)
            time.sleep(0.05)
    finally:
        for w in workers:
            w.kill()
            w.wait()
    errors = [w.stderr.read().decode() for w in finished if w.returncode != 0 and w.stderr]
    run.exit_codes = [w.returncode for w in finished]
    assert not workers, f"workers still running after {deadline_s} s"
    assert all(code == 0 for code in run.exit_codes), (run.exit_codes, errors[:2])
    _record_finished(storage, study_id, run)


def _record_finished(storage: BaseStorage, study_id: int, run: FaultRun) -> None:
    for trial in storage.get_all_trials(study_id, deepcopy=False):
        if trial.state.is_finished():
            run.seen_finished.setdefault(trial.number, trial)


def check_nothing_lost(trials: list[FrozenTrial], run: FaultRun) -> dict[str, Any]:
    """The fault tests' assertions; returns the counts for a message."""
    assert [t.number for t in trials] == list(range(len(trials)))  # gap-free, no duplicates
    states = [t.state for t in trials]
    assert states.count(TrialState.COMPLETE) == run.n_trials, states
    assert TrialState.RUNNING not in states and TrialState.WAITING not in states
    by_number = {t.number: t for t in trials}
    for number, seen in run.seen_finished.items():  # every told trial stays as it was told
        now = by_number[number]
        assert (now.state, now.values, now.params) == (seen.state, seen.values, seen.params)
    retried = {n for t in trials for n in RetryHeartbeatStaleTrialCallback.retry_history(t)}
    failed = [t for t in trials if t.state == TrialState.FAIL]
    for t in failed:  # a dead worker's trial: failed, then run again
        assert t.number in retried, (t.number, sorted(retried))
    for t in trials:
        if t.state == TrialState.COMPLETE:
            assert t.value == t.params["x"] * t.params["x"], (
                t.number,
                t.value,
                t.params,
                t.system_attrs,
            )
    return {"failed": len(failed), "kills": run.kills_done, "trials": len(trials)}


class PrivateServer:
    """A throw-away PostgreSQL cluster of this test alone (so it may be restarted), on a free
    loopback port; ``None`` from :meth:`start` when PostgreSQL is not installed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bin = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
        self.user = "postgres" if os.geteuid() == 0 else None
        self.port = 0

    def _run(self, *args: str) -> None:
        assert self.bin is not None
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        subprocess.run(
            [*prefix, str(self.bin / args[0]), *args[1:]],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _ctl(self, action: str) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.folder / "db"),
            "-l",
            str(self.folder / "log"),
            "-w",
            "-t",
            "60",
            "-m",
            "fast",
            "-o",
            options,
            action,
        )

    def start(self) -> str | None:
        if self.bin is None or not (self.bin / "pg_ctl").exists():
            return None
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        if self.user:
            os.chown(self.folder, *_ids(self.user))
        self._run(
            "initdb",
            "-D",
            str(self.folder / "db"),
            "-U",
            "podbor",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self._ctl("start")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "podbor", "w")
        return f"postgresql+psycopg://podbor@127.0.0.1:{self.port}/w"

    def restart(self) -> None:
        self._ctl("restart")

    def stop(self) -> None:
        self._ctl("stop")


def _ids(user: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid

"""
Storages, resuming and many workers
===================================

A study keeps its trials in a *storage*. By default that is memory, which is gone when the
process ends. A database keeps the trials: a script can stop and go on later where it stopped,
and several threads, processes or machines can work on one study at once, each asking the
storage for the trials so far before it proposes the next one.

This tutorial uses a SQLite file in a temporary folder: it saves a study, loads and resumes it,
runs trials in threads and in separate ``podbor worker`` processes, recovers the trial of a
worker that was killed, and finally does the same with a journal file.
"""

# %%
import collections
import json
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import podbor

podbor.logging.set_verbosity(podbor.logging.WARNING)

# sphinx_gallery_start_ignore
import os

FULL = os.environ.get("PODBOR_DOCS_FULL") == "1"
N_WORKER_TRIALS = 60 if FULL else 24
# sphinx_gallery_end_ignore

# %%
# A study in a SQLite file
# ------------------------
#
# Any ``storage=`` argument takes a database URL. ``sqlite:///`` followed by a path names a
# SQLite file (created if missing); ``postgresql+psycopg://…`` and ``mysql+pymysql://…`` name
# servers. A study in a database needs a name, so that it can be found again.

tmp = tempfile.TemporaryDirectory()
folder = Path(tmp.name)
url = f"sqlite:///{folder / 'tutorial.db'}"


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -5, 5)
    return (x - 2) ** 2 + (y + 1) ** 2


study = podbor.create_study(
    study_name="quadratic", storage=url, sampler=podbor.samplers.TPESampler(seed=0)
)
study.optimize(objective, n_trials=10)
print("Trials stored:", len(study.trials))

# %%
# Load and resume
# ---------------
#
# Later, in another process, :func:`podbor.load_study` opens the study by name and sees every
# trial stored so far. Optimizing it adds trials to the same study. The sampler is not stored
# (only the trials are), so pass the one you want again; it learns from the stored trials.

del study  # as if the first script had ended

study = podbor.load_study(
    study_name="quadratic", storage=url, sampler=podbor.samplers.TPESampler(seed=1)
)
print("Loaded trials:", len(study.trials), "best so far:", round(study.best_value, 4))
study.optimize(objective, n_trials=10)
print("After resuming:", len(study.trials), "best:", round(study.best_value, 4))

# %%
# A script that should create the study on its first run and resume it on every later run
# passes ``load_if_exists=True`` to :func:`podbor.create_study`. The studies a storage holds
# are listed by :func:`podbor.get_all_study_names` (and by ``podbor studies --storage URL`` on
# the command line).

study = podbor.create_study(study_name="quadratic", storage=url, load_if_exists=True)
print(podbor.get_all_study_names(storage=url), len(study.trials))

# %%
# Threads: ``n_jobs``
# -------------------
#
# ``optimize(..., n_jobs=2)`` runs two trials at a time in threads of one process. That helps
# when the objective releases Python's global interpreter lock: it waits for a GPU, a
# subprocess, the network, or a library that computes outside Python (most of numpy,
# scikit-learn's and LightGBM's heavy parts). Here each trial sleeps 50 ms, as if waiting for
# such work; two threads take little more than half the time of one. Each trial records which process and
# thread ran it in its system attribute ``"worker"``.


def waiting_objective(trial):
    time.sleep(0.05)
    return objective(trial)


for n_jobs in (1, 2):
    study = podbor.create_study(study_name=f"threads-{n_jobs}", storage=url)
    start = time.perf_counter()
    study.optimize(waiting_objective, n_trials=12, n_jobs=n_jobs)
    workers = {t.system_attrs["worker"] for t in study.trials}
    print(f"n_jobs={n_jobs}: {time.perf_counter() - start:.2f} s, {len(workers)} worker(s)")

# %%
# Several processes: ``podbor worker``
# ------------------------------------
#
# Threads share one interpreter; for CPU-bound objectives, or for several machines, run several
# processes on one storage. ``podbor worker`` is a ready-made worker: it imports the objective
# (``module:function``, from the current folder), loads the study and runs trials until the
# *study* holds ``--n-trials`` finished trials, whoever ran them. Start it as often as you have
# cores or machines; the total is reached exactly, never overshot.
#
# The objective lives in a module of its own, here written into the temporary folder:

(folder / "tutorial_objectives.py").write_text(
    textwrap.dedent(
        """
        import time

        def objective(trial):
            time.sleep(0.02)  # stands for training a model
            x = trial.suggest_float("x", -10, 10)
            return (x - 2) ** 2

        def hangs(trial):
            trial.suggest_float("x", -10, 10)
            time.sleep(600)  # a worker that never finishes this trial
        """
    )
)

# %%
# Three workers share a study of ``N_WORKER_TRIALS`` trials (24 here; ``--quiet`` keeps their
# per-trial log lines out of this page; ``--format json`` makes each worker's summary easy to
# read from Python). On a cluster the same
# command runs on each machine (a job array, a Kubernetes Job), with a PostgreSQL or MySQL URL
# that every machine reaches. ``sys.executable -m podbor`` is the ``podbor`` command of this
# Python.

podbor.create_study(study_name="shared", storage=url)
command = [
    sys.executable, "-m", "podbor", "worker", "--quiet", "--format", "json", "--storage", url,
    "--study-name", "shared", "--objective", "tutorial_objectives:objective",
    "--n-trials", str(N_WORKER_TRIALS),
]  # fmt: skip
workers = [
    subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, text=True) for _ in range(3)
]
for worker in workers:
    out, _ = worker.communicate(timeout=120)
    print(f"exit code {worker.returncode}:", json.loads(out))

study = podbor.load_study(study_name="shared", storage=url)
per_worker = collections.Counter(t.system_attrs["worker"] for t in study.trials)
print("Trials in the study:", len(study.trials))
print("Trials per worker process:", sorted(per_worker.values()))

# %%
# The same without the command line: start several processes (``multiprocessing``, a job
# scheduler) that each run ``podbor.load_study(...)`` and ``study.optimize(objective,
# n_trials=...)`` on the same URL. ``optimize``'s ``n_trials`` counts that process's trials;
# :class:`podbor.study.MaxTrialsCallback` stops it when the study holds a total.
#
# A worker that dies: heartbeats
# ------------------------------
#
# A worker killed in the middle of a trial (SIGKILL, a lost machine, an out-of-memory kill)
# cannot mark its trial as failed; the trial would stay RUNNING for ever. With heartbeats on,
# each running trial writes a time stamp to the storage every ``heartbeat_interval`` seconds;
# a trial without a heartbeat for ``grace_period`` seconds is failed by the next worker that
# starts a trial, and :class:`podbor.storages.RetryHeartbeatStaleTrialCallback` queues it again
# with the same parameters. ``podbor worker`` turns both on (``--heartbeat-interval 10`` by
# default, with a grace period of twice that); here the interval is half a second and the grace
# period one second, so that the page does not wait long.
#
# We start a worker on the objective ``hangs`` and kill it as soon as its trial has its ``x``:

podbor.create_study(study_name="heartbeat", storage=url)
doomed = subprocess.Popen(
    [sys.executable, "-m", "podbor", "worker", "--quiet", "--storage", url,
     "--study-name", "heartbeat", "--objective", "tutorial_objectives:hangs",
     "--heartbeat-interval", "0.5"],
    cwd=folder,
)  # fmt: skip
study = podbor.load_study(study_name="heartbeat", storage=url)
deadline = time.monotonic() + 60
# Wait until the trial is stored *and* has its ``x`` (a trial is stored before the objective
# suggests anything; killing it in between would leave a trial without parameters).
while not any("x" in t.params for t in study.get_trials(states=[podbor.TrialState.RUNNING])):
    if doomed.poll() is not None or time.monotonic() > deadline:
        doomed.kill()
        raise RuntimeError("the worker did not start its trial")
    time.sleep(0.1)
doomed.kill()  # SIGKILL: no chance to clean up
doomed.wait()
print([(t.number, t.state.name, round(t.params["x"], 4)) for t in study.trials])

# %%
# A new worker opens the storage with heartbeats on. Heartbeats and the retry callback are
# experimental in Optuna, and podbor warns as Optuna does; we silence that warning here. The
# dead worker's trial is failed at the start of the next trial (after the grace period), and
# its copy, queued with the same ``x``, is the first trial this worker runs.

warnings.filterwarnings("ignore", category=podbor.exceptions.ExperimentalWarning)
storage = podbor.storages.RDBStorage(
    url,
    heartbeat_interval=0.5,
    grace_period=1,
    heartbeat_stale_trial_callback=podbor.storages.RetryHeartbeatStaleTrialCallback(max_retry=3),
)
study = podbor.load_study(study_name="heartbeat", storage=storage)
time.sleep(1.0)  # the grace period passes
study.optimize(objective, n_trials=2)
for t in study.trials:
    retried = t.system_attrs.get("failed_trial")
    note = f" (a retry of trial {retried})" if retried is not None else ""
    print(f"trial {t.number}: {t.state.name:8} x = {t.params['x']:.4f}{note}")

# %%
# Journal files
# -------------
#
# :class:`podbor.storages.JournalStorage` keeps a study as an append-only log of JSON lines in
# one file, guarded by a lock file. It needs no database and works on shared filesystems (NFS)
# where SQLite's locking is unreliable; it supports the same operations, heartbeats included.
# Every handle that opens the file replays it, so two handles (or processes, or machines) see
# the same trials.

path = str(folder / "tutorial.log")
journal = podbor.storages.JournalStorage(podbor.storages.JournalFileBackend(path))
study = podbor.create_study(study_name="journal", storage=journal)
study.optimize(objective, n_trials=10, n_jobs=2)

other = podbor.storages.JournalStorage(podbor.storages.JournalFileBackend(path))
print(
    "Seen by a second handle:", len(podbor.load_study(study_name="journal", storage=other).trials)
)
print("First line of the file:", Path(path).read_text().splitlines()[0][:100], "…")

# %%
# The temporary folder goes away with its database and journal. A real project would keep the
# file, inspect it with ``podbor studies`` / ``podbor trials`` or ``podbor dashboard``, and
# copy it to and from Optuna's formats with ``podbor copy-study``.

tmp.cleanup()

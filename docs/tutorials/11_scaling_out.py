"""
Scaling out: many workers, one study
====================================

A study lives in its storage, not in the process that runs it. Any number of processes, on one
machine or on many, can run trials of the same study at once, as long as they reach the same
storage. No process is in charge: each one asks the storage for the trials so far, samples the
next configuration, and writes its result back.

The first steps (a study in a file, resuming it, threads, a ``podbor worker`` and a killed
worker's trial run again) are in :doc:`06_storages_and_workers`. This page is about running
at scale: which storage to share, how the study's total number of trials is met when nobody
counts centrally, how to start workers on a cluster, and how to run trials on a Dask cluster
or a process pool.
"""

# %%
# The objective lives in a module
# -------------------------------
#
# A worker process imports the objective by name, so it must live in a module, not in a
# notebook cell. We write a small one into a temporary directory. The ``time.sleep`` stands
# for the training a real objective would do.

import json
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

import podbor

podbor.logging.set_verbosity(podbor.logging.WARNING)

# sphinx_gallery_start_ignore
import os

N_TRIALS = 120 if os.environ.get("PODBOR_DOCS_FULL") == "1" else 16
# sphinx_gallery_end_ignore

workdir = tempfile.TemporaryDirectory()
folder = Path(workdir.name)
(folder / "train.py").write_text(
    textwrap.dedent(
        """
        import time

        def objective(trial):
            x = trial.suggest_float("x", -5.0, 5.0)
            y = trial.suggest_float("y", -5.0, 5.0)
            time.sleep(0.03)  # the training
            return (x - 1.0) ** 2 + (y + 2.0) ** 2
        """
    )
)
print(sorted(p.name for p in folder.iterdir()))

# %%
# Workers on one SQLite file: ``podbor worker``
# ---------------------------------------------
#
# ``podbor worker`` is the command made for this: start it as often as you like, and each copy
# runs trials of ``--objective`` (``module:function``, imported from the current directory)
# until the *study* holds ``--n-trials`` finished trials, whoever ran them. We create the study
# once, then start three workers at the same time and wait for them. On a cluster, the same
# command goes into a job array or a Kubernetes Job with ``parallelism``.

url = f"sqlite:///{folder / 'search.db'}"
podbor.create_study(study_name="search", storage=url, direction="minimize")


def run_workers(storage: str, n_workers: int, n_trials: int) -> list[dict]:
    """Start ``n_workers`` workers on the study, wait for them, return their reports."""
    command = [
        sys.executable, "-m", "podbor", "worker",
        "--storage", storage,
        "--study-name", "search",
        "--objective", "train:objective",
        "--n-trials", str(n_trials),
        "--quiet", "--format", "json",
    ]  # fmt: skip
    workers = [
        subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, text=True)
        for _ in range(n_workers)
    ]
    return [json.loads(w.communicate(timeout=300)[0]) for w in workers]


start = time.perf_counter()
outputs = run_workers(url, n_workers=3, n_trials=N_TRIALS)
print(f"three workers took {time.perf_counter() - start:.1f} s")
for i, report in enumerate(outputs):
    print(f"worker {i}: {report}")

# %%
# Each worker prints what it did when it exits (``--format json`` for scripts; a table by
# default). The study holds exactly ``N_TRIALS`` trials (16 on this page), although three
# processes shared the work and none of them knew how many trials the others had run. The
# check "is the total reached?" and the creation of the next trial are one write to the
# database, so two workers cannot both take the last place. Each trial records the process
# that ran it in the system attribute ``worker`` (``host:pid``).

study = podbor.load_study(study_name="search", storage=url)
print("trials by state:", dict(Counter(t.state.name for t in study.trials)))
per_worker = Counter(t.system_attrs["worker"] for t in study.trials)
print("trials per worker:", sorted(per_worker.values()))
print(f"best value {study.best_value:.3f} at {study.best_params}")

# %%
# Which process ran what, and when: the timeline with one lane per worker. Each worker's first
# trials take longest, because the sampler loads its numerical libraries the first time it
# needs them; after that the three lanes stay busy side by side.

from podbor.visualization.matplotlib import plot_timeline

ax = plot_timeline(study, by_worker=True)

# %%
# Which storage to share
# ----------------------
#
# - **SQLite** (``sqlite:///path/search.db``): one machine, a few processes. SQLite locks
#   the whole file for each write, and its locks are not reliable on network filesystems
#   (NFS), so do not share one file between machines.
# - **PostgreSQL or MySQL** (``postgresql+psycopg://user:password@host/db`` with
#   ``pip install 'podbor[postgres]'``, ``mysql+pymysql://user:password@host/db`` with
#   ``podbor[mysql]``): many machines, many workers, many trials. An open storage rides out a
#   restart or failover of the server: a read or write that loses the server is retried for up
#   to a minute. ``podbor worker --storage`` takes any of these database URLs.
# - **A journal file** (:class:`~podbor.storages.JournalStorage` over a
#   :class:`~podbor.storages.JournalFileBackend`): an append-only file of JSON lines with a
#   lock file beside it. It needs no server and works on a filesystem that several machines
#   mount. Every process replays the file to learn the study's state, so for very large
#   studies, or many machines, a database server is the better choice.
#
# ``podbor worker --storage journal:///shared/path/search.log`` runs workers on a journal
# file exactly as on a database. Here we show the other way, which works with any storage:
# your own loop, where each process opens the storage, loads the study and calls
# ``optimize``. How many trials should
# each process run? ``optimize(n_trials=N)`` counts the trials of *that call*: three processes
# with ``n_trials=50`` run 150 trials. :class:`~podbor.study.MaxTrialsCallback` gives them a
# shared budget instead: after each trial it counts the study's COMPLETE trials, from every
# process, and stops the loop once there are enough.

(folder / "journal_worker.py").write_text(
    textwrap.dedent(
        """
        import sys

        import podbor
        from podbor.study import MaxTrialsCallback
        from train import objective

        podbor.logging.set_verbosity(podbor.logging.WARNING)
        path, budget = sys.argv[1], int(sys.argv[2])
        backend = podbor.storages.JournalFileBackend(path)
        storage = podbor.storages.JournalStorage(backend)
        study = podbor.load_study(study_name="search", storage=storage)
        study.optimize(objective, callbacks=[MaxTrialsCallback(budget)])
        """
    )
)

journal_path = folder / "search.log"
backend = podbor.storages.JournalFileBackend(str(journal_path))
journal = podbor.storages.JournalStorage(backend)
podbor.create_study(study_name="search", storage=journal)

# two processes, each running journal_worker.py on the same file
command = [sys.executable, "journal_worker.py", str(journal_path), str(N_TRIALS)]
workers = [subprocess.Popen(command, cwd=folder) for _ in range(2)]
for w in workers:
    w.wait(timeout=300)

journal_study = podbor.load_study(study_name="search", storage=journal)
complete = journal_study.get_trials(states=(podbor.TrialState.COMPLETE,))
print(f"journal file: {len(complete)} complete trials for a budget of {N_TRIALS}")

# %%
# The callback checks *after* a trial, not before one: when one process finishes the trial
# that meets the budget, the others may be in the middle of theirs, and those still finish.
# So the study may end a few trials over the budget, at most one per other process (here: one).
# ``podbor worker --n-trials`` makes the check and the creation of the trial one write, and
# never overshoots.

# %%
# On a cluster
# ------------
#
# Every worker runs the same command, so a cluster's "run this N times" feature is all it takes.
# Create the study once (or give every worker ``--create-if-missing``: workers started together
# may all pass it, and one study is created). The storage URL can come from the environment
# variable ``PODBOR_STORAGE`` instead of ``--storage``, which keeps passwords off the command
# line. A Slurm job array of 16 workers:
#
# .. code-block:: bash
#
#     #!/bin/bash
#     #SBATCH --job-name=search
#     #SBATCH --array=1-16
#     #SBATCH --time=04:00:00
#     export PODBOR_STORAGE=postgresql+psycopg://search:secret@db.lab/podbor
#     podbor worker --study-name search --objective train:objective \
#         --n-trials 500 --create-if-missing --timeout 13500
#
# ``--timeout`` (seconds) makes a worker start no new trial after that time; set it a trial's
# length below the job's time limit, so that no trial is cut off. When a scheduler stops a
# worker anyway, it sends SIGTERM first: the worker stores its running trial as FAIL (reason
# ``WorkerInterrupted``), queues the same parameters again for another worker, and exits 0.
#
# A Kubernetes Job runs the same command in ``parallelism`` pods; leave ``completions`` unset,
# since every worker exits 0 once the study is done:
#
# .. code-block:: yaml
#
#     apiVersion: batch/v1
#     kind: Job
#     metadata: {name: search}
#     spec:
#       parallelism: 8
#       template:
#         spec:
#           restartPolicy: OnFailure
#           containers:
#             - name: worker
#               image: registry.lab/train:latest
#               command: [podbor, worker, --study-name, search,
#                         --objective, "train:objective", --n-trials, "500"]
#               env:
#                 - name: PODBOR_STORAGE
#                   valueFrom: {secretKeyRef: {name: podbor-db, key: url}}
#
# What heartbeats protect
# -----------------------
#
# A worker can die in the middle of a trial: killed by the scheduler, out of memory, a machine
# lost. Its trial stays RUNNING in the storage, and nobody will ever finish it. ``podbor worker``
# turns **heartbeats** on (every 10 s by default, ``--heartbeat-interval``): while a trial runs,
# its process writes "still alive" to the storage. A trial whose heartbeat is older than the
# grace period (``--grace-period``, twice the interval by default) is marked FAIL by another
# worker, and run again with the same parameters (up to ``--retries`` times, 3 by
# default). A worker that has nothing left to start waits for the trials still running
# elsewhere, so a dead worker's trial is always picked up and the total is still met.
#
# The first heartbeat is written in the same write that creates the trial, so there is no
# moment at which a kill leaves an unprotected trial.
#
# In your own script, the same protection comes from the storage's arguments:
#
# .. code-block:: python
#
#     storage = podbor.storages.RDBStorage(
#         "postgresql+psycopg://user:password@db/podbor",
#         heartbeat_interval=10,
#         grace_period=30,
#         heartbeat_stale_trial_callback=podbor.storages.RetryHeartbeatStaleTrialCallback(),
#     )
#
# (podbor accepts these arguments on :class:`~podbor.storages.JournalStorage` and
# :class:`~podbor.storages.InMemoryStorage` too; Optuna has them on RDB storages only.)
# :doc:`06_storages_and_workers` kills a worker and shows its trial run again.
#
# Threads: ``n_jobs``
# -------------------
#
# ``optimize(n_jobs=4)`` runs four trials at a time in threads of one process, on any storage,
# in memory too. Python runs one thread's Python code at a time, so threads help when the
# objective waits (on a GPU, a subprocess, a remote service), not when it computes in Python.
# Threads and processes combine: a script of your own, started in several processes, may call
# ``optimize`` with ``n_jobs`` in each.
#
# Dask, and process pools on one machine
# --------------------------------------
#
# :func:`podbor.integration.dask.optimize` runs a study's trials as tasks: on a Dask cluster's
# workers, or on any ``concurrent.futures.Executor``. Each task loads the study by name from
# its storage and runs one trial, with the same one-write budget as ``podbor worker`` (never
# more than ``n_trials``); callbacks run in the calling process. On one machine a
# ``ProcessPoolExecutor`` runs CPU-bound objectives in parallel, which threads cannot:

from concurrent.futures import ProcessPoolExecutor

from podbor.integration.dask import optimize

sys.path.insert(0, str(folder))  # the worker processes import the objective from train.py
from train import objective

pool_study = podbor.create_study(study_name="pool", storage=f"sqlite:///{folder / 'pool.db'}")
with ProcessPoolExecutor(max_workers=2) as pool:
    optimize(pool_study, objective, n_trials=N_TRIALS, executor=pool)
print(f"process pool: {len(pool_study.trials)} trials, best {pool_study.best_value:.3f}")

# %%
# On a Dask cluster the call takes the cluster's client instead (``pip install podbor[dask]``).
# The study may live in a database every worker reaches, or in a
# :class:`~podbor.integration.dask.DaskStorage`, which keeps the storage on the Dask
# scheduler, so the workers need no database at all. A local cluster stands in for a real one
# here; its two workers are threads of this process (``processes=False``) to keep the page
# quick, where a real cluster's workers are processes on other machines.

from dask.distributed import Client, LocalCluster

from podbor.integration.dask import DaskStorage

with (
    LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster,
    Client(cluster) as client,
):
    dask_study = podbor.create_study(
        storage=DaskStorage(client=client), sampler=podbor.samplers.TPESampler(seed=0)
    )
    optimize(dask_study, objective, n_trials=N_TRIALS, client=client)
    states = Counter(t.state.name for t in dask_study.trials)
    print(f"Dask: {dict(states)}, best {dask_study.best_value:.3f}")

# %%
# A Dask worker that dies takes its trial with it; with heartbeats on the storage
# (``heartbeat_interval=``), that trial is marked FAIL after the grace period and another
# worker runs a new one, and if every worker is lost the call stops with
# :class:`~podbor.integration.dask.WorkersLostError`, the finished trials kept.
# ``examples/dask_study.py`` runs a study on a local cluster of worker processes.

workdir.cleanup()

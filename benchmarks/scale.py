"""Scale: storage throughput and flatness, trials across threads, processes and Dask, and
workers killed at random moments.

Four tables, podbor's own except the first two (which have Optuna rows when it is installed):

* throughput: trials/s of random search on a trivial objective over 4 floats, per storage and
  worker count (``storage.py``'s ``run_one``: worker processes sharing the storage);
* flatness: the same at 10^4 trials (``--flat-trials``) with 4 workers on SQLite and the
  journal and 8 on a server (``--flat-workers``), podbor only by default (``--flat-libraries``:
  Optuna takes about an hour per 10^5 trials), and ``last/first``, the time per trial over the
  last 1,000 trials divided by that over the first 1,000 (target <= 1.3); then ``load_study`` +
  ``study.trials`` of that study in a fresh process (seconds, resident memory added), against
  Optuna 5 reading a copy in its own format (``podbor.copy_study(to_format="optuna")``; target
  <= 1/3 of both) and, for the journal, a journal Optuna's own storage writes for the same
  trials (one line per operation, as podbor's and as an Optuna user's: what their
  ``load_study`` replays); the 10^5 run is ``--flat-trials 100000`` (minutes per storage);
* executors: one study of a ~5 ms objective run three ways with N workers: ``Study.optimize``
  with ``n_jobs=N`` threads, ``podbor.integration.dask.optimize`` on a ``ProcessPoolExecutor(N)``
  and on a ``LocalCluster(n_workers=N)`` (skipped without ``dask[distributed]``); each study
  must end with exactly its trials COMPLETE, numbered 0..n-1;
* faults: worker processes (heartbeats on, retries by ``RetryHeartbeatStaleTrialCallback``)
  SIGKILLed at random seeded moments and replaced, with ``podbor.testing._faults``
  (the fault tests' machinery); the study must end with the requested number of COMPLETE
  trials, gap-free numbers, and no trial seen finished lost or changed (``lost`` = 0). Then a
  Dask scheduler SIGKILLed with its cluster mid-study and a new one started on the same SQLite
  database behind ``DaskStorage`` (``--scheduler-trials``; row ``dask/sqlite``).

PostgreSQL and MySQL are found as in ``storage.py``: ``--postgres-url`` (or the
``PODBOR_BENCH_POSTGRES_URL`` variable, or a server started by ``scripts/postgres.sh start``),
``--mysql-url`` (or ``PODBOR_BENCH_MYSQL_URL``, or ``scripts/mysql.sh start``); without one
they are skipped. A fresh database is made per run. The script exits with status 1 when a
check fails.

Usage::

    benchmarks/.venv/bin/python benchmarks/scale.py
    benchmarks/.venv/bin/python benchmarks/scale.py --flat-trials 10000 100000
    benchmarks/.venv/bin/python benchmarks/scale.py --quick   # under a minute: SQLite, small runs
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import importlib
import importlib.util
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import methods
import storage as bench_storage

import podbor
from podbor.exceptions import ExperimentalWarning
from podbor.storages import BaseStorage, JournalStorage
from podbor.storages.journal import JournalFileBackend, JournalFileOpenLock
from podbor.study._retry import RetryHeartbeatStaleTrialCallback
from podbor.testing import _faults as faults

STORAGES = ("memory", "sqlite", "journal", "postgresql", "mysql")
SERVERS = {
    "postgresql": ("PODBOR_BENCH_POSTGRES_URL", ".pg"),
    "mysql": ("PODBOR_BENCH_MYSQL_URL", ".mysql"),
}
STUDY = "scale"


@dataclass
class ExecutorRow:
    way: str
    workers: int
    n_trials: int
    seconds: float
    trials_per_s: float
    complete: int


@dataclass
class FaultRow:
    storage: str
    workers: int
    kills: int
    n_trials: int
    complete: int
    failed: int
    retried: int
    lost: int
    gap_free: bool
    seconds: float


def _objective(trial: podbor.Trial, sleep: float) -> float:
    """4 floats and a short sleep, so that running trials at once pays off."""
    value = sum(trial.suggest_float(f"x{i}", -1.0, 1.0) ** 2 for i in range(bench_storage.N_PARAMS))
    time.sleep(sleep)
    return value


def _servers(args: argparse.Namespace) -> dict[str, str | None]:
    given = {"postgresql": args.postgres_url, "mysql": args.mysql_url}
    return {
        kind: bench_storage._server_base(given[kind], variable, state)
        for kind, (variable, state) in SERVERS.items()
    }


def _available(kinds: list[str], servers: dict[str, str | None]) -> list[str]:
    """The storages that can run; one line for the server ones without a server."""
    missing = [k for k in kinds if k in servers and servers[k] is None]
    if missing:
        flags = " / ".join(f"--{k.replace('postgresql', 'postgres')}-url" for k in missing)
        print(f"({', '.join(missing)} skipped: no server; pass {flags})")
    return [k for k in kinds if k not in missing]


# -- throughput and flatness: storage.py's runs ----------------------------------------------
def throughput(
    kinds: list[str],
    sizes: list[int],
    workers: list[int],
    libraries: list[str],
    servers: dict[str, str | None],
    problems: list[str],
    *,
    load: bool = False,
) -> list[bench_storage.Row]:
    rows: list[bench_storage.Row] = []
    for kind in kinds:
        for n in sizes:
            for w in workers:
                for library in libraries:
                    try:
                        row = bench_storage.run_one(
                            library, kind, n, w, servers.get(kind), load=load
                        )
                        rows.append(row)
                    except Exception as err:  # report it and go on with the other rows
                        problems.append(f"{library}/{kind}/{n}/{w} failed: {err!r}")
                    print(f"  done: {library} {kind} {n} trials x {w} workers", flush=True)
    return rows


# -- one study on threads, a process pool and a Dask cluster -----------------------------------
def _fresh_study(folder: str, kind: str) -> podbor.Study:
    where: Any
    if kind == "journal":
        where = bench_storage._journal(podbor, f"{folder}/executors.log")
    else:
        where = f"sqlite:///{folder}/executors.db"
    sampler = podbor.samplers.RandomSampler(seed=0)
    return podbor.create_study(study_name=STUDY, storage=where, sampler=sampler)


def _check_study(study: podbor.Study, n_trials: int, label: str, problems: list[str]) -> int:
    trials = study.get_trials(deepcopy=False)
    complete = sum(t.state == podbor.trial.TrialState.COMPLETE for t in trials)
    numbers = sorted(t.number for t in trials)
    if complete != n_trials or numbers != list(range(n_trials)):
        problems.append(f"{label}: {complete} COMPLETE of {len(trials)}, {n_trials} expected")
    return complete


def _dask_client(n_workers: int) -> Any:
    import logging

    distributed: Any = importlib.import_module("distributed")  # untyped: held as Any

    cluster = distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster)
    client.wait_for_workers(n_workers)
    return client


def executors(
    n_workers: int, n_trials: int, sleep: float, kind: str, problems: list[str]
) -> list[ExecutorRow]:
    from podbor.integration.dask import optimize

    func = functools.partial(_objective, sleep=sleep)
    ways: list[tuple[str, Callable[[podbor.Study], None]]] = []
    ways.append(("threads", lambda s: s.optimize(func, n_trials=n_trials, n_jobs=n_workers)))
    pool = concurrent.futures.ProcessPoolExecutor(n_workers)
    list(pool.map(time.sleep, [0.2] * n_workers))  # start the processes before the clock
    ways.append(("processes", lambda s: optimize(s, func, n_trials, executor=pool)))
    client = None
    try:
        client = _dask_client(n_workers)
        ways.append(("dask", lambda s: optimize(s, func, n_trials, client=client)))
    except ImportError:
        print("(dask skipped: dask[distributed] is not installed in this environment)")
    rows: list[ExecutorRow] = []
    try:
        for way, run in ways:
            with tempfile.TemporaryDirectory() as folder:
                study = _fresh_study(folder, kind)
                start = time.perf_counter()
                try:
                    run(study)
                except Exception as err:
                    problems.append(f"{way} x {n_workers} failed: {err!r}")
                    continue
                seconds = time.perf_counter() - start
                complete = _check_study(study, n_trials, f"{way} x {n_workers}", problems)
                row = ExecutorRow(way, n_workers, n_trials, seconds, n_trials / seconds, complete)
                rows.append(row)
            print(f"  done: {way} x {n_workers} workers, {n_trials} trials", flush=True)
    finally:
        pool.shutdown()
        if client is not None:
            cluster = client.cluster
            client.close()
            cluster.close()
    return rows


# -- workers killed at random moments ------------------------------------------------------
def _nothing() -> None:
    pass


def _fault_storage(
    kind: str, folder: Path, server: str | None
) -> tuple[str, BaseStorage, Callable[[], None]]:
    """Where the workers go (a URL or a journal path), the killer's storage, and the cleanup."""
    if kind == "journal":
        path = str(folder / "faults.log")
        backend = JournalFileBackend(path, lock_obj=JournalFileOpenLock(path, grace_period=1.0))
        return path, JournalStorage(backend), _nothing
    drop: Callable[[], None] = _nothing
    if kind == "sqlite":
        url = f"sqlite:///{folder}/faults.db"
    else:
        assert server is not None
        url, drop = bench_storage._server_database(server)
    rdb = podbor.storages.RDBStorage(url)

    def cleanup() -> None:
        rdb.remove_session()
        rdb.engine.dispose()
        drop()

    return url, rdb, cleanup


def _fault_row(
    storage: str,
    workers: int,
    kills: int,
    n_trials: int,
    told: dict[int, Any],
    trials: list[Any],
    seconds: float,
) -> FaultRow:
    """The row of a fault run: ``told`` are the trials seen finished before the end, by number
    (each must stay as it was told, or it counts as lost)."""
    states = [t.state for t in trials]
    by_number = {t.number: t for t in trials}
    lost = 0
    for number, seen in told.items():
        now = by_number.get(number)
        if now is None or (now.state, now.values, now.params) != (
            seen.state,
            seen.values,
            seen.params,
        ):
            lost += 1
    return FaultRow(
        storage=storage,
        workers=workers,
        kills=kills,
        n_trials=n_trials,
        complete=states.count(podbor.trial.TrialState.COMPLETE),
        failed=states.count(podbor.trial.TrialState.FAIL),
        retried=sum(bool(RetryHeartbeatStaleTrialCallback.retry_history(t)) for t in trials),
        lost=lost,
        gap_free=[t.number for t in trials] == list(range(len(trials))),
        seconds=seconds,
    )


def fault_run(
    kind: str, run: faults.FaultRun, server: str | None, problems: list[str]
) -> FaultRow | None:
    label = f"faults/{kind}"
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        faults.write_objective(folder)
        where, store, cleanup = _fault_storage(kind, folder, server)
        try:
            study = podbor.create_study(storage=store, study_name=STUDY)
            study_id = store.get_study_id_from_name(STUDY)
            command = faults.worker_command(where, STUDY, run)
            start = time.perf_counter()
            try:
                faults.run_with_kills(folder, command, store, study_id, run, deadline_s=900.0)
            except AssertionError as err:  # a worker failed, or they did not finish in time
                problems.append(f"{label}: {err}")
                return None
            seconds = time.perf_counter() - start
            trials = study.get_trials(deepcopy=True)
        finally:
            cleanup()
    row = _fault_row(
        kind, run.n_workers, run.kills_done, run.n_trials, run.seen_finished, trials, seconds
    )
    try:  # the fault tests' own checks: also every FAIL trial was run again, values are right
        faults.check_nothing_lost(trials, run)
    except AssertionError as err:
        problems.append(f"{label}: check_nothing_lost failed: {err}")
    if run.kills_done != run.n_kills:
        problems.append(f"{label}: {run.kills_done} kills of {run.n_kills}")
    return row


def scheduler_restart(total: int, problems: list[str]) -> FaultRow | None:
    """A Dask scheduler SIGKILLed (with its cluster) mid-study, a new one started on the same
    SQLite database behind ``DaskStorage`` (``podbor.testing._dask_restart``)."""
    if importlib.util.find_spec("distributed") is None:
        print("  skipped: dask[distributed] is not installed")
        return None
    from podbor.testing import _dask_restart as restart

    label = "faults/dask-scheduler"
    with tempfile.TemporaryDirectory() as name:
        start = time.perf_counter()
        try:
            at_kill, trials = restart.kill_and_restart(
                f"sqlite:///{name}/restart.db", total, min_complete=total // 4
            )
        except AssertionError as err:
            problems.append(f"{label}: {err}")
            return None
        seconds = time.perf_counter() - start
    told = {t.number: t for t in at_kill if t.state.is_finished()}
    row = _fault_row("dask/sqlite", 2, 1, total, told, trials, seconds)
    if row.lost or row.complete != total or not row.gap_free:
        problems.append(f"{label}: {row}")
    return row


# -- printing ------------------------------------------------------------------------------
def _print_table(columns: list[tuple[str, int, str]], rows: Sequence[Any]) -> None:
    """A fixed-width table: per column its title, width and the row attribute it shows
    (floats with two decimals, ``gap_free`` as yes/no; the first column left-aligned)."""

    def cell(value: Any, width: int, first: bool) -> str:
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, float):
            value = f"{value:.2f}" if width > 8 else f"{value:.1f}"
        return f"{value!s:{'<' if first else '>'}{width}}"

    header = " ".join(cell(title, width, i == 0) for i, (title, width, _) in enumerate(columns))
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            " ".join(
                cell(getattr(row, attr), width, i == 0)
                for i, (_, width, attr) in enumerate(columns)
            )
        )


def _print_executors(rows: list[ExecutorRow]) -> None:
    _print_table(
        [
            ("way", 10, "way"),
            ("workers", 7, "workers"),
            ("trials", 7, "n_trials"),
            ("seconds", 9, "seconds"),
            ("trials/s", 8, "trials_per_s"),
            ("complete", 8, "complete"),
        ],
        rows,
    )


def _print_faults(rows: list[FaultRow]) -> None:
    _print_table(
        [
            ("storage", 10, "storage"),
            ("workers", 7, "workers"),
            ("kills", 5, "kills"),
            ("trials", 6, "n_trials"),
            ("complete", 8, "complete"),
            ("fail", 4, "failed"),
            ("retried", 7, "retried"),
            ("lost", 4, "lost"),
            ("gap-free", 8, "gap_free"),
            ("seconds", 9, "seconds"),
        ],
        rows,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--storages",
        nargs="+",
        choices=STORAGES,
        default=None,
        help="default: sqlite journal, and postgresql/mysql when a server is found",
    )
    parser.add_argument("--throughput-trials", type=int, nargs="+", default=[1000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument(
        "--flat-trials", type=int, nargs="+", default=[10000], help="0: no flatness rows"
    )
    parser.add_argument(
        "--flat-workers", type=int, default=None, help="default: 4, and 8 on a server"
    )
    parser.add_argument(
        "--flat-libraries", nargs="+", choices=("podbor", "optuna"), default=["podbor"]
    )
    parser.add_argument("--libraries", nargs="+", choices=("podbor", "optuna"), default=None)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--mysql-url", default=None)
    parser.add_argument("--dask-workers", type=int, nargs="+", default=[2])
    parser.add_argument("--dask-trials", type=int, default=200)
    parser.add_argument("--dask-sleep", type=float, default=0.005, help="seconds per trial")
    parser.add_argument("--dask-storage", choices=("journal", "sqlite"), default="journal")
    parser.add_argument(
        "--fault-storages",
        nargs="+",
        choices=("sqlite", "journal", "postgresql"),
        default=None,
        help="default: sqlite journal, and postgresql when a server is found",
    )
    parser.add_argument("--fault-workers", type=int, default=4)
    parser.add_argument("--fault-trials", type=int, default=60)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1, help="of the kills' moments and victims")
    parser.add_argument(
        "--scheduler-trials",
        type=int,
        default=40,
        help="trials of the study whose Dask scheduler is killed mid-way (0: none)",
    )
    parser.add_argument("--quick", action="store_true", help="a small run of each part, on SQLite")
    parser.add_argument("--json", type=Path, default=None, help="also write every row here")
    args = parser.parse_args(argv)
    if args.quick:  # SQLite only, no flatness row
        args.storages, args.throughput_trials, args.workers = ["sqlite"], [200], [1]
        args.flat_trials = [0]
        args.dask_workers, args.dask_trials, args.fault_storages = [2], 40, ["sqlite"]
        args.fault_workers, args.fault_trials, args.kills = 2, 12, 2
        args.scheduler_trials = 12
    warnings.simplefilter("ignore", ExperimentalWarning)
    bench_storage._import("podbor")  # quiet logging
    has_optuna = bench_storage._has_optuna()
    libraries = args.libraries or (["podbor", "optuna"] if has_optuna else ["podbor"])
    servers = _servers(args)
    problems: list[str] = []

    kinds = _available(args.storages or ["sqlite", "journal", "postgresql", "mysql"], servers)
    print("### throughput", flush=True)
    rows = throughput(kinds, args.throughput_trials, args.workers, libraries, servers, problems)
    bench_storage._print(rows)
    flat_sizes = [n for n in args.flat_trials if n > 0]
    flat: list[bench_storage.Row] = []
    if flat_sizes:
        print(
            "\n### flatness (last/first: time per trial, last 1,000 over first 1,000)", flush=True
        )
        for kind in kinds:
            workers = args.flat_workers or (8 if kind in ("postgresql", "mysql") else 4)
            flat += throughput(
                [kind], flat_sizes, [workers], args.flat_libraries, servers, problems, load=True
            )
        bench_storage._print(flat)
        print(
            "\n### reading the study back (load_study + study.trials, a fresh process; a "
            "journal as its workers left it, with the snapshot they kept; without it, which "
            "replays every line and leaves a snapshot; and the next load, from that snapshot; "
            "against Optuna reading a copy made by copy_study and, for a journal, a journal "
            "its own storage wrote)"
        )
        bench_storage.print_loads(flat)

    print(
        f"\n### executors ({args.dask_storage}, {args.dask_sleep * 1000:g} ms per trial)",
        flush=True,
    )
    executor_rows: list[ExecutorRow] = []
    for n in args.dask_workers:
        executor_rows += executors(
            n, args.dask_trials, args.dask_sleep, args.dask_storage, problems
        )
    _print_executors(executor_rows)

    print("\n### faults (workers SIGKILLed at random moments)", flush=True)
    fault_rows: list[FaultRow] = []
    for kind in _available(args.fault_storages or ["sqlite", "journal", "postgresql"], servers):
        run = faults.FaultRun(
            n_workers=args.fault_workers,
            n_kills=args.kills,
            n_trials=args.fault_trials,
            seed=args.seed,
        )
        fault_row = fault_run(kind, run, servers.get(kind), problems)
        if fault_row is not None:
            fault_rows.append(fault_row)
        print(f"  done: {kind}, {run.kills_done} kills", flush=True)
    if args.scheduler_trials > 0:
        restart_row = scheduler_restart(args.scheduler_trials, problems)
        if restart_row is not None:
            fault_rows.append(restart_row)
        print("  done: the Dask scheduler killed and started again", flush=True)
    _print_faults(fault_rows)

    if args.json:
        config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
        methods.save_report(
            args.json,
            config,
            {"problems": problems},
            rows,
            flatness=[asdict(r) for r in flat],
            executors=[asdict(r) for r in executor_rows],
            faults=[asdict(r) for r in fault_rows],
        )
    print()
    for problem in problems:
        print(f"CHECK FAILED: {problem}")
    if not problems:
        print("all checks held")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

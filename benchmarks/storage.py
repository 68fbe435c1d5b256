"""Storage throughput: trials per second with random search, per storage, size and worker count.

For each library (podbor, and Optuna when it is installed in this environment), storage
(in-memory, SQLite, journal file, PostgreSQL, MySQL, a journal in Redis, SQLite behind the
library's gRPC storage proxy), study size and number of workers it runs a study of
a trivial objective over 4 float parameters with random sampling and prints:

* trials/s over the whole run, from starting the worker processes (interpreter start and
  imports included) to the last one's exit;
* in-study trials/s: the trials over the span from the first trial's start to the last one's
  end, as the stored timestamps tell (what the storage sustains once the workers are up: with
  1,000 trials the start-up above is a large share of a fast library's wall time);
* ``last/first``: the time per trial over the last 1,000 trials divided by that over the first
  1,000 (1.0 means the cost per trial does not grow with the study; target <= 1.3);
* for each podbor row with an Optuna peer: podbor's throughput over Optuna's.

Workers are processes sharing the storage (threads for the in-memory storage, which cannot be
shared between processes). PostgreSQL needs ``--postgres-url`` (or the ``PODBOR_BENCH_POSTGRES_URL``
variable, or a server started by ``scripts/postgres.sh start``), MySQL ``--mysql-url`` (or
``PODBOR_BENCH_MYSQL_URL``, or ``scripts/mysql.sh start``), Redis ``--redis-url`` (or
``PODBOR_BENCH_REDIS_URL``, or ``scripts/redis.sh start``; both libraries' ``JournalRedisBackend``
under a fresh key prefix); a fresh database is made per run.

Usage (Optuna lives in a separate environment, never in podbor's dependencies)::

    python3 -m venv benchmarks/.venv
    benchmarks/.venv/bin/pip install -e . optuna==5.0.0 'psycopg[binary]' pymysql
    benchmarks/.venv/bin/python benchmarks/storage.py --trials 1000 10000 --workers 1 4
    benchmarks/.venv/bin/python benchmarks/storage.py --quick   # 1000 trials, 1 worker
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

N_PARAMS = 4
STORAGES = ("memory", "sqlite", "journal", "postgresql", "mysql", "redis", "grpc")


@dataclass
class Row:
    library: str
    storage: str
    n_trials: int
    workers: int
    seconds: float
    trials_per_s: float
    last_over_first: float | None
    in_study_per_s: float | None = None  # n / (last datetime_complete - first datetime_start)
    # load_study + study.trials in a fresh process (``run_one(..., load=True)``): seconds and
    # the resident memory it adds (MiB), for this library and for Optuna on an Optuna copy
    load_s: float | None = None
    load_mib: float | None = None
    # a journal: the first load as its workers left it (<journal>.snapshot as they kept it,
    # then the lines after it), and the first load without the snapshot, which replays every
    # line and leaves one (the load above is the next one, from that snapshot)
    left_load_s: float | None = None
    left_load_mib: float | None = None
    first_load_s: float | None = None
    first_load_mib: float | None = None
    optuna_load_s: float | None = None
    optuna_load_mib: float | None = None
    # a journal: Optuna loading a journal its own storage wrote for the same trials (one line
    # per operation, as an Optuna user's journal is); the copy above holds one line per trial,
    # which Optuna replays about three times faster
    optuna_own_load_s: float | None = None
    optuna_own_load_mib: float | None = None


def _objective(trial: Any) -> float:
    return sum(trial.suggest_float(f"x{i}", -1.0, 1.0) ** 2 for i in range(N_PARAMS))


def _import(library: str) -> Any:
    if library == "podbor":
        import podbor

        podbor.logging.set_verbosity(podbor.logging.ERROR)
        return podbor
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna


def _journal(lib: Any, path: str) -> Any:
    storages = lib.storages
    backend_cls = getattr(storages, "JournalFileBackend", None)
    if backend_cls is None:
        backend_cls = storages.journal.JournalFileBackend
    return storages.JournalStorage(backend_cls(path))


def _storage(library: str, kind: str, location: str) -> Any:
    lib = _import(library)
    if kind == "journal":
        return _journal(lib, location)
    if kind == "grpc":  # "<host>:<port>" of the library's proxy server
        host, port = location.rsplit(":", 1)
        with warnings.catch_warnings():  # both libraries call the proxy experimental
            warnings.simplefilter("ignore")
            return lib.storages.GrpcStorageProxy(host=host, port=int(port))
    if kind == "redis":  # "<url>#<prefix>"
        url, prefix = location.rsplit("#", 1)
        backend = lib.storages.journal.JournalRedisBackend(url, prefix=prefix)
        return lib.storages.JournalStorage(backend)
    return location  # a URL string: both libraries accept it


def _worker(library: str, kind: str, location: str, name: str, n_trials: int, seed: int) -> None:
    lib = _import(library)
    study = lib.load_study(
        study_name=name,
        storage=_storage(library, kind, location),
        sampler=lib.samplers.RandomSampler(seed=seed),
    )
    study.optimize(_objective, n_trials=n_trials)


def _durations(trials: list[Any]) -> float | None:
    """Per-trial time of the last 1,000 trials over that of the first 1,000."""
    done = sorted((t for t in trials if t.datetime_complete is not None), key=lambda t: t.number)
    if len(done) < 2000:
        return None
    window = 1000

    def span(part: list[Any]) -> float:
        return (part[-1].datetime_complete - part[0].datetime_start).total_seconds()

    return span(done[-window:]) / max(span(done[:window]), 1e-9)


def _server_database(base_url: str) -> tuple[str, Callable[[], None]]:
    """A fresh database on a PostgreSQL or MySQL server, and how to drop it."""
    import sqlalchemy

    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    force = " WITH (FORCE)" if base_url.startswith("postgresql") else ""

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")
        admin.dispose()

    return base_url.rsplit("/", 1)[0] + "/" + name, drop


def run_one(
    library: str,
    kind: str,
    n_trials: int,
    workers: int,
    server_url: str | None,
    *,
    load: bool = False,
) -> Row:
    """Run one configuration in fresh processes and measure it; with ``load`` (podbor, a
    database or journal), also what reading the finished study back costs, against Optuna
    reading a copy in its own format (made by ``podbor.copy_study(to_format="optuna")``) and,
    for a journal, a journal Optuna's own storage writes for the same trials."""
    lib = _import(library)
    with tempfile.TemporaryDirectory() as folder:
        if kind == "grpc":
            location, cleanup = _proxy_server(library, folder)
        else:
            location, cleanup = _fresh_location(kind, folder, "bench", server_url)
        try:
            row = _measure(lib, library, kind, location, n_trials, workers)
            if load and library == "podbor" and kind not in ("memory", "grpc"):
                if kind in ("journal", "redis"):  # as the workers left it, then no snapshot
                    row.left_load_s, row.left_load_mib = load_cost(library, kind, location, "bench")
                    _drop_snapshot(kind, location)
                    row.first_load_s, row.first_load_mib = load_cost(
                        library, kind, location, "bench"
                    )
                row.load_s, row.load_mib = load_cost(library, kind, location, "bench")
                if _has_optuna():
                    if kind != "redis":  # copy_study writes no Redis journal in Optuna's format
                        row.optuna_load_s, row.optuna_load_mib = _optuna_copy_cost(
                            kind, location, folder, server_url
                        )
                    if kind in ("journal", "redis"):
                        row.optuna_own_load_s, row.optuna_own_load_mib = _optuna_own_journal_cost(
                            folder, n_trials, server_url if kind == "redis" else None
                        )
            return row
        finally:
            cleanup()


def _fresh_location(
    kind: str, folder: str, stem: str, server_url: str | None
) -> tuple[str, Callable[[], None]]:
    """Where a fresh study of ``kind`` goes (a file in ``folder`` named ``stem``, or a new
    database on the server), and how to drop it."""
    if kind == "memory":
        return "", lambda: None
    if kind == "sqlite":
        return f"sqlite:///{folder}/{stem}.db", lambda: None
    if kind == "journal":
        return f"{folder}/{stem}.log", lambda: None
    assert server_url is not None
    if kind == "redis":
        return _redis_prefix(server_url)
    return _server_database(server_url)


def _proxy_server(library: str, folder: str) -> tuple[str, Callable[[], None]]:
    """The library's gRPC proxy server over a fresh SQLite file (``get_storage`` of its URL, as
    both libraries' documentation says), in a process of its own; ``"<host>:<port>"``."""
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = (
        f"import warnings; warnings.simplefilter('ignore'); import {library}; "
        f"{library}.logging.set_verbosity({library}.logging.WARNING); "
        f"s = {library}.storages.get_storage('sqlite:///{folder}/proxied.db'); "
        f"{library}.storages.run_grpc_proxy_server(s, host='127.0.0.1', port={port})"
    )
    server = subprocess.Popen([sys.executable, "-c", code])
    location = f"127.0.0.1:{port}"
    proxy = _storage(library, "grpc", location)
    proxy.wait_server_ready(timeout=60)
    proxy.close()

    def stop() -> None:
        server.terminate()
        server.wait(timeout=30)

    return location, stop


def _redis_prefix(url: str) -> tuple[str, Callable[[], None]]:
    """A fresh key prefix on the Redis server (``"<url>#<prefix>"``), and how to delete its keys
    (podbor's journal is one key, Optuna's one per record)."""
    import redis

    prefix = f"bench-{uuid.uuid4().hex[:10]}"

    def drop() -> None:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=10_000))
        for start in range(0, len(keys), 10_000):
            client.delete(*keys[start : start + 10_000])
        client.close()

    return f"{url}#{prefix}", drop


def _optuna_copy_cost(
    kind: str, location: str, folder: str, server_url: str | None
) -> tuple[float, float]:
    """Copy the podbor study at ``location`` to Optuna's format and time Optuna loading it."""
    import podbor

    target, drop = _fresh_location(kind, folder, "optuna-copy", server_url)
    if kind == "journal":
        target = "journal://" + target  # copy_study takes journal files as URLs
    source: Any = _storage("podbor", kind, location)
    try:
        podbor.copy_study(
            from_study_name="bench", from_storage=source, to_storage=target, to_format="optuna"
        )
        where = target.removeprefix("journal://") if kind == "journal" else target
        return load_cost("optuna", kind, where, "bench")
    finally:
        drop()


def _drop_snapshot(kind: str, location: str) -> None:
    """Delete the snapshot podbor's workers left beside a journal file or in Redis."""
    if kind == "journal":
        Path(location + ".snapshot").unlink(missing_ok=True)
        return
    import redis

    url, prefix = location.rsplit("#", 1)
    client = redis.Redis.from_url(url)
    client.delete(f"{prefix}:podbor:snapshot")
    client.close()


def _optuna_own_journal_cost(
    folder: str, n_trials: int, redis_url: str | None = None
) -> tuple[float, float]:
    """Optuna's storage writes the same study to a journal of its own (a file, or with
    ``redis_url`` its Redis backend, which keeps its snapshot every 100 trials); time Optuna
    loading it.

    The trials go through ``JournalStorage``'s own calls, the ones ``Study.optimize`` makes for
    this objective (create the trial, set its 4 parameters, finish it: 6 lines per trial, as
    in a journal Optuna's workers leave); not through ``Study.optimize`` itself, whose time per
    trial grows with the study (about an hour to 10^5 trials here). How many workers wrote a
    journal changes only the order of its lines, not what a reader replays.
    """
    import random

    import optuna

    kind = "journal" if redis_url is None else "redis"
    own, drop = _fresh_location(kind, folder, "optuna-own", redis_url)
    try:
        storage: Any = _storage("optuna", kind, own)
        study_id = storage.create_new_study([optuna.study.StudyDirection.MINIMIZE], "bench")
        dist = optuna.distributions.FloatDistribution(-1.0, 1.0)
        rng = random.Random(0)
        for _ in range(n_trials):
            trial_id = storage.create_new_trial(study_id)
            xs = [rng.uniform(-1.0, 1.0) for _ in range(N_PARAMS)]
            for i, x in enumerate(xs):
                storage.set_trial_param(trial_id, f"x{i}", x, dist)
            storage.set_trial_state_values(
                trial_id, optuna.trial.TrialState.COMPLETE, [sum(x * x for x in xs)]
            )
        del storage  # its file handles closed before Optuna reads the journal afresh
        return load_cost("optuna", kind, own, "bench")
    finally:
        if kind == "journal":
            Path(own).unlink(missing_ok=True)
        drop()


def load_cost(library: str, kind: str, location: str, name: str) -> tuple[float, float]:
    """Seconds and resident memory added (MiB) by ``load_study`` + ``study.trials`` in a fresh
    process (the library and SQLAlchemy imported before the clock starts)."""
    ctx = multiprocessing.get_context("spawn")
    queue: Any = ctx.Queue()
    proc = ctx.Process(target=_load_child, args=(library, kind, location, name, queue))
    proc.start()
    seconds, mib = queue.get(timeout=3600)
    proc.join()
    return seconds, mib


def _resident_mib() -> float:
    """This process's resident memory now (Linux's /proc)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _load_child(library: str, kind: str, location: str, name: str, queue: Any) -> None:
    import gc

    import sqlalchemy.orm  # noqa: F401 - imported by both libraries when they open a URL

    lib = _import(library)
    gc.collect()
    before = _resident_mib()
    start = time.perf_counter()
    study = lib.load_study(study_name=name, storage=_storage(library, kind, location))
    trials = study.trials
    seconds = time.perf_counter() - start
    held = _resident_mib() - before  # what the loaded study and its trials keep resident
    assert trials, "the study has trials"
    queue.put((seconds, held))


def _measure(lib: Any, library: str, kind: str, location: str, n_trials: int, workers: int) -> Row:
    name = "bench"
    if kind == "memory":
        study = lib.create_study(study_name=name, sampler=lib.samplers.RandomSampler(seed=0))
        start = time.perf_counter()
        study.optimize(_objective, n_trials=n_trials, n_jobs=workers)
        seconds = time.perf_counter() - start
        trials = study.get_trials(deepcopy=False)
    else:
        lib.create_study(study_name=name, storage=_storage(library, kind, location))
        ctx = multiprocessing.get_context("spawn")
        share = [n_trials // workers + (i < n_trials % workers) for i in range(workers)]
        procs = [
            ctx.Process(target=_worker, args=(library, kind, location, name, share[i], i))
            for i in range(workers)
        ]
        start = time.perf_counter()
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        seconds = time.perf_counter() - start
        if any(p.exitcode != 0 for p in procs):
            raise RuntimeError(f"{library}/{kind}: a worker failed")
        trials = lib.load_study(study_name=name, storage=_storage(library, kind, location)).trials
    if len(trials) != n_trials:
        raise RuntimeError(f"{library}/{kind}: {len(trials)} trials stored, {n_trials} expected")
    return Row(
        library,
        kind,
        n_trials,
        workers,
        seconds,
        n_trials / seconds,
        _durations(trials),
        _in_study_rate(trials),
    )


def _in_study_rate(trials: list[Any]) -> float | None:
    """Trials per second between the first trial's start and the last trial's end."""
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    ends = [t.datetime_complete for t in trials if t.datetime_complete is not None]
    if not starts or not ends:
        return None
    span = (max(ends) - min(starts)).total_seconds()
    return len(trials) / span if span > 0 else None


def _has_optuna() -> bool:
    try:
        import optuna  # noqa: F401
    except ImportError:
        return False
    return True


def _server_base(arg: str | None, variable: str, state_dir: str) -> str | None:
    """A server URL from the option, the environment, or the state the start script wrote."""
    if arg:
        return arg
    if os.environ.get(variable):
        return os.environ[variable]
    state = Path(__file__).resolve().parents[1] / state_dir / "url"
    return state.read_text().strip() if state.exists() else None


def print_loads(rows: list[Row]) -> None:
    """podbor's loads against Optuna's: a copy in Optuna's format and, for a journal (a file
    or Redis), the journal Optuna's own storage wrote (one record per operation, as an Optuna
    user's is)."""
    header = (
        f"{'storage':10} {'trials':>7} {'podbor load':12} {'podbor s':>9} {'podbor MiB':>10} "
        f"{'optuna reads':14} {'optuna s':>9} {'optuna MiB':>10} {'time ratio':>10} "
        f"{'memory ratio':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        if r.library != "podbor" or r.load_s is None or r.load_mib is None:
            continue
        ours = [
            ("as left", r.left_load_s, r.left_load_mib),
            ("no snapshot", r.first_load_s, r.first_load_mib),
            ("next" if r.first_load_s is not None else "", r.load_s, r.load_mib),
        ]
        theirs = [
            ("a copy", r.optuna_load_s, r.optuna_load_mib),
            ("its own", r.optuna_own_load_s, r.optuna_own_load_mib),
        ]
        for peer, o_s, o_mib in theirs:
            if o_s is None and peer != "a copy":
                continue
            for label, seconds, mib in ours:
                if seconds is None or mib is None:
                    continue
                t_ratio = f"{seconds / o_s:10.2f}" if o_s else ""
                m_ratio = f"{mib / o_mib:12.2f}" if o_mib else ""
                print(
                    f"{r.storage:10} {r.n_trials:7d} {label:12} {seconds:9.2f} {mib:10.1f} "
                    f"{peer if o_s is not None else '':14} "
                    f"{'' if o_s is None else f'{o_s:9.2f}':>9} "
                    f"{'' if o_mib is None else f'{o_mib:10.1f}':>10} {t_ratio:>10} {m_ratio:>12}"
                )


def _print(rows: list[Row]) -> None:
    peers = {(r.storage, r.n_trials, r.workers): r for r in rows if r.library == "optuna"}
    header = (
        f"{'library':8} {'storage':10} {'trials':>7} {'workers':>7} {'seconds':>9} "
        f"{'trials/s':>9} {'last/first':>10} {'vs optuna':>9} {'in-study/s':>10} {'vs optuna':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        ratio = r.last_over_first
        peer = peers.get((r.storage, r.n_trials, r.workers)) if r.library == "podbor" else None
        vs = f"{r.trials_per_s / peer.trials_per_s:8.2f}x" if peer else ""
        rate = r.in_study_per_s
        vs_in = (
            f"{rate / peer.in_study_per_s:8.2f}x" if peer and rate and peer.in_study_per_s else ""
        )
        print(
            f"{r.library:8} {r.storage:10} {r.n_trials:7d} {r.workers:7d} {r.seconds:9.2f} "
            f"{r.trials_per_s:9.1f} {'' if ratio is None else f'{ratio:10.2f}':>10} {vs:>9} "
            f"{'' if rate is None else f'{rate:10.1f}':>10} {vs_in:>9}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--storages", nargs="+", choices=STORAGES, default=list(STORAGES))
    parser.add_argument("--libraries", nargs="+", choices=("podbor", "optuna"), default=None)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--mysql-url", default=None)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--quick", action="store_true", help="1000 trials, 1 worker")
    parser.add_argument(
        "--load",
        action="store_true",
        help="after each podbor run, load_study + study.trials in a fresh process (and Optuna's)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args()
    if args.quick:
        args.trials, args.workers = [1000], [1]
    libraries = args.libraries or (["podbor", "optuna"] if _has_optuna() else ["podbor"])
    servers = {
        "postgresql": _server_base(args.postgres_url, "PODBOR_BENCH_POSTGRES_URL", ".pg"),
        "mysql": _server_base(args.mysql_url, "PODBOR_BENCH_MYSQL_URL", ".mysql"),
        "redis": _server_base(args.redis_url, "PODBOR_BENCH_REDIS_URL", ".redis"),
    }
    rows: list[Row] = []
    for kind in args.storages:
        if kind in servers and servers[kind] is None:
            print(
                f"(skipping {kind}: no server; pass --{kind.replace('postgresql', 'postgres')}-url)"
            )
            continue
        for n in args.trials:
            for w in args.workers:
                for library in libraries:
                    try:
                        rows.append(run_one(library, kind, n, w, servers.get(kind), load=args.load))
                    except Exception as err:  # report and go on with the other rows
                        print(f"({library}/{kind}/{n}/{w} failed: {err!r})")
                    print(f"  done: {library} {kind} {n} trials x {w} workers", flush=True)
    _print(rows)
    if args.load:
        print()
        print_loads(rows)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))


if __name__ == "__main__":
    main()

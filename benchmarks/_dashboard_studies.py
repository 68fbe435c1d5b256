"""The studies that ``dashboard.py`` opens: generated once per size, cached, copied per backend.

A study looks like a real pruned search: one minimized objective, five parameters (a log float
``lr``, a float ``dropout``, an int ``n_layers``, a stepped float ``momentum`` and a categorical
``optimizer``), about 80 % COMPLETE trials with 5 intermediate values (one per epoch), about 17 %
PRUNED with 1-4 of them, about 3 % FAIL, and start/complete times a few seconds apart.

The trials are drawn with numpy (seeded: the same study at every run) and written with
``create_trial`` + ``add_trials`` into a podbor SQLite file under ``benchmarks/.cache/dashboard/``;
the Optuna-format copy for optuna-dashboard is made by ``podbor copy-study --to-format optuna``.
Both files are kept, so a rerun only opens them. On PostgreSQL (a throw-away server) each run
copies the cached SQLite study into two fresh databases (podbor's format and Optuna's).
"""

from __future__ import annotations

import datetime
import importlib
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache" / "dashboard"
STUDY_NAME = "bench-dashboard"
_EPOCHS = 5
_OPTIMIZERS = ("adam", "sgd", "rmsprop")


@dataclass(frozen=True)
class Location:
    """One study stored twice: in podbor's format and in Optuna's, with a clean-up."""

    podbor_url: str
    optuna_url: str
    cleanup: Callable[[], None]


def _podbor_cli() -> str:
    return str(Path(sys.executable).with_name("podbor"))


def _trials(n_trials: int, seed: int = 0) -> Iterator[Any]:
    """The study's trials, as ``create_trial`` records with realistic times."""
    from podbor.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )
    from podbor.trial import TrialState, create_trial

    rng = np.random.default_rng(seed)
    dists = {
        "lr": FloatDistribution(1e-5, 1e-1, log=True),
        "dropout": FloatDistribution(0.0, 0.5),
        "n_layers": IntDistribution(1, 8),
        "momentum": FloatDistribution(0.5, 0.99, step=0.01),
        "optimizer": CategoricalDistribution(_OPTIMIZERS),
    }
    log_lr = rng.uniform(-5.0, -1.0, n_trials)
    dropout = rng.uniform(0.0, 0.5, n_trials)
    layers = rng.integers(1, 9, n_trials)
    momentum = np.round(0.5 + 0.01 * rng.integers(0, 50, n_trials), 2)
    optimizer = rng.integers(0, len(_OPTIMIZERS), n_trials)
    # A loss that falls over the epochs towards a floor set by the parameters.
    floor = (
        0.05 * (log_lr + 3.0) ** 2
        + 0.4 * (dropout - 0.2) ** 2
        + 0.01 * (layers - 4) ** 2
        + 0.1 * optimizer
        + rng.normal(0.0, 0.02, n_trials)
    )
    epochs = floor[:, None] + np.exp(-np.arange(_EPOCHS))[None, :] * rng.uniform(
        0.5, 1.5, (n_trials, 1)
    )
    draw = rng.random(n_trials)
    pruned_at = rng.integers(1, _EPOCHS, n_trials)  # the number of epochs a pruned trial ran
    durations = rng.uniform(2.0, 8.0, n_trials)
    t0 = datetime.datetime(2026, 1, 1, 9, 0, 0)
    clock = 0.0
    for i in range(n_trials):
        params = {
            "lr": float(10.0 ** log_lr[i]),
            "dropout": float(dropout[i]),
            "n_layers": int(layers[i]),
            "momentum": float(momentum[i]),
            "optimizer": _OPTIMIZERS[int(optimizer[i])],
        }
        if draw[i] < 0.03:
            state, steps, value = TrialState.FAIL, 0, None
        elif draw[i] < 0.20:
            steps = int(pruned_at[i])
            state, value = TrialState.PRUNED, float(epochs[i, steps - 1])
        else:
            state, steps, value = TrialState.COMPLETE, _EPOCHS, float(epochs[i, -1])
        trial = create_trial(
            state=state,
            value=value,
            params=params,
            distributions=dists,
            intermediate_values={s: float(epochs[i, s]) for s in range(steps)},
            user_attrs={"epochs": steps},
        )
        trial.datetime_start = t0 + datetime.timedelta(seconds=clock)
        clock += float(durations[i]) * max(steps, 1) / _EPOCHS
        trial.datetime_complete = t0 + datetime.timedelta(seconds=clock)
        yield trial


def sqlite_study(
    n_trials: int, cache: Path = CACHE, log: Callable[[str], None] = print
) -> Location:
    """The cached SQLite files of the ``n_trials`` study, built when missing."""
    cache.mkdir(parents=True, exist_ok=True)
    podbor_db = cache / f"podbor-{n_trials}.db"
    optuna_db = cache / f"optuna-{n_trials}.db"
    if not podbor_db.exists():
        import podbor

        podbor.logging.set_verbosity(podbor.logging.WARNING)
        partial = podbor_db.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        start = time.perf_counter()
        study = podbor.create_study(study_name=STUDY_NAME, storage=f"sqlite:///{partial}")
        study.set_user_attr("purpose", "dashboard benchmark")
        study.add_trials(_trials(n_trials))
        del study
        _checkpoint(partial)
        partial.rename(podbor_db)
        log(
            f"  wrote {podbor_db.name} ({n_trials:,} trials) in {time.perf_counter() - start:.1f} s"
        )
    if not optuna_db.exists():
        partial = optuna_db.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        start = time.perf_counter()
        _copy(f"sqlite:///{podbor_db}", f"sqlite:///{partial}", "optuna")
        _checkpoint(partial)
        partial.rename(optuna_db)
        log(f"  wrote {optuna_db.name} (Optuna's format) in {time.perf_counter() - start:.1f} s")
    return Location(f"sqlite:///{podbor_db}", f"sqlite:///{optuna_db}", lambda: None)


def _checkpoint(path: Path) -> None:
    """Fold SQLite's write-ahead log into the file, so that the file alone holds the study."""
    import gc
    import sqlite3

    gc.collect()  # closes the storage's pooled connections
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def _copy(source: str, target: str, fmt: str) -> None:
    cmd = [_podbor_cli(), "copy-study", "-q", "--from-storage", source, "--to-storage", target]
    subprocess.run([*cmd, "--to-format", fmt], check=True, stdout=subprocess.DEVNULL)


def _bulk_copy(source: str, target: str, fmt: str) -> None:
    """Copy a SQLite study database into an empty PostgreSQL one, table by table.

    ``copy-study`` writes trial by trial (minutes for 10^4 trials over a network connection);
    the rows are the same, so here the library creates its schema in the target and every
    table it left empty gets the source's rows in batches, then the id sequences are advanced.
    """
    import sqlalchemy

    library = importlib.import_module("podbor.storages" if fmt == "podbor" else "optuna.storages")
    storage = library.RDBStorage(target)  # creates the schema (and its version rows)
    del storage
    src_engine = sqlalchemy.create_engine(source)
    dst_engine = sqlalchemy.create_engine(target)
    src_meta, dst_meta = sqlalchemy.MetaData(), sqlalchemy.MetaData()
    src_meta.reflect(src_engine)
    dst_meta.reflect(dst_engine)
    try:
        with src_engine.connect() as src, dst_engine.begin() as dst:
            for table in dst_meta.sorted_tables:
                if table.name not in src_meta.tables:
                    continue
                if dst.execute(
                    sqlalchemy.select(sqlalchemy.func.count()).select_from(table)
                ).scalar():
                    continue  # filled when the schema was made (version information)
                columns = [c.name for c in table.columns]
                result = src.execute(sqlalchemy.select(src_meta.tables[table.name]))
                while batch := result.mappings().fetchmany(20_000):
                    dst.execute(table.insert(), [{c: row[c] for c in columns} for row in batch])
                for col in table.primary_key.columns:
                    if col.autoincrement is True or (
                        col.autoincrement == "auto" and len(table.primary_key.columns) == 1
                    ):
                        dst.exec_driver_sql(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{col.name}'), "
                            f"COALESCE((SELECT MAX({col.name}) FROM {table.name}), 1))"
                        )
    finally:
        src_engine.dispose()
        dst_engine.dispose()


def postgres_study(
    n_trials: int, server_url: str, cache: Path = CACHE, log: Callable[[str], None] = print
) -> Location:
    """Two fresh databases on the server holding the ``n_trials`` study (dropped by cleanup)."""
    import sqlalchemy

    cached = sqlite_study(n_trials, cache, log)
    admin = sqlalchemy.create_engine(server_url, isolation_level="AUTOCOMMIT")
    names = [f"dash_{fmt}_{uuid.uuid4().hex[:8]}" for fmt in ("podbor", "optuna")]
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    base = server_url.rsplit("/", 1)[0]
    urls = [f"{base}/{name}" for name in names]

    def drop() -> None:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()

    try:
        start = time.perf_counter()
        _bulk_copy(cached.podbor_url, urls[0], "podbor")
        _bulk_copy(cached.optuna_url, urls[1], "optuna")
        log(f"  copied {n_trials:,} trials to PostgreSQL in {time.perf_counter() - start:.1f} s")
    except BaseException:
        drop()
        raise
    return Location(urls[0], urls[1], drop)

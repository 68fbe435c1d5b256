"""The RDB hot path on the driver's own connection (``_rdb/_direct.py``): it reads what
SQLAlchemy reads, its transactions are whole or nothing, driver errors come out as SQLAlchemy's
(so the retry policy sees them), and a connection the server dropped is replaced."""

from __future__ import annotations

import datetime
import sqlite3
import threading
import time
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy.exc import IntegrityError

import podbor
from podbor.distributions import FloatDistribution
from podbor.storages import RDBStorage
from podbor.storages._rdb import _queries as q
from podbor.storages._rdb._direct import DirectConnection, run_direct
from podbor.storages._rdb._engine import _is_disconnect
from podbor.storages._rdb._rows import load_trials
from podbor.trial import TrialState


def _trial_with_everything(storage: RDBStorage) -> tuple[int, int]:
    study_id = storage.create_new_study([podbor.StudyDirection.MINIMIZE], "s")
    trial_id = storage.create_new_trial(study_id)
    storage.set_trial_param(trial_id, "x", 0.25, FloatDistribution(0, 1))
    storage.set_trial_param(trial_id, "lr", 0.01, FloatDistribution(1e-4, 1, log=True))
    storage.set_trial_intermediate_value(trial_id, 0, 1.5)
    storage.set_trial_intermediate_value(trial_id, 1, float("nan"))
    storage.set_trial_user_attr(trial_id, "note", "ü <script>")
    storage.set_trial_system_attr(trial_id, "fold", [1, 2])
    storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [float("-inf")])
    return study_id, trial_id


def test_one_trial_reads_the_same_on_both_paths(db_url: str) -> None:
    storage = RDBStorage(db_url)
    _, trial_id = _trial_with_everything(storage)
    with storage._engine.connect() as conn:
        through_sqlalchemy = load_trials(conn, [trial_id])[trial_id]
    direct = run_direct(storage._engine, lambda c: load_trials(c, [trial_id]), write=False)
    trial = direct[trial_id]
    assert trial == through_sqlalchemy
    assert isinstance(trial.datetime_start, datetime.datetime)
    assert isinstance(trial.datetime_complete, datetime.datetime)
    assert trial.params == {"x": 0.25, "lr": 0.01}
    assert list(trial.params) == ["x", "lr"]  # in the order they were set
    assert trial.values == [float("-inf")]
    assert trial.intermediate_values[0] == 1.5
    assert trial.user_attrs == {"note": "ü <script>"}
    assert trial.system_attrs == {"fold": [1, 2]}


def test_a_failed_write_leaves_nothing_and_raises_sqlalchemys_error(db_url: str) -> None:
    storage = RDBStorage(db_url)
    study_id = storage.create_new_study([podbor.StudyDirection.MINIMIZE], "s")
    trial_id = storage.create_new_trial(study_id)
    row = {
        "trial_id": trial_id,
        "param_name": "x",
        "param_value": 0.5,
        "distribution_json": podbor.distributions.distribution_to_json(FloatDistribution(0, 1)),
        "param_index": 0,
    }

    def twice(conn: DirectConnection) -> None:
        conn.execute(q.SET_STATE, {"b_trial_id": trial_id, "b_state": 1, "b_complete": None})
        conn.execute(q.INSERT_PARAM, row)
        conn.execute(q.INSERT_PARAM, row)  # the same (trial, name) again

    with pytest.raises(IntegrityError):
        run_direct(storage._engine, twice, write=True)
    trial = storage.get_trial(trial_id)
    assert trial.state == TrialState.RUNNING  # the state change went with the failed insert
    assert trial.params == {}
    storage.set_trial_param(trial_id, "x", 0.5, FloatDistribution(0, 1))  # the pool still works
    assert storage.get_trial(trial_id).params == {"x": 0.5}


def test_the_pool_resets_only_connections_left_in_a_transaction(db_url: str) -> None:
    # A committed write (and a read outside any transaction: on MySQL too, whose hot-path
    # connections stay in autocommit) goes back to the pool as reset: no ROLLBACK round trip. A
    # failed write is rolled back by the pool as before, and the next transaction sees what
    # others committed.
    storage = RDBStorage(db_url)
    study_id = storage.create_new_study([podbor.StudyDirection.MINIMIZE], "s")
    trial_id = storage.create_new_trial(study_id)
    resets: list[bool] = []
    sqlalchemy.event.listen(
        storage._engine.pool,
        "reset",
        lambda dbapi, rec, state: resets.append(state.transaction_was_reset),
    )
    storage.set_trial_user_attr(trial_id, "k", 1)
    assert resets == [True]
    resets.clear()
    run_direct(
        storage._engine,
        lambda c: c.execute(q.TRIAL_ROW, {"b_trial_id": trial_id}).all(),
        write=False,
    )
    assert resets == [True]
    resets.clear()

    def fails(conn: DirectConnection) -> None:
        conn.execute(q.SET_STATE, {"b_trial_id": trial_id, "b_state": 1, "b_complete": None})
        raise RuntimeError("in the middle")

    with pytest.raises(RuntimeError):
        run_direct(storage._engine, fails, write=True)
    assert resets == [False]
    other = RDBStorage(db_url)  # another process's view, then this one's again
    other.set_trial_user_attr(trial_id, "seen", 1)
    assert storage.get_trial(trial_id).user_attrs == {"k": 1, "seen": 1}
    assert storage.get_trial(trial_id).state == TrialState.RUNNING


def test_sqlalchemys_own_transactions_stay_whole_after_the_hot_path(db_url: str) -> None:
    # On MySQL the hot path leaves its connections in autocommit; a connection SQLAlchemy checks
    # out afterwards must be transactional again, or a rolled-back write would stay.
    storage = RDBStorage(db_url)
    study_id = storage.create_new_study([podbor.StudyDirection.MINIMIZE], "s")
    trial_id = storage.create_new_trial(study_id)
    for _ in range(3):  # every pooled connection through the hot path: reads and writes
        storage.set_trial_param(trial_id, f"x{_}", 0.5, FloatDistribution(0, 1))
        storage.get_trial(trial_id)
    with storage._engine.connect() as conn:
        conn.begin()
        conn.execute(sqlalchemy.text("DELETE FROM trial_params"))
        conn.rollback()
    assert storage.get_trial(trial_id).params == {"x0": 0.5, "x1": 0.5, "x2": 0.5}
    with storage._engine.begin() as conn:  # and a committed one is kept
        conn.execute(sqlalchemy.text("DELETE FROM trial_params"))
    assert RDBStorage(db_url).get_trial(trial_id).params == {}


def test_a_mysql_driver_without_an_autocommit_switch_keeps_its_transactions(
    mysql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A driver whose autocommit the hot path cannot switch (not PyMySQL or mysqlclient) runs
    # every write, one statement or more, in a transaction that is committed: nothing is lost.
    import podbor.storages._rdb._direct as direct

    monkeypatch.setattr(direct, "_is_mysql", lambda dialect, driver: False)
    storage = RDBStorage(mysql_url)
    study_id = storage.create_new_study([podbor.StudyDirection.MINIMIZE], "s")
    trial_id = storage.create_new_trial(study_id)
    storage.set_trial_param(trial_id, "x", 0.5, FloatDistribution(0, 1))
    storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])
    monkeypatch.undo()
    trial = RDBStorage(mysql_url).get_trial(trial_id)
    assert (trial.params, trial.values) == ({"x": 0.5}, [1.0])


def test_mysql_hot_path_round_trips(mysql_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A new parameter is one statement committed by itself, a read needs no ROLLBACK, and a
    # write transaction is BEGIN ... COMMIT on a connection in autocommit.
    import pymysql.connections

    storage = RDBStorage(mysql_url)
    study_id = storage.create_new_study([podbor.StudyDirection.MINIMIZE], "s")
    first = storage.create_new_trial(study_id)
    storage.set_trial_param(first, "x", 0.1, FloatDistribution(0, 1))  # "x" now known
    trial_id = storage.create_new_trial(study_id)
    storage.get_trial(trial_id)  # the pool's connection switched to autocommit once
    sent: list[str] = []
    send = pymysql.connections.Connection._execute_command

    def counted(self: Any, command: int, sql: Any) -> Any:
        text = sql.decode() if isinstance(sql, bytes | bytearray) else str(sql)
        sent.append(text.split()[0].upper())
        return send(self, command, sql)

    monkeypatch.setattr(pymysql.connections.Connection, "_execute_command", counted)
    storage.set_trial_param(trial_id, "x", 0.5, FloatDistribution(0, 1))
    assert sent == ["INSERT"]
    sent.clear()
    storage.get_trial(trial_id)
    assert sent == ["SELECT", "SELECT"]
    sent.clear()
    storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])
    assert sent[0] == "BEGIN" and sent[-1] == "COMMIT" and "ROLLBACK" not in sent
    # the one statement inserts nothing for a finished trial: the transaction after it says why
    other = RDBStorage(mysql_url)  # knows nothing of the trial yet
    sent.clear()
    with pytest.raises(podbor.exceptions.UpdateFinishedTrialError):
        other.set_trial_param(trial_id, "x", 0.5, FloatDistribution(0, 1))
    assert [c for c in sent if c in ("INSERT", "BEGIN")][:2] == ["INSERT", "BEGIN"]
    assert podbor.load_study(study_name="s", storage=storage).trials[1].params == {"x": 0.5}


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg://u@127.0.0.1:9/db", "mysql+pymysql://u@127.0.0.1:9/db"]
)
def test_a_server_that_cannot_be_reached_fails_as_sqlalchemys_error(url: str) -> None:
    # The pool hands the driver's own error through on a new connection: the hot path must
    # raise SQLAlchemy's, or the retry policy would not ride out a server restart.
    engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 2})
    with pytest.raises(sqlalchemy.exc.OperationalError) as caught:
        run_direct(engine, lambda c: c.execute(q.TRIAL_ROW, {"b_trial_id": 1}).all(), write=False)
    assert _is_disconnect(caught.value)
    engine.dispose()


def test_a_statement_rendered_per_execution_is_left_to_sqlalchemy(sqlite_url: str) -> None:
    storage = RDBStorage(sqlite_url)

    def expanding(conn: DirectConnection) -> Any:
        return conn.execute(q.TRIAL_ROWS, {"ids": [1, 2]})

    with pytest.raises(TypeError, match="SQLAlchemy Connection"):
        run_direct(storage._engine, expanding, write=False)


def test_a_write_waits_for_a_sqlite_file_another_program_locks(sqlite_url: str) -> None:
    storage = RDBStorage(sqlite_url)
    study_id = storage.create_new_study([podbor.StudyDirection.MINIMIZE], "s")
    trial_id = storage.create_new_trial(study_id)
    other = sqlite3.connect(
        sqlite_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")  # holds the write lock, as a second program would
    release = threading.Timer(0.5, other.execute, args=("COMMIT",))
    release.start()
    start = time.monotonic()
    storage.set_trial_param(trial_id, "x", 0.5, FloatDistribution(0, 1))
    assert time.monotonic() - start >= 0.4  # it waited for the lock, then wrote
    release.join()
    other.close()
    assert storage.get_trial(trial_id).params == {"x": 0.5}


def test_a_sqlite_file_locked_past_the_busy_timeout_fails_with_podbors_error(
    sqlite_url: str,
) -> None:
    storage = RDBStorage(sqlite_url + "?timeout=0.3")
    study_id = storage.create_new_study([podbor.StudyDirection.MINIMIZE], "s")
    trial_id = storage.create_new_trial(study_id)
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(podbor.exceptions.StorageInternalError, match="is locked"):
            storage.set_trial_param(trial_id, "x", 0.5, FloatDistribution(0, 1))
    finally:
        other.execute("COMMIT")
        other.close()
    assert storage.get_trial(trial_id).params == {}


def test_connections_the_server_dropped_are_replaced(postgres_url: str) -> None:
    storage = RDBStorage(postgres_url)
    study_id, trial_id = _trial_with_everything(storage)
    running = storage.create_new_trial(study_id)
    storage._cache = type(storage._cache)()  # read from the database, not the cache
    engine = sqlalchemy.create_engine(postgres_url)
    with engine.connect() as admin:  # end every other session of this database
        admin.execute(
            sqlalchemy.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    engine.dispose()
    assert storage.get_trial(trial_id).params == {"x": 0.25, "lr": 0.01}
    storage.set_trial_param(running, "x", 0.75, FloatDistribution(0, 1))
    storage.set_trial_state_values(running, TrialState.COMPLETE, [0.1])
    assert storage.get_trial(running).values == [0.1]


def test_psycopgs_pipeline_error_at_a_shutdown_counts_as_a_lost_server() -> None:
    # Seen once in six PostgreSQL restarts: an executemany cut off by the shutdown ends in
    # psycopg's "cannot exit pipeline mode while busy", which SQLAlchemy's dialect does not
    # know. It must invalidate the connection and be retried like any lost server.
    from podbor.storages._rdb._direct import _connect_error

    psycopg = pytest.importorskip("psycopg")
    driver_error = psycopg.OperationalError("cannot exit pipeline mode while busy")
    dialect = sqlalchemy.create_engine("postgresql+psycopg://u@127.0.0.1:9/db").dialect
    wrapped = _connect_error(driver_error, dialect)
    assert isinstance(wrapped, sqlalchemy.exc.OperationalError)
    assert wrapped.connection_invalidated
    assert _is_disconnect(sqlalchemy.exc.OperationalError("COMMIT", {}, driver_error))
    other = psycopg.OperationalError("deadlock detected")
    assert not _is_disconnect(sqlalchemy.exc.OperationalError("COMMIT", {}, other))

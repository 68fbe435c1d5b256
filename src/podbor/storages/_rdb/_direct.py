"""The hot path of a trial (create, set a parameter, tell, read one trial) run on the driver's
own connection, with SQL that SQLAlchemy compiled once.

Why: SQLAlchemy Core costs 40–90 µs per ``execute`` and ~120 µs per write transaction
(connection checkout, the ``begin`` event, result set-up), against ~10 µs for the same
statement on the driver's cursor. A trial takes about twenty statements in six transactions, so
that bookkeeping, not the database, was most of a trial's time on SQLite (see
``benchmarks/README.md``, "Issue 21").

What stays SQLAlchemy's: the engine and its pool (checkout, pre-ping, ``connect`` events such as
SQLite's pragmas), the SQL text and the type conversions (each statement is compiled for the
engine's dialect once, with its bind and result processors), and the errors (a driver error is
raised as SQLAlchemy's ``DBAPIError`` subclass, the connection invalidated when the server went
away), so :func:`~podbor.storages._rdb._engine.with_retries` treats both paths alike. Only
prebuilt statements of :mod:`._queries` go through here; anything else uses a SQLAlchemy
``Connection``. What SQLAlchemy no longer sees: these statements are not logged by
``create_engine(echo=True)`` and do not reach ``before_cursor_execute`` listeners.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

__all__ = [
    "AnyConnection",
    "DirectConnection",
    "DirectResult",
    "mysql_transactions_as_usual",
    "run_direct",
    "says_disconnected",
]

_T = TypeVar("_T")
_Processor = Callable[[Any], Any] | None
_MISSING: Any = object()


@dataclass
class _Plan:
    """One statement compiled for one dialect and one set of parameter names."""

    sql: str
    positional: bool
    # (name in the caller's parameters or None for a constant, name in the SQL, processor,
    # constant value)
    binds: tuple[tuple[str | None, str, _Processor, Any], ...]
    row: type[tuple[Any, ...]] | None  # a named tuple for statements that return rows
    types: tuple[Any, ...]  # the result columns' types
    results: tuple[_Processor, ...] | None = None  # their processors, from the first result

    def parameters(self, params: dict[str, Any]) -> Any:
        values = [
            (params[key] if key is not None else const)
            if proc is None
            else proc(params[key] if key is not None else const)
            for key, _, proc, const in self.binds
        ]
        if self.positional:
            return values
        return {name: value for (_, name, _, _), value in zip(self.binds, values, strict=True)}

    def rows(self, raw: Sequence[Any], description: Sequence[Any], dialect: Dialect) -> list[Any]:
        assert self.row is not None
        make = self.row._make  # type: ignore[attr-defined]
        procs = self.results
        if procs is None:  # a processor may depend on the driver's column type (PostgreSQL's)
            procs = self.results = tuple(
                t.dialect_impl(dialect).result_processor(dialect, d[1])
                for t, d in zip(self.types, description, strict=True)
            )
        if not any(p is not None for p in procs):
            return [make(r) for r in raw]
        return [make(v if p is None else p(v) for p, v in zip(procs, r, strict=True)) for r in raw]


class _Plans:
    """Compiled plans of one dialect, by statement (kept alive here) and parameter names."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._lock = threading.Lock()
        self._plans: dict[tuple[int, tuple[str, ...]], tuple[Any, _Plan]] = {}

    def get(self, stmt: Any, params: dict[str, Any]) -> _Plan:
        key = (id(stmt), tuple(params))
        found = self._plans.get(key)
        if found is not None and found[0] is stmt:
            return found[1]
        plan = _compile(stmt, params, self._dialect)
        with self._lock:
            self._plans[key] = (stmt, plan)
        return plan


_BY_DIALECT: weakref.WeakKeyDictionary[Dialect, _Plans] = weakref.WeakKeyDictionary()
_BY_DIALECT_LOCK = threading.Lock()


def _plans(dialect: Dialect) -> _Plans:
    plans = _BY_DIALECT.get(dialect)
    if plans is None:
        with _BY_DIALECT_LOCK:
            plans = _BY_DIALECT.setdefault(dialect, _Plans(dialect))
    return plans


def _compile(stmt: Any, params: dict[str, Any], dialect: Dialect) -> _Plan:
    compiled = stmt.compile(dialect=dialect, column_keys=list(params))
    if compiled.post_compile_params or compiled.literal_execute_params:
        raise TypeError(  # an expanding IN: rendered per execution, SQLAlchemy's job
            f"{type(stmt).__name__} has parameters rendered at execution time; run it through "
            "a SQLAlchemy Connection."
        )
    expected = compiled.construct_params(params, escape_names=False)
    names: list[str] = list(compiled.positiontup) if compiled.positional else list(expected)
    escaped = compiled.escaped_bind_names or {}
    binds: list[tuple[str | None, str, _Processor, Any]] = []
    for name in names:
        bind = compiled.binds[name]
        impl = bind.type.dialect_impl(dialect)
        proc = impl.bind_processor(dialect)
        if name in params:
            binds.append((name, escaped.get(name, name), proc, None))
        elif bind.required or (bind.value is None and bind.callable is None):
            raise TypeError(f"The statement needs the parameter {name!r}.")
        else:
            binds.append((None, escaped.get(name, name), proc, bind.effective_value))
    # What SQLAlchemy itself would send: checked once per plan.
    for key, name, _, const in binds:
        value = params[key] if key is not None else const
        theirs = expected[key if key is not None else _unescaped(name, escaped)]
        assert theirs is value or theirs == value, (name, theirs, value)
    row: type[tuple[Any, ...]] | None = None
    columns = stmt.exported_columns  # a SELECT's columns, or what an INSERT RETURNs
    if len(columns):
        keys = columns.keys()
        row = _row_type([str(k) for k in keys])
    types = tuple(c.type for c in columns)
    return _Plan(compiled.string, bool(compiled.positional), tuple(binds), row, types)


def _row_type(keys: list[str]) -> type[tuple[Any, ...]]:
    """Rows that read by position and by column name (``row.trial_id``), as SQLAlchemy's do."""
    made: type[tuple[Any, ...]] = collections.namedtuple("Row", keys, rename=True)  # type: ignore[misc]
    return made


def _unescaped(name: str, escaped: dict[str, str]) -> str:
    return next((k for k, v in escaped.items() if v == name), name)


class DirectResult:
    """What a statement gave: its rows (named tuples), ``rowcount`` and ``lastrowid``."""

    __slots__ = ("_rows", "lastrowid", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def all(self) -> list[Any]:
        return self._rows

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise LookupError(f"Expected one row, got {len(self._rows)}.")
        return self._rows[0][0]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)


class DirectConnection:
    """A checked-out driver connection that runs prebuilt statements (see the module's
    docstring); ``dialect`` is the engine's, as on a SQLAlchemy ``Connection``."""

    def __init__(self, dbapi_connection: Any, dialect: Dialect) -> None:
        self._dbapi = dbapi_connection
        self.dialect = dialect
        self._plans = _plans(dialect)

    def execute(
        self, stmt: Any, params: dict[str, Any] | list[dict[str, Any]] | None = None
    ) -> DirectResult:
        """Run ``stmt`` with ``params`` (a list: once per item, as ``executemany``)."""
        many = isinstance(params, list)
        first = (params[0] if params else {}) if isinstance(params, list) else (params or {})
        plan = self._plans.get(stmt, first)
        cursor = self._dbapi.cursor()
        try:
            if isinstance(params, list):
                args: Any = [plan.parameters(p) for p in params]
                self._call(cursor.executemany, plan.sql, args, cursor)
            else:
                args = plan.parameters(first)
                self._call(cursor.execute, plan.sql, args, cursor)
            rows = (
                plan.rows(cursor.fetchall(), cursor.description, self.dialect)
                if plan.row is not None and not many
                else []
            )
            return DirectResult(rows, cursor.rowcount, getattr(cursor, "lastrowid", None))
        finally:
            cursor.close()

    def sql(self, text: str) -> None:
        """Run a statement of the driver's own SQL (``BEGIN IMMEDIATE``, ``BEGIN``)."""
        cursor = self._dbapi.cursor()
        try:
            self._call(cursor.execute, text, (), cursor)
        finally:
            cursor.close()

    def _call(self, method: Callable[..., Any], sql: str, args: Any, cursor: Any) -> None:
        try:
            method(sql, args) if args != () else method(sql)
        except self.dialect.loaded_dbapi.Error as err:
            raise self.wrap(err, sql, args, cursor) from err

    def wrap(self, err: Exception, sql: str, args: Any, cursor: Any = None) -> DBAPIError:
        """The driver's ``err`` as SQLAlchemy raises it (``OperationalError``,
        ``IntegrityError``…), telling whether the connection is lost."""
        lost = says_disconnected(err) or bool(
            self.dialect.is_disconnect(err, self._dbapi, cursor)  # type: ignore[arg-type]
        )
        wrapped = DBAPIError.instance(
            sql,
            args,
            err,
            self.dialect.loaded_dbapi.Error,
            connection_invalidated=lost,
            dialect=self.dialect,
        )
        assert isinstance(wrapped, DBAPIError)
        return wrapped


AnyConnection = Connection | DirectConnection
"""What the helpers shared by both paths (upserts, one-trial loads, state checks) run on."""


def run_direct(
    engine: Engine,
    fn: Callable[[DirectConnection], _T],
    *,
    write: bool,
    single: bool = False,
) -> _T:
    """Run ``fn`` on a pooled driver connection of ``engine``: in one transaction when
    ``write`` (``BEGIN IMMEDIATE`` on SQLite, which takes the write lock at once, so writers
    queue instead of deadlocking); a read runs statement by statement (autocommit), as does a
    ``single`` write (``fn`` runs exactly one statement, atomic by itself) on PostgreSQL and
    MySQL.

    Autocommit saves round trips: on PostgreSQL a read or single write costs no ``BEGIN`` and
    no ``COMMIT``/``ROLLBACK`` (psycopg switches locally); on MySQL a connection this path uses
    stays in autocommit (switched once, one round trip), so a read needs no ``ROLLBACK`` and a
    single write no ``COMMIT``, while a transaction starts with an explicit ``BEGIN``
    (:func:`mysql_transactions_as_usual` switches it back for SQLAlchemy's own connections).

    A driver error comes out as SQLAlchemy's; a connection the server dropped is invalidated,
    not returned to the pool.
    """
    dialect = engine.dialect
    try:
        pooled = engine.raw_connection()
    except dialect.loaded_dbapi.Error as err:  # the pool hands the driver's own error through
        raise _connect_error(err, dialect) from err
    driver = pooled.dbapi_connection
    assert driver is not None  # a connection checked out of the pool is open
    conn = DirectConnection(driver, dialect)
    sqlite = dialect.name == "sqlite"
    postgresql = dialect.name == "postgresql"
    mysql = _is_mysql(dialect, driver)
    # A single statement commits by itself where the connection runs in autocommit; SQLite
    # keeps its BEGIN IMMEDIATE (its calls are local: nothing to save), and so does any other
    # driver, whose autocommit this path does not know how to switch.
    transaction = write and not (single and (postgresql or mysql))
    autocommit = not transaction and postgresql
    failed = True
    ended = False  # the transaction was committed, or there was none: nothing to roll back
    try:
        try:
            if mysql:
                if not driver.get_autocommit():  # local: the server's last status
                    driver.autocommit(True)
                    pooled.info[_MYSQL_AUTOCOMMIT] = True
                if transaction:
                    conn.sql("BEGIN")
            elif transaction and sqlite:
                conn.sql("BEGIN IMMEDIATE")
            elif autocommit:
                dialect.set_isolation_level(driver, "AUTOCOMMIT")
            out = fn(conn)
            if transaction:
                if sqlite:
                    conn.sql("COMMIT")
                else:
                    pooled.commit()
            failed = False
            ended = transaction or autocommit or sqlite or mysql
            return out
        finally:
            if failed:
                _quietly(lambda: _rollback(driver, sqlite))
            if autocommit:
                if failed:
                    _quietly(lambda: dialect.reset_isolation_level(driver))
                else:
                    dialect.reset_isolation_level(driver)
    except DBAPIError as err:
        if err.connection_invalidated:
            pooled.invalidate(err)
        raise
    except dialect.loaded_dbapi.Error as err:  # from the driver outside a statement (COMMIT)
        wrapped = conn.wrap(err, "COMMIT" if write else "(isolation level)", ())
        if wrapped.connection_invalidated:
            pooled.invalidate(wrapped)
        raise wrapped from err
    finally:
        _check_in(pooled, ended)


_MYSQL_AUTOCOMMIT = "podbor_autocommit"
"""Marks (in the pool's record of a connection) a MySQL connection this path left in autocommit."""


_MYSQL_DIALECTS = ("mysql", "mariadb")


def _is_mysql(dialect: Dialect, driver: Any) -> bool:
    """MySQL or MariaDB through a driver that can switch autocommit (PyMySQL, mysqlclient)."""
    return dialect.name in _MYSQL_DIALECTS and hasattr(driver, "get_autocommit")


def mysql_transactions_as_usual(engine: Engine) -> None:
    """Give SQLAlchemy's own connections of a MySQL ``engine`` the driver's usual mode back
    (nothing to do for other databases).

    SQLAlchemy expects a MySQL connection outside autocommit (its transactions begin
    implicitly); :func:`run_direct` leaves its connections in autocommit. When SQLAlchemy checks
    out a connection so marked, it is switched back (one round trip, only after the hot path used
    it), before any statement of SQLAlchemy's runs.
    """
    if engine.dialect.name not in _MYSQL_DIALECTS:
        return

    @event.listens_for(engine, "engine_connect")
    def _usual(conn: Connection) -> None:
        pooled = conn.connection
        if not pooled.info.pop(_MYSQL_AUTOCOMMIT, False):
            return
        driver = pooled.dbapi_connection
        if driver is not None and driver.get_autocommit():
            driver.autocommit(False)


def _check_in(pooled: Any, ended: bool) -> None:
    """Return a connection to the pool. One whose transaction has ended is returned without the
    pool's reset, which on MySQL is one more round trip (PyMySQL sends ROLLBACK even with no
    transaction open): five per trial. SQLAlchemy's own ``Connection`` returns its
    connections the same way after a rollback; where a SQLAlchemy version lacks the hook, the
    pool resets as usual."""
    close_special = getattr(pooled, "_close_special", None) if ended else None
    if close_special is None:
        pooled.close()
    else:
        close_special(transaction_reset=True)


def _connect_error(err: Exception, dialect: Dialect) -> DBAPIError:
    """A failure to open a connection (the server restarting, unreachable) as SQLAlchemy's
    ``Engine.connect`` raises it, so that the retry policy recognises it."""
    wrapped = DBAPIError.instance(
        None,
        None,
        err,
        dialect.loaded_dbapi.Error,
        connection_invalidated=says_disconnected(err)
        or bool(dialect.is_disconnect(err, None, None)),  # type: ignore[arg-type]
        dialect=dialect,
    )
    assert isinstance(wrapped, DBAPIError)
    return wrapped


def _rollback(driver: Any, sqlite: bool) -> None:
    if not sqlite or driver.in_transaction:  # SQLite: only a BEGIN that went through
        driver.rollback()


def _quietly(step: Callable[[], object]) -> None:
    """Run a clean-up step after a failure: the failure is what the caller must see (a broken
    connection is invalidated, never reused)."""
    with contextlib.suppress(Exception):
        step()


_DISCONNECTED = (
    "server closed the connection",
    "terminating connection",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
    "connection refused",
    "connection failed",
    "consuming input failed",
    "lost connection to mysql server",
    "mysql server has gone away",
    "can't connect to mysql server",
    # psycopg, when the server went away in the middle of a pipelined executemany
    "cannot exit pipeline mode while busy",
)


def says_disconnected(err: BaseException) -> bool:
    """Whether a driver's error says the server went away or cannot be reached right now (a
    restart, a failover), in words SQLAlchemy's dialects do not all know."""
    text = str(err).lower()
    return any(marker in text for marker in _DISCONNECTED)

"""Creating a SQLAlchemy engine that is safe for many workers: WAL for SQLite, fast failure
for unreachable servers, and one retry policy for lock contention."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from podbor._validation import check_instance
from podbor.exceptions import InvalidArgumentError, StorageInternalError, invalid_argument

__all__ = ["WRITE_FLAG", "make_engine", "parse_url", "with_retries"]

WRITE_FLAG = "podbor_write"
SQLITE_BUSY_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 10
_RETRIES = 12

_T = TypeVar("_T")


def parse_url(url: str) -> URL:
    """Parse a database URL; a malformed one raises an error that names it."""
    allowed = "a database URL such as 'sqlite:///study.db' or 'postgresql+psycopg://user@host/db'"
    check_instance(url, "url", str, owner="RDBStorage", allowed=allowed)
    try:
        if url:
            return make_url(url)
    except ArgumentError as err:
        raise invalid_argument("url", url, allowed, owner="RDBStorage") from err
    raise invalid_argument("url", url, allowed, owner="RDBStorage")


def make_engine(url: URL, engine_kwargs: dict[str, Any] | None) -> Engine:
    """Create the engine with podbor's settings for the URL's backend."""
    kwargs = dict(engine_kwargs or {})
    connect_args = dict(kwargs.pop("connect_args", {}))
    backend = url.get_backend_name()
    if backend == "sqlite":
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
        connect_args.setdefault("check_same_thread", False)
    elif backend == "postgresql" or backend == "mysql":
        connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        kwargs.setdefault("pool_recycle", 3600)
    try:
        engine = create_engine(url, connect_args=connect_args, **kwargs)
    except (ArgumentError, ImportError, TypeError) as err:
        raise InvalidArgumentError(
            f"Cannot create a database engine for {url.render_as_string(hide_password=True)!r}: "
            f"{err}. For PostgreSQL install psycopg 3 (`pip install podbor[postgres]`) and use "
            "'postgresql+psycopg://…'; for MySQL or MariaDB install PyMySQL "
            "(`pip install podbor[mysql]`) and use 'mysql+pymysql://…'."
        ) from err
    if backend == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    """WAL journal (readers never block writers), and BEGIN IMMEDIATE for write transactions so
    that two writers never deadlock on a lock upgrade: the busy timeout then simply waits."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # a read: each statement is its own snapshot, no BEGIN/COMMIT round trips
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get(WRITE_FLAG) else "BEGIN")


def _is_transient(err: DBAPIError) -> bool:
    text = str(err.orig).lower() if err.orig is not None else str(err).lower()
    return any(
        marker in text
        for marker in (
            "database is locked",
            "database table is locked",
            "deadlock detected",
            "could not serialize access",
            "lock wait timeout",
            "deadlock found",
        )
    )


def with_retries(fn: Callable[[], _T], *, what: str) -> _T:
    """Run ``fn`` again, after a jittered exponential pause, when the database reports lock
    contention; any other database error is raised at once."""
    delay = 0.005
    for attempt in range(_RETRIES):
        try:
            return fn()
        except OperationalError as err:
            if not _is_transient(err) or attempt == _RETRIES - 1:
                raise StorageInternalError(f"{what} failed: {err.orig or err}") from err
        except DBAPIError as err:
            if not _is_transient(err) or attempt == _RETRIES - 1:
                raise
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 1.0)
    raise AssertionError("unreachable")  # pragma: no cover

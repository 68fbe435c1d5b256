"""Creating a SQLAlchemy engine that is safe for many workers: WAL for SQLite, fast failure
for unreachable servers, and one retry policy for lock contention.

A SQLite file that another program keeps locked is given up on after the busy timeout
(:data:`SQLITE_BUSY_TIMEOUT_S`, or ``?timeout=SECONDS`` in the URL, or ``connect_args``), in all,
retries included: the error says the file is locked and, on Linux, which processes have it open.
"""

from __future__ import annotations

import math
import os
import random
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError

from podbor._validation import check_instance
from podbor.exceptions import InvalidArgumentError, StorageInternalError, invalid_argument
from podbor.storages._rdb._direct import mysql_transactions_as_usual, says_disconnected

__all__ = [
    "SQLITE_BUSY_TIMEOUT_S",
    "WRITE_FLAG",
    "check_url_query",
    "make_engine",
    "parse_url",
    "read_only_sqlite_file",
    "sqlite_busy_timeout",
    "with_retries",
]

WRITE_FLAG = "podbor_write"
SQLITE_BUSY_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 10
_RETRIES = 12

_TRUE = ("true", "yes", "on", "y", "t", "1")
_FALSE = ("false", "no", "off", "n", "f", "0")
# The URL query parameters the drivers read themselves, by backend: name → (parser, allowed).
_QUERY_RULES: dict[str, dict[str, str]] = {
    "sqlite": {
        "uri": "bool",
        "check_same_thread": "bool",
        "timeout": "seconds",
        "detect_types": "count",
        "cached_statements": "count",
    },
    "postgresql": {"connect_timeout": "count"},
    "mysql": {"connect_timeout": "count", "read_timeout": "count", "write_timeout": "count"},
}
_ALLOWED = {
    "bool": "true or false",
    "seconds": "a finite number of seconds >= 0",
    "count": "an int >= 0",
}

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


def _parse_query_value(kind: str, text: str) -> Any:
    """The value of a URL query parameter of ``kind`` (see ``_QUERY_RULES``); ValueError if
    ``text`` is not one."""
    if kind == "bool":
        if text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise ValueError(text)
    if kind == "seconds":
        seconds = float(text)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(text)
        return seconds
    count = int(text)
    if count < 0:
        raise ValueError(text)
    return count


def check_url_query(url: URL) -> dict[str, Any]:
    """Check the query parameters the URL's driver reads (``?timeout=`` for SQLite,
    ``?connect_timeout=`` for servers, …) and return them parsed; a malformed one raises an
    error that names it (not the driver's).

    Raises:
        InvalidArgumentError: If a parameter's value is malformed or given twice.

    Example:
        >>> check_url_query(make_url("sqlite:///study.db?timeout=abc"))
        Traceback (most recent call last):
        ...
        podbor.exceptions.InvalidArgumentError: The 'timeout' parameter of the RDBStorage URL's query must be a finite number of seconds >= 0. Got 'abc' instead.
    """
    rules = _QUERY_RULES.get(url.get_backend_name(), {})
    parsed: dict[str, Any] = {}
    for key, value in url.query.items():
        kind = rules.get(key)
        if kind is None:
            continue
        allowed = _ALLOWED[kind]
        if not isinstance(value, str):  # ?timeout=1&timeout=2
            raise invalid_argument(
                key, value, allowed + ", given once", owner="the RDBStorage URL's query"
            )
        try:
            parsed[key] = _parse_query_value(kind, value)
        except ValueError:
            raise invalid_argument(
                key, value, allowed, owner="the RDBStorage URL's query"
            ) from None
    return parsed


def sqlite_busy_timeout(url: URL, connect_args: Mapping[str, Any]) -> float:
    """How long a SQLite connection waits for a lock: ``connect_args["timeout"]``, else the
    URL's ``?timeout=``, else :data:`SQLITE_BUSY_TIMEOUT_S`."""
    timeout = connect_args.get("timeout", check_url_query(url).get("timeout"))
    try:
        return max(0.0, float(timeout)) if timeout is not None else SQLITE_BUSY_TIMEOUT_S
    except (TypeError, ValueError):
        return SQLITE_BUSY_TIMEOUT_S  # the driver refuses it when connecting


def make_engine(url: URL, engine_kwargs: dict[str, Any] | None) -> Engine:
    """Create the engine with podbor's settings for the URL's backend."""
    check_url_query(url)
    kwargs = dict(engine_kwargs or {})
    connect_args = dict(kwargs.pop("connect_args", {}))
    backend = url.get_backend_name()
    if backend == "sqlite":
        connect_args.setdefault("timeout", sqlite_busy_timeout(url, connect_args))
        connect_args.setdefault("check_same_thread", False)
        read_only = read_only_sqlite_file(url)
        if read_only is not None and "creator" not in kwargs:
            kwargs["creator"] = _read_only_connector(read_only, connect_args)
    elif backend == "postgresql" or backend == "mysql":
        connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        kwargs.setdefault("pool_recycle", 3600)
    try:
        engine = create_engine(url, connect_args=connect_args, **kwargs)
    except (ArgumentError, ImportError, TypeError, ValueError) as err:
        raise InvalidArgumentError(
            f"Cannot create a database engine for {url.render_as_string(hide_password=True)!r}: "
            f"{err}. For PostgreSQL install psycopg 3 (`pip install podbor[postgres]`) and use "
            "'postgresql+psycopg://…'; for MySQL or MariaDB install PyMySQL "
            "(`pip install podbor[mysql]`) and use 'mysql+pymysql://…'."
        ) from err
    if backend == "sqlite":
        path = url.database or ""
        _configure_sqlite(engine, own_wait=path not in ("", ":memory:") and "file:" not in path)
    mysql_transactions_as_usual(engine)
    return engine


def read_only_sqlite_file(url: URL) -> str | None:
    """The path of an existing SQLite file this process may read but not write (the file, or
    its folder, is read-only for it) when the URL leaves the opening mode to podbor; else None.

    Such a file is opened read-only (SQLite's ``mode=ro``), so that reading it needs no
    ``?mode=ro&uri=true`` in the URL; writes then fail with podbor's error naming the file. A
    writable file in a read-only folder counts as read-only only while no ``-wal``/``-shm`` sits
    beside it (SQLite could not create them to write); then no process can be writing to it, and
    it is also opened ``immutable=1`` (SQLite would otherwise need to create ``-shm`` to read).
    """
    if url.get_backend_name() != "sqlite":
        return None
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:") or "mode" in url.query:
        return None
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        return None
    if not os.access(path, os.W_OK):
        return path
    if os.access(os.path.dirname(path), os.W_OK) or _has_wal_files(path):
        return None  # writable (with its -wal and -shm already there, even in a locked folder)
    return path


def _has_wal_files(path: str) -> bool:
    return any(os.path.exists(path + suffix) for suffix in ("-wal", "-shm"))


def _read_only_connector(path: str, connect_args: Mapping[str, Any]) -> Callable[[], Any]:
    folder_writable = os.access(os.path.dirname(path), os.W_OK)
    query = "mode=ro" if folder_writable or _has_wal_files(path) else "mode=ro&immutable=1"
    uri = f"file:{urllib.parse.quote(path)}?{query}"
    args = {k: v for k, v in connect_args.items() if k != "uri"}

    def connect() -> Any:
        return sqlite3.connect(uri, uri=True, **args)

    return connect


def _configure_sqlite(engine: Engine, *, own_wait: bool) -> None:
    """WAL journal (readers never block writers), and BEGIN IMMEDIATE for write transactions so
    that two writers never deadlock on a lock upgrade.

    ``own_wait`` (a file named by path): a locked file is waited for by :func:`with_retries`,
    not by SQLite's busy handler, which sleeps 1, 2, 5, 10… ms between tries: far longer than
    the transactions a worker waits for (a trial's writes take a fraction of a millisecond), so
    with several workers most of their time went to sleeping on a lock already free.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            if own_wait:
                cursor.execute("PRAGMA busy_timeout=0")
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


def _is_disconnect(err: DBAPIError) -> bool:
    """Whether the server went away or cannot be reached right now (a restart, a failover):
    the connection is dropped by the pool, and a new one may succeed in a moment."""
    return err.connection_invalidated or says_disconnected(
        err.orig if err.orig is not None else err
    )


def _holders(path: str) -> str:
    """Which processes have the file open, as far as this system tells (Linux's /proc)."""
    try:
        target = os.path.realpath(path)
        found = []
        for pid in sorted(p for p in os.listdir("/proc") if p.isdigit()):
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
                if any(os.readlink(f"/proc/{pid}/fd/{fd}") == target for fd in fds):
                    with open(f"/proc/{pid}/comm", encoding="utf-8") as f:
                        name = f.read().strip()
                    me = " (this process)" if int(pid) == os.getpid() else ""
                    found.append(f"pid {pid} ({name}){me}")
            except OSError:
                continue  # gone, or not ours to look at
    except OSError:
        return ""
    return f" Processes that have it open: {', '.join(found)}." if found else ""


def locked_error(
    what: str, path: str | None, timeout: float, err: DBAPIError
) -> StorageInternalError:
    """The error for a database that stayed locked for the whole busy timeout."""
    if path is None:
        return StorageInternalError(f"{what} failed: {err.orig or err}")
    return StorageInternalError(
        f"{what} failed: the SQLite file {path!r} is locked by another connection, and stayed "
        f"locked for {timeout:g} s (the busy timeout: set it with '?timeout=SECONDS' in the URL). "
        "Another program (the sqlite3 shell, a database browser, a backup) may hold an open "
        f"transaction on it.{_holders(path)}"
    )


def with_retries(
    fn: Callable[[], _T],
    *,
    what: str,
    sqlite_path: str | None = None,
    timeout: float | None = None,
    reconnect: float = 0.0,
) -> _T:
    """Run ``fn`` again, after a jittered exponential pause, when the database reports lock
    contention; any other database error is raised at once (as a
    :class:`~podbor.exceptions.StorageInternalError` that says what failed, except an
    ``IntegrityError``, which callers turn into their own error).

    With ``timeout`` (SQLite's busy timeout), retries stop once that many seconds have passed
    since the first attempt, so a file locked by another program fails in about ``timeout``
    seconds (at most twice that), with an error naming ``sqlite_path``; otherwise after
    ``_RETRIES`` attempts.

    With ``reconnect`` > 0 (a database server, once the storage is open), losing the server
    (:func:`_is_disconnect`: a restart, a failover) is retried too, for up to ``reconnect``
    seconds, so that workers ride out a server restart. A write whose COMMIT was cut off may
    have been applied; running it again then fails as the contract says (e.g.
    ``UpdateFinishedTrialError``), never silently twice.
    """
    # A SQLite lock is held for a fraction of a millisecond: look again soon (SQLite's busy
    # handler is off for files, see _configure_sqlite), then less and less often.
    delay, growth, longest = (0.0002, 1.5, 0.05) if sqlite_path is not None else (0.005, 2, 1.0)
    start = time.monotonic()
    attempt = 0
    while True:
        try:
            return fn()
        except IntegrityError:
            raise
        except DBAPIError as err:
            if reconnect > 0 and _is_disconnect(err):
                if time.monotonic() - start >= reconnect:
                    raise StorageInternalError(
                        f"{what} failed: the server was unreachable for {reconnect:g} s: "
                        f"{_describe(err)}"
                    ) from err
                time.sleep(min(0.5, 0.05 * 2 ** min(attempt, 4)) * (0.5 + random.random()))
                attempt += 1
                continue
            if not _is_transient(err):
                raise StorageInternalError(f"{what} failed: {_describe(err)}") from err
            attempt += 1
            if timeout is None:
                if attempt >= _RETRIES:
                    raise locked_error(what, None, 0.0, err) from err
            elif time.monotonic() - start >= timeout:
                raise locked_error(what, sqlite_path, timeout, err) from err
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * growth, longest)


def _describe(err: DBAPIError) -> str:
    """The driver's message, with a hint when it means the file is damaged or read-only."""
    text = str(err.orig or err)
    if "malformed" in text or "not a database" in text:
        text += " (the file is damaged, or not a SQLite database)"
    elif "readonly database" in text:
        text += (
            " (the file, or its folder, is read-only for this process: it can be read, not written)"
        )
    return text

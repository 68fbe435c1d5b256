"""What every part of :class:`~podbor.storages.RDBStorage` shares: the engine, transactions with
retries, opening (and if need be creating) the database, and the handle's cache."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError

from podbor.exceptions import InvalidArgumentError, StorageInternalError, StudyNotFoundError
from podbor.storages._heartbeat import HeartbeatStorage
from podbor.storages._input_rules import attr_to_json
from podbor.storages._rdb import _queries as q
from podbor.storages._rdb._cache import HandleCache
from podbor.storages._rdb._direct import AnyConnection, DirectConnection, run_direct
from podbor.storages._rdb._engine import (
    WRITE_FLAG,
    make_engine,
    parse_url,
    sqlite_busy_timeout,
    with_retries,
)
from podbor.storages._rdb._migrate import create_or_check_schema
from podbor.storages._rdb._rows import upsert

__all__ = ["RDBConnection"]

_T = TypeVar("_T")
RECONNECT_SECONDS = 60.0
"""How long an open storage on a database server waits for the server to come back (a restart,
a failover) before a read or write fails."""
_SQLITE_HEADER = b"SQLite format 3\x00"


def sqlite_file(url: URL) -> str | None:
    """The path of the file a SQLite URL opens; None for other backends, ``:memory:`` and
    ``file:`` URIs (whose path SQLite itself parses)."""
    if url.get_backend_name() != "sqlite":
        return None
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return os.path.abspath(path)


# SQLite files this process has open through a live handle, by (device, inode). POSIX drops
# every lock a process holds on a file when it closes *any* descriptor of that file, so reading
# the header of a file that another handle of this process has open would silently release
# that handle's locks (another process may then checkpoint and remove the WAL under it: stale
# reads, "database disk image is malformed"). Such a file was checked when it was first opened.
_OPEN_HERE: dict[tuple[int, int], weakref.WeakSet[RDBConnection]] = {}
_OPEN_HERE_LOCK = threading.Lock()


def _file_key(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _open_in_this_process(path: str) -> bool:
    """Whether this process has ``path`` open: read from ``/proc/self/fd`` where there is one
    (a handle's pooled connections may outlive it), else the live handles that opened it."""
    key = _file_key(path)
    if key is None:
        return False
    if os.path.isdir("/proc/self/fd"):
        for fd in os.listdir("/proc/self/fd"):
            try:
                st = os.stat(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == key:
                return True
        return False
    with _OPEN_HERE_LOCK:
        return bool(_OPEN_HERE.get(key))


def _remember_open(path: str, handle: RDBConnection) -> None:
    key = _file_key(path)
    if key is not None:
        with _OPEN_HERE_LOCK:
            _OPEN_HERE.setdefault(key, weakref.WeakSet()).add(handle)


def check_sqlite_header(path: str, display_url: str) -> None:
    """Refuse a file that is not empty and does not start as SQLite files do, before SQLite
    touches it (SQLite would turn a short foreign file into a database).

    A file that a live handle of this process has open is not read again (see ``_OPEN_HERE``).
    """
    if _open_in_this_process(path):
        return
    try:
        with open(path, "rb") as f:
            head = f.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as err:
        raise InvalidArgumentError(
            f"Cannot open {display_url!r} as a podbor database: cannot read {path!r}: {err}"
        ) from err
    if head and head != _SQLITE_HEADER:
        raise InvalidArgumentError(
            f"Cannot open {display_url!r} as a podbor database: the file {path!r} is not a "
            f"SQLite database (it starts with {head!r}); it was left unchanged."
        )


class RDBConnection(HeartbeatStorage):
    """The base of RDBStorage's parts (studies, trials, workers): they run their statements
    through :meth:`_read` and :meth:`_write`."""

    url: str
    _display_url: str
    _cache: HandleCache

    def _connect(
        self,
        url: str,
        engine_kwargs: dict[str, Any] | None,
        skip_check: bool,
        skip_table_creation: bool = False,
    ) -> None:
        """Open the database at ``url``; create its schema if it is empty (unless
        ``skip_table_creation``), else check it."""
        self.url = url
        parsed = parse_url(url)
        self._engine = make_engine(parsed, engine_kwargs)
        self._read_engine = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        self._display_url = parsed.render_as_string(hide_password=True)
        self._cache = HandleCache()
        self._sqlite_path = sqlite_file(parsed)
        self._busy_timeout: float | None = None
        self._reconnect = 0.0  # while opening, an unreachable server is reported at once
        if self._sqlite_path is not None:
            connect_args = dict((engine_kwargs or {}).get("connect_args", {}))
            self._busy_timeout = sqlite_busy_timeout(parsed, connect_args)
            check_sqlite_header(self._sqlite_path, self._display_url)
        try:
            self._write(
                lambda conn: create_or_check_schema(
                    conn,
                    self._display_url,
                    skip_version_check=skip_check,
                    skip_table_creation=skip_table_creation,
                )
            )
            if parsed.get_backend_name() == "sqlite":
                self._enable_wal()
            if self._sqlite_path is not None:
                _remember_open(self._sqlite_path, self)
            else:  # open: from now on a server restart is waited for
                self._reconnect = RECONNECT_SECONDS
        except StorageInternalError as err:
            cause = err.__cause__
            if isinstance(cause, DBAPIError) and "(the file is damaged" in str(err):
                raise InvalidArgumentError(
                    f"Cannot open {self._display_url!r} as a podbor database: "
                    f"{cause.orig or cause} (the file {self._sqlite_path!r} is damaged, or not a "
                    "SQLite database)."
                ) from err
            raise
        except OperationalError as err:  # e.g. "file is not a database"
            raise InvalidArgumentError(
                f"Cannot open {self._display_url!r} as a podbor database: {err.orig or err}"
            ) from err
        except Exception as err:
            if "not a database" in str(err):
                raise InvalidArgumentError(
                    f"Cannot open {self._display_url!r} as a podbor database: it is not a "
                    "SQLite file."
                ) from err
            raise

    def _enable_wal(self) -> None:
        """Switch a podbor SQLite file to WAL (persistent; done only once it is known to be ours):
        readers then never block the writer.

        Changing the journal mode needs the file to itself, and SQLite answers "database is
        locked" at once (without its busy timeout) while another process holds it, e.g. when
        several workers open a new study file together: so the current mode is read first (a
        file already in WAL is left alone) and the switch is retried like any locked write.
        """

        def switch() -> None:
            with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                if str(mode).lower() != "wal":
                    conn.exec_driver_sql("PRAGMA journal_mode=WAL")

        with_retries(switch, what="Switching the SQLite file to WAL", **self._lock_policy())

    def _lock_policy(self) -> dict[str, Any]:
        """How long :func:`with_retries` keeps trying a locked SQLite file (None elsewhere), and
        a server that went away (once the storage is open: a server that cannot be reached
        when opening is reported at once)."""
        return {
            "sqlite_path": self._sqlite_path,
            "timeout": self._busy_timeout,
            "reconnect": self._reconnect,
        }

    # -- transactions -------------------------------------------------------------------
    def _read(self, fn: Callable[[Connection], _T]) -> _T:
        """Run reads in autocommit mode: no BEGIN/COMMIT round trips. Reads that take several
        statements stay correct because trial rows are read before their children, and a trial
        is finished in the same transaction that stores its values."""

        def run() -> _T:
            with self._read_engine.connect() as conn:
                return fn(conn)

        return with_retries(run, what=f"Reading from {self._display_url}", **self._lock_policy())

    def _write(self, fn: Callable[[Connection], _T]) -> _T:
        """Run ``fn`` in one write transaction (retried as a whole on lock contention)."""

        def run() -> _T:
            with self._engine.connect() as conn:
                conn.info[WRITE_FLAG] = True
                try:
                    with conn.begin():
                        return fn(conn)
                finally:
                    conn.info.pop(WRITE_FLAG, None)

        return with_retries(run, what=f"Writing to {self._display_url}", **self._lock_policy())

    def _read_direct(self, fn: Callable[[DirectConnection], _T]) -> _T:
        """Like :meth:`_read`, for the hot path's prebuilt statements (see
        :mod:`~podbor.storages._rdb._direct`): on the driver's connection."""
        return with_retries(
            lambda: run_direct(self._engine, fn, write=False),
            what=f"Reading from {self._display_url}",
            **self._lock_policy(),
        )

    def _write_direct(self, fn: Callable[[DirectConnection], _T], *, single: bool = False) -> _T:
        """Like :meth:`_write`, for the hot path's prebuilt statements: one transaction on the
        driver's connection, retried as a whole on lock contention. ``single``: ``fn`` runs
        exactly one statement, which commits by itself (no ``BEGIN``/``COMMIT`` round trips)."""
        return with_retries(
            lambda: run_direct(self._engine, fn, write=True, single=single),
            what=f"Writing to {self._display_url}",
            **self._lock_policy(),
        )

    # -- shared lookups -----------------------------------------------------------------
    def _no_study(self, study_id: int) -> StudyNotFoundError:
        """The error for an unknown study id."""
        return StudyNotFoundError(f"No study with id {study_id} exists in {self._display_url}.")

    def _study_exists(self, conn: AnyConnection, study_id: int) -> None:
        """Raise :class:`StudyNotFoundError` unless the study exists."""
        if conn.execute(q.STUDY_EXISTS, {"b_study_id": study_id}).first() is None:
            raise self._no_study(study_id)

    def _set_attr(
        self,
        table: Any,
        owner_id: int,
        check: Callable[[DirectConnection, int], object],
        kind: str,
        key: str,
        value: Any,
    ) -> None:
        """Set a ``kind`` (user or system) attribute of a study or trial: upsert the row of
        ``table`` (keyed by the owner's id, then the key) after ``check(conn, owner_id)``, which
        raises for an owner that is unknown or may not change."""
        text = attr_to_json(value, kind, key)
        owner = next(iter(table.c)).name

        def run(conn: DirectConnection) -> None:
            check(conn, owner_id)
            upsert(conn, table, {owner: owner_id, "key": key}, {"value_json": text})

        self._write_direct(run)

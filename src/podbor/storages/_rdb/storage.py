"""A storage on a relational database (SQLite, PostgreSQL, MySQL) through SQLAlchemy Core.

The class is assembled from one module per concept: ``_connection`` (engine, transactions,
opening the database), ``_studies``, ``_trials`` (with the handle's cache of finished trials in
``_cache``) and ``_workers`` (claims and heartbeats).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from podbor._deprecated import warn_experimental
from podbor._validation import check_bool, check_instance
from podbor.storages._heartbeat import HeartbeatSettings, StaleTrialCallback
from podbor.storages._rdb import models as m
from podbor.storages._rdb._migrate import head_revision, upgrade_to_head
from podbor.storages._rdb._studies import StudyOperations
from podbor.storages._rdb._trials import TrialOperations
from podbor.storages._rdb._workers import WorkerOperations

__all__ = ["RDBStorage"]


class RDBStorage(StudyOperations, TrialOperations, WorkerOperations):
    """Studies in a SQL database, shared by any number of processes and machines.

    SQLite (``sqlite:///study.db``) runs in WAL mode with a busy timeout, write transactions
    that take the lock up front, and jittered retries, so that several processes on one file do
    not fail with "database is locked". PostgreSQL (``postgresql+psycopg://user:pw@host/db``)
    serves workers on many machines. Finished trials are cached per handle: they never change,
    so reading the history costs only the trials that are new or still running.

    A SQLite file that another program keeps locked (an open transaction in the ``sqlite3``
    shell or a database browser) is waited for during the busy timeout, 60 s by default
    (``sqlite:///study.db?timeout=SECONDS``, or ``connect_args={"timeout": SECONDS}``), retries
    included; then a :class:`~podbor.exceptions.StorageInternalError` says that the file is
    locked and, on Linux, which processes have it open. A file that is not empty and not a
    SQLite database is refused before SQLite touches it, and a damaged one (e.g. truncated) with
    an error that names it; neither is changed.

    Args:
        url: A SQLAlchemy database URL.
        engine_kwargs: Extra arguments for ``sqlalchemy.create_engine``.
        skip_compatibility_check: Do not compare the database's schema version with podbor's.
        heartbeat_interval: Seconds between heartbeats of each running trial (None: off).
            With heartbeats, the trial of a worker that died, on any machine and even by
            SIGKILL, is marked FAIL when the next trial starts. Experimental, as in Optuna (an
            :class:`~podbor.exceptions.ExperimentalWarning` says so).
        grace_period: How long, in seconds, a trial may go without a heartbeat before it
            counts as dead; twice the interval by default.
        heartbeat_stale_trial_callback: Run as ``callback(study, trial)`` on each trial failed
            that way, e.g. :class:`~podbor.storages.RetryHeartbeatStaleTrialCallback`.
        failed_trial_callback: Deprecated old name of ``heartbeat_stale_trial_callback``.
        skip_table_creation: Do not create the tables in an empty database (for a schema made
            by other means); a database that has them is checked as usual.

    The heartbeat settings are also attributes (``heartbeat_interval``, ``grace_period``,
    ``heartbeat_stale_trial_callback``) that may be set on an open storage.

    Raises:
        ValueError: For a malformed URL (a query parameter the driver reads, such as
            ``?timeout=``, is named) or other invalid arguments, a file that is not a podbor
            database or is damaged, or a database whose schema version differs from this
            podbor's.
        StorageInternalError: When the server cannot be reached (the message names the host).

    Example:
        >>> import podbor, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "study.db")
        >>> storage = RDBStorage(f"sqlite:///{path}")
        >>> study = podbor.create_study(storage=storage, study_name="demo")
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> len(podbor.load_study(study_name="demo", storage=f"sqlite:///{path}").trials)
        3
    """

    def __init__(
        self,
        url: str,
        engine_kwargs: dict[str, Any] | None = None,
        skip_compatibility_check: bool = False,
        *,
        heartbeat_interval: float | None = None,
        grace_period: float | None = None,
        heartbeat_stale_trial_callback: StaleTrialCallback | None = None,
        failed_trial_callback: StaleTrialCallback | None = None,
        skip_table_creation: bool = False,
    ) -> None:
        owner = "RDBStorage"
        heartbeat = HeartbeatSettings(
            owner,
            heartbeat_interval,
            grace_period,
            heartbeat_stale_trial_callback,
            failed_trial_callback,
        )
        if heartbeat.interval is not None:
            warn_experimental(f"The 'heartbeat_interval' argument of {owner}")
        check_instance(
            engine_kwargs, "engine_kwargs", dict, owner=owner, allowed="a dict", allow_none=True
        )
        check_bool(skip_compatibility_check, "skip_compatibility_check", owner=owner)
        check_bool(skip_table_creation, "skip_table_creation", owner=owner)
        self._open(
            url, dict(engine_kwargs or {}), skip_compatibility_check, heartbeat, skip_table_creation
        )

    def _open(
        self,
        url: str,
        engine_kwargs: dict[str, Any],
        skip_compatibility_check: bool,
        heartbeat: HeartbeatSettings,
        skip_table_creation: bool = False,
    ) -> None:
        self._heartbeat = heartbeat
        self.engine_kwargs = engine_kwargs
        self.skip_compatibility_check = skip_compatibility_check
        self._connect(url, engine_kwargs, skip_compatibility_check, skip_table_creation)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine this handle connects through (its own; not pickled)."""
        return self._engine

    def __getstate__(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "engine_kwargs": self.engine_kwargs,
            "skip_compatibility_check": self.skip_compatibility_check,
            **self._heartbeat.as_kwargs(),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        heartbeat = HeartbeatSettings(
            "RDBStorage",
            state["heartbeat_interval"],
            state["grace_period"],
            state["heartbeat_stale_trial_callback"],
        )
        # The pickled handle opened the database already: its schema is not checked again.
        self._open(state["url"], state["engine_kwargs"], True, heartbeat)
        self.skip_compatibility_check = state["skip_compatibility_check"]

    def __repr__(self) -> str:
        return f"RDBStorage({self._display_url!r})"

    def upgrade(self) -> None:
        """Bring an older podbor database to this podbor's schema (``podbor storage upgrade``)."""
        self._write(upgrade_to_head)

    def get_current_version(self) -> str:
        """The schema revision the database is at."""
        return str(
            self._read(
                lambda conn: conn.execute(select(m.version_info.c.schema_version)).scalar_one()
            )
        )

    def get_head_version(self) -> str:
        """The newest schema revision this podbor knows."""
        return head_revision()

    def remove_session(self) -> None:
        self._engine.dispose()

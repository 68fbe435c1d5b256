"""A storage on a relational database (SQLite, PostgreSQL, MySQL) through SQLAlchemy Core.

The class is assembled from one module per concept: ``_connection`` (engine, transactions,
opening the database), ``_studies``, ``_trials`` (with the handle's cache of finished trials in
``_cache``) and ``_workers`` (claims and heartbeats).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from podbor._records.frozen_trial import FrozenTrial
from podbor._validation import check_bool, check_instance
from podbor.storages._heartbeat import HeartbeatSettings
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

    Args:
        url: A SQLAlchemy database URL.
        engine_kwargs: Extra arguments for ``sqlalchemy.create_engine``.
        heartbeat_interval: Seconds between heartbeats of each running trial (None: off).
            With heartbeats, the trial of a worker that died, on any machine and even by
            SIGKILL, is marked FAIL when the next trial starts.
        grace_period: How long, in seconds, a trial may go without a heartbeat before it
            counts as dead; twice the interval by default.
        failed_trial_callback: Run as ``callback(study, trial)`` on each trial failed that way,
            e.g. :class:`~podbor.storages.RetryFailedTrialCallback`.
        skip_compatibility_check: Do not compare the database's schema version with podbor's.

    Raises:
        ValueError: For a malformed URL or other invalid arguments, a file that is not a podbor
            database, or a database whose schema version differs from this podbor's.
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
        *,
        heartbeat_interval: float | None = None,
        grace_period: float | None = None,
        failed_trial_callback: Callable[[Any, FrozenTrial], None] | None = None,
        skip_compatibility_check: bool = False,
    ) -> None:
        owner = "RDBStorage"
        self._heartbeat = HeartbeatSettings(
            owner, heartbeat_interval, grace_period, failed_trial_callback
        )
        check_instance(
            engine_kwargs, "engine_kwargs", dict, owner=owner, allowed="a dict", allow_none=True
        )
        check_bool(skip_compatibility_check, "skip_compatibility_check", owner=owner)
        self._connect(url, engine_kwargs, skip_compatibility_check)

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, **self._heartbeat.as_kwargs()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        url = state.pop("url")
        self.__init__(url, skip_compatibility_check=True, **state)  # type: ignore[misc]

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

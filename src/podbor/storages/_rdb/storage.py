"""A storage on a relational database (SQLite, PostgreSQL, MySQL) through SQLAlchemy Core."""

from __future__ import annotations

import datetime
import threading
import uuid
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    and_,
    delete,
    insert,
    inspect,
    select,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from podbor._frozen_study import FrozenStudy
from podbor._study_direction import StudyDirection
from podbor.distributions import (
    BaseDistribution,
    check_distribution_compatibility,
    distribution_to_json,
    json_to_distribution,
)
from podbor.exceptions import (
    DuplicatedStudyError,
    InvalidArgumentError,
    StorageInternalError,
    StudyNotFoundError,
    UpdateFinishedTrialError,
)
from podbor.storages._base import DEFAULT_STUDY_NAME_PREFIX, BaseStorage
from podbor.storages._heartbeat import HeartbeatSettings
from podbor.storages._rdb import _queries as q
from podbor.storages._rdb import models as m
from podbor.storages._rdb._codec import decode_json, encode_float, encode_json
from podbor.storages._rdb._engine import WRITE_FLAG, make_engine, parse_url, with_retries
from podbor.storages._rdb._migrate import head_revision, stamp_head, upgrade_to_head
from podbor.storages._rdb._rows import (
    TRIAL_CHILDREN,
    insert_template_children,
    inserted_id,
    load_trials,
    refuse_version,
    upsert,
    utcnow,
)
from podbor.trial._frozen import FrozenTrial
from podbor.trial._state import TrialState
from podbor.version import __version__

__all__ = ["RDBStorage"]

_T = TypeVar("_T")
_SCHEMA_LOCK_KEY = 7_304_285_117  # any constant: serializes schema creation across workers


@dataclass
class _StudyCache:
    """Finished trials of one study, which never change: loaded once, then only what is new."""

    prefix: list[FrozenTrial] = field(default_factory=list)  # numbers 0..watermark-1, finished
    finished: dict[int, FrozenTrial] = field(default_factory=dict)  # number → trial, past prefix
    best: FrozenTrial | None = None
    directions: list[StudyDirection] = field(default_factory=list)


class RDBStorage(BaseStorage):
    """Studies in a SQL database, shared by any number of processes and machines.

    SQLite (``sqlite:///study.db``) runs in WAL mode with a busy timeout, write transactions
    that take the lock up front, and jittered retries, so that several processes on one file do
    not fail with "database is locked". PostgreSQL (``postgresql+psycopg://user:pw@host/db``)
    serves workers on many machines. Finished trials are cached per handle: they never change,
    so reading the history costs only the trials that are new or still running.

    Args:
        url: A SQLAlchemy database URL.
        engine_kwargs: Extra arguments for ``sqlalchemy.create_engine``.
        heartbeat_interval: Seconds between "still alive" records of a running trial; with it,
            a trial whose worker died (even by SIGKILL) is marked FAIL by the next worker.
        grace_period: Seconds without a heartbeat after which a trial counts as dead; twice the
            interval by default.
        failed_trial_callback: Called as ``callback(study, trial)`` for each trial marked FAIL
            that way, e.g. :class:`~podbor.storages.RetryFailedTrialCallback`.
        skip_compatibility_check: Do not compare the database's schema version with podbor's.

    Raises:
        ValueError: For a malformed URL, a file that is not a podbor database, or a database
            whose schema version differs from this podbor's.
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
        self._heartbeat = HeartbeatSettings(
            "RDBStorage", heartbeat_interval, grace_period, failed_trial_callback
        )
        self.url = url
        parsed = parse_url(url)
        self._backend = parsed.get_backend_name()
        self._engine = make_engine(parsed, engine_kwargs)
        self._read_engine = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        self._display_url = parsed.render_as_string(hide_password=True)
        self._lock = threading.Lock()
        self._caches: dict[int, _StudyCache] = {}
        self._by_trial_id: dict[int, FrozenTrial] = {}
        self._param_dists: dict[tuple[int, str], BaseDistribution] = {}
        self._trial_study: dict[int, int] = {}  # trial id → study id, for trials seen running
        self._init_schema(skip_compatibility_check)

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, **self._heartbeat.as_kwargs()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        url = state.pop("url")
        self.__init__(url, skip_compatibility_check=True, **state)  # type: ignore[misc]

    # -- transactions -------------------------------------------------------------------
    def _read(self, fn: Callable[[Connection], _T]) -> _T:
        """Run reads in autocommit mode: no BEGIN/COMMIT round trips. Reads that take several
        statements stay correct because trial rows are read before their children, and a trial
        is finished in the same transaction that stores its values."""

        def run() -> _T:
            with self._read_engine.connect() as conn:
                return fn(conn)

        return with_retries(run, what=f"Reading from {self._display_url}")

    def _write(self, fn: Callable[[Connection], _T]) -> _T:
        def run() -> _T:
            with self._engine.connect() as conn:
                conn.info[WRITE_FLAG] = True
                try:
                    with conn.begin():
                        return fn(conn)
                finally:
                    conn.info.pop(WRITE_FLAG, None)

        return with_retries(run, what=f"Writing to {self._display_url}")

    def _init_schema(self, skip_check: bool) -> None:
        def create(conn: Connection) -> None:
            # Many workers may start on an empty database: one creates the schema, the others
            # wait for it. PostgreSQL's lock ends with the transaction; MySQL's with a release
            # (its DDL commits implicitly, so the lock must outlive the transaction's pieces).
            if self._backend == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK_KEY})")
            elif self._backend == "mysql":
                conn.exec_driver_sql(f"SELECT GET_LOCK('podbor_schema_{_SCHEMA_LOCK_KEY}', 60)")
                try:
                    check_or_create(conn)
                finally:
                    conn.exec_driver_sql(f"SELECT RELEASE_LOCK('podbor_schema_{_SCHEMA_LOCK_KEY}')")
                return
            check_or_create(conn)

        def check_or_create(conn: Connection) -> None:
            tables = set(inspect(conn).get_table_names())
            if not tables:  # a new database: create the newest schema and record its revision
                m.metadata.create_all(conn)
                conn.execute(
                    insert(m.version_info).values(
                        version_info_id=1,
                        schema_version=m.SCHEMA_VERSION,
                        library_version=__version__,
                    )
                )
                stamp_head(conn)
                return
            row = None
            if m.version_info.name in tables:
                row = conn.execute(select(m.version_info.c.schema_version)).first()
            if row is None:
                raise InvalidArgumentError(
                    f"The database {self._display_url!r} is not a podbor database: it has tables "
                    f"{sorted(tables)[:8]} but no podbor version record. Use another database."
                )
            if not skip_check and row[0] != m.SCHEMA_VERSION:
                refuse_version(self._display_url, row[0])

        try:
            self._write(create)
            if self._backend == "sqlite":
                self._enable_wal()
        except StorageInternalError:
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

        with_retries(switch, what="Switching the SQLite file to WAL")

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

    # -- studies ------------------------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        name = study_name or DEFAULT_STUDY_NAME_PREFIX + str(uuid.uuid4())

        def run(conn: Connection) -> int:
            result = conn.execute(insert(m.studies).values(study_name=name))
            study_id = inserted_id(result)
            conn.execute(
                insert(m.study_directions),
                [
                    {"study_id": study_id, "objective": i, "direction": int(d)}
                    for i, d in enumerate(directions)
                ],
            )
            return study_id

        try:
            return self._write(run)
        except IntegrityError:
            raise DuplicatedStudyError(
                f"Another study with name {name!r} already exists in {self._display_url}."
            ) from None

    def delete_study(self, study_id: int) -> None:
        def run(conn: Connection) -> None:
            self._study_exists(conn, study_id)
            trial_ids = select(m.trials.c.trial_id).where(m.trials.c.study_id == study_id)
            for table in TRIAL_CHILDREN:
                conn.execute(delete(table).where(table.c.trial_id.in_(trial_ids)))
            conn.execute(delete(m.trials).where(m.trials.c.study_id == study_id))
            for table in (m.study_user_attrs, m.study_system_attrs, m.study_directions):
                conn.execute(delete(table).where(table.c.study_id == study_id))
            conn.execute(delete(m.studies).where(m.studies.c.study_id == study_id))

        self._write(run)
        with self._lock:
            cache = self._caches.pop(study_id, None)
            if cache is not None:
                for t in [*cache.prefix, *cache.finished.values()]:
                    self._by_trial_id.pop(t._trial_id, None)
            for key in [k for k in self._param_dists if k[0] == study_id]:
                del self._param_dists[key]

    def _set_study_attr(self, table: Any, study_id: int, key: str, value: Any, what: str) -> None:
        text = encode_json(value, what)

        def run(conn: Connection) -> None:
            self._study_exists(conn, study_id)
            upsert(conn, table, {"study_id": study_id, "key": key}, {"value_json": text})

        self._write(run)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(m.study_user_attrs, study_id, key, value, f"user attr {key!r}")

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(m.study_system_attrs, study_id, key, value, f"system attr {key!r}")

    def get_study_id_from_name(self, study_name: str) -> int:
        def run(conn: Connection) -> int:
            row = conn.execute(
                select(m.studies.c.study_id).where(m.studies.c.study_name == study_name)
            ).first()
            if row is None:
                names = sorted(r[0] for r in conn.execute(select(m.studies.c.study_name)))
                raise StudyNotFoundError(
                    f"No study named {study_name!r} exists in {self._display_url}. "
                    f"Existing studies: {names}."
                )
            return int(row[0])

        return self._read(run)

    def get_study_name_from_id(self, study_id: int) -> str:
        def run(conn: Connection) -> str:
            row = conn.execute(
                select(m.studies.c.study_name).where(m.studies.c.study_id == study_id)
            ).first()
            if row is None:
                raise StudyNotFoundError(
                    f"No study with id {study_id} exists in {self._display_url}."
                )
            return str(row[0])

        return self._read(run)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        with self._lock:
            cache = self._caches.get(study_id)
            if cache is not None and cache.directions:
                return list(cache.directions)
        directions = self._read(lambda conn: self._directions(conn, study_id))
        with self._lock:
            self._caches.setdefault(study_id, _StudyCache()).directions = directions
        return list(directions)

    def _directions(self, conn: Connection, study_id: int) -> list[StudyDirection]:
        rows = conn.execute(
            select(m.study_directions.c.direction)
            .where(m.study_directions.c.study_id == study_id)
            .order_by(m.study_directions.c.objective)
        ).all()
        if not rows:
            self._study_exists(conn, study_id)
        return [StudyDirection(r[0]) for r in rows]

    def _study_attrs(self, table: Any, study_id: int) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, Any]:
            self._study_exists(conn, study_id)
            rows = conn.execute(
                select(table.c.key, table.c.value_json).where(table.c.study_id == study_id)
            )
            return {k: decode_json(v) for k, v in rows}

        return self._read(run)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._study_attrs(m.study_user_attrs, study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._study_attrs(m.study_system_attrs, study_id)

    def get_all_studies(self) -> list[FrozenStudy]:
        def run(conn: Connection) -> list[FrozenStudy]:
            names = dict(conn.execute(select(m.studies.c.study_id, m.studies.c.study_name)).all())
            dirs: dict[int, list[StudyDirection]] = {sid: [] for sid in names}
            for sid, _, d in conn.execute(
                select(m.study_directions).order_by(
                    m.study_directions.c.study_id, m.study_directions.c.objective
                )
            ):
                dirs.setdefault(sid, []).append(StudyDirection(d))
            attrs: list[dict[int, dict[str, Any]]] = []
            for table in (m.study_user_attrs, m.study_system_attrs):
                by_study: dict[int, dict[str, Any]] = {sid: {} for sid in names}
                for sid, key, value in conn.execute(
                    select(table.c.study_id, table.c.key, table.c.value_json)
                ):
                    by_study.setdefault(sid, {})[key] = decode_json(value)
                attrs.append(by_study)
            return [
                FrozenStudy(names[sid], dirs[sid], attrs[0][sid], attrs[1][sid], sid)
                for sid in sorted(names)
            ]

        return self._read(run)

    def _study_exists(self, conn: Connection, study_id: int) -> None:
        row = conn.execute(q.STUDY_EXISTS, {"b_study_id": study_id}).first()
        if row is None:
            raise StudyNotFoundError(f"No study with id {study_id} exists in {self._display_url}.")

    # -- trials: writes -----------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        if template_trial is not None:
            for name, dist in template_trial.distributions.items():
                self._check_distribution(study_id, name, dist)

        def run(conn: Connection) -> int:
            locked = conn.execute(q.LOCK_STUDY, {"b_study_id": study_id}).first()
            if locked is None:
                raise StudyNotFoundError(
                    f"No study with id {study_id} exists in {self._display_url}."
                )
            number = conn.execute(q.NEXT_NUMBER, {"b_study_id": study_id}).scalar_one()
            if template_trial is None:
                values: dict[str, Any] = {
                    "state": TrialState.RUNNING.value,
                    "datetime_start": datetime.datetime.now(),
                    "datetime_complete": None,
                }
            else:
                values = {
                    "state": template_trial.state.value,
                    "datetime_start": template_trial.datetime_start,
                    "datetime_complete": template_trial.datetime_complete,
                }
            result = conn.execute(
                q.INSERT_TRIAL, {"study_id": study_id, "number": number, **values}
            )
            trial_id = inserted_id(result)
            if template_trial is not None:
                insert_template_children(conn, trial_id, template_trial)
            return trial_id

        trial_id = self._write(run)
        with self._lock:
            self._trial_study[trial_id] = study_id
        return trial_id

    def _check_distribution(self, study_id: int, name: str, dist: BaseDistribution) -> None:
        key = (study_id, name)
        with self._lock:
            known = self._param_dists.get(key)
        if known is None:

            def run(conn: Connection) -> str | None:
                row = conn.execute(
                    select(m.trial_params.c.distribution_json)
                    .join(m.trials, m.trials.c.trial_id == m.trial_params.c.trial_id)
                    .where(
                        and_(m.trials.c.study_id == study_id, m.trial_params.c.param_name == name)
                    )
                    .limit(1)
                ).first()
                return None if row is None else str(row[0])

            text = self._read(run)
            if text is None:
                return
            known = json_to_distribution(text)
            with self._lock:
                self._param_dists[key] = known
        check_distribution_compatibility(known, dist)

    def _updatable_state(self, conn: Connection, trial_id: int) -> tuple[int, int]:
        row = conn.execute(q.TRIAL_STATE_FOR_UPDATE, {"b_trial_id": trial_id}).first()
        if row is None:
            raise KeyError(f"No trial with id {trial_id} exists in {self._display_url}.")
        state = TrialState(row[0])
        if state.is_finished():
            raise UpdateFinishedTrialError(
                f"Trial {row[1]} has already finished as {state.name} and cannot be updated."
            )
        return int(row[2]), int(row[1])

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        study_id = self._study_of_trial(trial_id)
        self._check_distribution(study_id, param_name, distribution)
        text = distribution_to_json(distribution)

        def run(conn: Connection) -> None:
            self._updatable_state(conn, trial_id)
            upsert(
                conn,
                m.trial_params,
                {"trial_id": trial_id, "param_name": param_name},
                {"param_value": float(param_value_internal), "distribution_json": text},
            )

        self._write(run)
        with self._lock:
            self._param_dists.setdefault((study_id, param_name), distribution)

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        def run(conn: Connection) -> bool:
            now = datetime.datetime.now()
            if state == TrialState.RUNNING:
                result = conn.execute(q.CLAIM, {"b_trial_id": trial_id, "b_now": now})
                if result.rowcount == 1:
                    return True
                self._updatable_state(conn, trial_id)  # raises if finished or missing
                return False
            self._updatable_state(conn, trial_id)
            complete = now if state.is_finished() else None
            conn.execute(
                q.SET_STATE,
                {"b_trial_id": trial_id, "b_state": state.value, "b_complete": complete},
            )
            if values is not None:
                conn.execute(q.DELETE_VALUES, {"b_trial_id": trial_id})
                conn.execute(
                    q.INSERT_VALUE,
                    [
                        {"trial_id": trial_id, "objective": i, "value": v, "value_type": t}
                        for i, (v, t) in enumerate(encode_float(float(x)) for x in values)
                    ],
                )
            return True

        return self._write(run)

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        value, value_type = encode_float(float(intermediate_value))

        def run(conn: Connection) -> None:
            self._updatable_state(conn, trial_id)
            upsert(
                conn,
                m.trial_intermediate_values,
                {"trial_id": trial_id, "step": int(step)},
                {"value": value, "value_type": value_type},
            )

        self._write(run)

    def _set_trial_attr(self, table: Any, trial_id: int, key: str, value: Any, what: str) -> None:
        text = encode_json(value, what)

        def run(conn: Connection) -> None:
            self._updatable_state(conn, trial_id)
            upsert(conn, table, {"trial_id": trial_id, "key": key}, {"value_json": text})

        self._write(run)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(m.trial_user_attrs, trial_id, key, value, f"user attr {key!r}")

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(m.trial_system_attrs, trial_id, key, value, f"system attr {key!r}")

    def claim_waiting_trial(self, study_id: int) -> int | None:
        def run(conn: Connection) -> int | None:
            candidates = conn.execute(q.WAITING, {"b_study_id": study_id}).all()
            if not candidates:
                return -1
            now = datetime.datetime.now()
            for (trial_id,) in candidates:
                result = conn.execute(q.CLAIM, {"b_trial_id": trial_id, "b_now": now})
                if result.rowcount == 1:
                    return int(trial_id)
            return None

        while True:  # None: every candidate was taken by others meanwhile, look again
            claimed = self._write(run)
            if claimed is not None:
                return None if claimed == -1 else claimed

    # -- trials: reads ------------------------------------------------------------------
    def _study_of_trial(self, trial_id: int) -> int:
        with self._lock:
            cached = self._by_trial_id.get(trial_id)
            study_id = self._trial_study.get(trial_id)
        if cached is not None:
            raise UpdateFinishedTrialError(
                f"Trial {cached.number} has already finished as {cached.state.name} and cannot be updated."
            )
        if study_id is not None:
            return study_id

        def run(conn: Connection) -> int:
            row = conn.execute(q.TRIAL_STUDY, {"b_trial_id": trial_id}).first()
            if row is None:
                raise KeyError(f"No trial with id {trial_id} exists in {self._display_url}.")
            return int(row[0])

        study_id = self._read(run)
        with self._lock:
            self._trial_study[trial_id] = study_id
        return study_id

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            cached = self._by_trial_id.get(trial_id)
        if cached is not None:
            return cached

        def run(conn: Connection) -> FrozenTrial:
            loaded = load_trials(conn, [trial_id])
            if trial_id not in loaded:
                raise KeyError(f"No trial with id {trial_id} exists in {self._display_url}.")
            return loaded[trial_id]

        trial = self._read(run)
        if trial.state.is_finished():
            with self._lock:
                self._by_trial_id[trial_id] = trial
        return trial

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        trials = self._refresh(study_id)
        if states is not None:
            trials = [t for t in trials if t.state in states]
        return [t._copy() for t in trials] if deepcopy else trials

    def _refresh(self, study_id: int) -> list[FrozenTrial]:
        """Return every trial of the study, loading only those not cached as finished."""
        with self._lock:
            cache = self._caches.setdefault(study_id, _StudyCache())
            watermark = len(cache.prefix)
            known = set(cache.finished)

        def run(conn: Connection) -> tuple[list[tuple[int, int]], dict[int, FrozenTrial]]:
            rows = conn.execute(
                q.TRIALS_FROM, {"b_study_id": study_id, "b_watermark": watermark}
            ).all()
            if not rows and watermark == 0:
                self._study_exists(conn, study_id)
            need = [int(tid) for tid, number in rows if number not in known]
            return [(int(a), int(b)) for a, b in rows], load_trials(conn, need)

        rows, loaded = self._read(run)
        with self._lock:
            tail: list[FrozenTrial] = []
            for trial_id, number in rows:
                trial = cache.finished.get(number) or loaded.get(trial_id)
                if trial is None:  # deleted meanwhile
                    continue
                if trial.state.is_finished() and number not in cache.finished:
                    cache.finished[number] = trial
                    self._by_trial_id[trial_id] = trial
                    self._update_best(study_id, cache, trial)
                tail.append(trial)
            while len(cache.prefix) in cache.finished:
                cache.prefix.append(cache.finished.pop(len(cache.prefix)))
            return cache.prefix[:watermark] + tail

    def _update_best(self, study_id: int, cache: _StudyCache, trial: FrozenTrial) -> None:
        if trial.state != TrialState.COMPLETE or trial.values is None:
            return
        if not cache.directions:
            cache.directions = self._read(lambda conn: self._directions(conn, study_id))
        if len(cache.directions) != 1:
            return
        value = trial.values[0]
        if cache.best is not None:
            best = cache.best.values[0] if cache.best.values else value
            maximize = cache.directions[0] == StudyDirection.MAXIMIZE
            if not (value > best if maximize else value < best):
                return
        cache.best = trial

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        directions = self.get_study_directions(study_id)
        if len(directions) > 1:
            return super().get_best_trial(study_id)
        self._refresh(study_id)
        with self._lock:
            best = self._caches[study_id].best
        if best is None:
            raise ValueError("No trials are completed yet.")
        return best

    def get_n_trials(
        self, study_id: int, states: Container[TrialState] | TrialState | None = None
    ) -> int:
        if isinstance(states, TrialState):
            states = (states,)

        def run(conn: Connection) -> list[Any]:
            rows = conn.execute(q.STATE_COUNTS, {"b_study_id": study_id}).all()
            if not rows:
                self._study_exists(conn, study_id)
            return list(rows)

        rows = self._read(run)
        return sum(int(n) for s, n in rows if states is None or TrialState(s) in states)

    def get_study_trial_stats(self, study_id: int) -> tuple[int, datetime.datetime | None]:
        def run(conn: Connection) -> tuple[int, datetime.datetime | None]:
            self._study_exists(conn, study_id)
            count, start = conn.execute(q.TRIAL_STATS, {"b_study_id": study_id}).one()
            return int(count), start

        return self._read(run)

    def get_best_trial_only(self, study_id: int) -> FrozenTrial:
        directions = self.get_study_directions(study_id)
        if len(directions) > 1:
            return super().get_best_trial(study_id)
        query = q.BEST_MAX if directions[0] == StudyDirection.MAXIMIZE else q.BEST_MIN
        row = self._read(lambda conn: conn.execute(query, {"b_study_id": study_id}).first())
        if row is None:
            raise ValueError("No trials are completed yet.")
        return self.get_trial(int(row[0]))

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        def run(conn: Connection) -> int:
            row = conn.execute(
                q.TRIAL_ID_BY_NUMBER, {"b_study_id": study_id, "b_number": trial_number}
            ).first()
            if row is None:
                raise KeyError(f"No trial with number {trial_number} exists in study {study_id}.")
            return int(row[0])

        return self._read(run)

    # -- heartbeat ----------------------------------------------------------------------
    @property
    def heartbeat_interval(self) -> float | None:
        return self._heartbeat.interval

    @property
    def failed_trial_callback(self) -> Callable[[Any, FrozenTrial], None] | None:
        return self._heartbeat.callback

    def record_heartbeat(self, trial_id: int) -> None:
        now = utcnow()

        def run(conn: Connection) -> None:
            upsert(conn, m.trial_heartbeats, {"trial_id": trial_id}, {"heartbeat": now})

        self._write(run)

    def fail_stale_trials(self, study_id: int) -> list[int]:
        if self._heartbeat.grace_period is None:
            return []
        deadline = utcnow() - datetime.timedelta(seconds=self._heartbeat.grace_period)

        def run(conn: Connection) -> list[int]:
            stale = conn.execute(q.STALE, {"b_study_id": study_id, "b_deadline": deadline}).all()
            failed = []
            now = datetime.datetime.now()
            for (trial_id,) in stale:
                result = conn.execute(q.FAIL_IF_RUNNING, {"b_trial_id": trial_id, "b_now": now})
                if result.rowcount == 1:
                    failed.append(int(trial_id))
            return failed

        return self._write(run)

    def remove_session(self) -> None:
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"RDBStorage({self._display_url!r})"

"""Writing studies into a database in Optuna 5's format (SQLite, PostgreSQL, MySQL).

The database must be empty (the schema of :mod:`._rdb_schema` is created, with Optuna's
version records) or an Optuna database at the same schema revision (the studies are added).
Each study is written in one transaction, so a failure leaves no half-written study; names
are checked before the first one is written. Times are written as naive UTC, as Optuna 5 does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from podbor._records.frozen_trial import FrozenTrial
from podbor.exceptions import DuplicatedStudyError, InvalidArgumentError
from podbor.storages._optuna import _rdb_schema as o
from podbor.storages._optuna._detect import Format, rdb_format
from podbor.storages._optuna._distributions import to_optuna_json
from podbor.storages._optuna._snapshot import StudySnapshot, local_to_utc

__all__ = ["write_optuna_rdb"]


def write_optuna_rdb(engine: Engine, target: str, snapshots: Sequence[StudySnapshot]) -> None:
    """Write ``snapshots`` into the database behind ``engine`` in Optuna 5's format.

    Args:
        engine: An engine on the destination.
        target: How messages name the destination.
        snapshots: The studies, already checked.

    Raises:
        InvalidArgumentError: If the destination is neither empty nor an Optuna database at
            revision ``v3.2.0.a``, or a trial cannot be stored in Optuna's format.
        DuplicatedStudyError: If the destination holds a study of one of the names.
    """
    for snapshot in snapshots:
        _check_writable(snapshot, target)
    with engine.begin() as conn:
        _prepare(conn, target)
        existing = set(conn.execute(select(o.studies.c.study_name)).scalars())
    taken = [s.name for s in snapshots if s.name in existing]
    if taken:
        raise DuplicatedStudyError(
            f"{target} already holds studies named {taken}; nothing was written."
        )
    for snapshot in snapshots:
        try:
            with engine.begin() as conn:
                _insert_study(conn, snapshot)
        except IntegrityError as err:  # a study of that name appeared meanwhile
            raise DuplicatedStudyError(
                f"{target} already holds a study named {snapshot.name!r}; it was not written."
            ) from err


def _check_writable(snapshot: StudySnapshot, target: str) -> None:
    """Optuna's database has no NaN objective value; refuse before anything is written."""
    for trial in snapshot.trials:
        if trial.values is not None and any(math.isnan(v) for v in trial.values):
            raise InvalidArgumentError(
                f"Cannot write study {snapshot.name!r} to {target}: trial {trial.number} has a "
                f"NaN value {trial.values}, which Optuna's format cannot store. Nothing was written."
            )


def _prepare(conn: Connection, target: str) -> None:
    """Create Optuna's schema in an empty database, or check an existing Optuna database."""
    tables = set(inspect(conn).get_table_names())
    try:
        found: Format | None = rdb_format(tables)
    except InvalidArgumentError:  # tables of something else
        found = None
    if found is Format.NOTHING:
        o.metadata.create_all(conn)
        conn.execute(
            insert(o.version_info).values(
                version_info_id=1,
                schema_version=o.SCHEMA_VERSION,
                library_version=o.LIBRARY_VERSION,
            )
        )
        conn.execute(insert(o.alembic_version).values(version_num=o.ALEMBIC_REVISION))
        return
    revision = None
    if found is Format.OPTUNA_RDB and "alembic_version" in tables:
        revision = conn.execute(select(o.alembic_version.c.version_num)).scalar()
    if revision != o.ALEMBIC_REVISION:
        what = (
            f"an Optuna database at schema revision {revision!r}"
            if found is Format.OPTUNA_RDB
            else f"a database with tables {sorted(tables)[:8]}"
        )
        raise InvalidArgumentError(
            f"Cannot write Optuna's format to {target}: it is {what}; it must be empty or an "
            f"Optuna database at revision {o.ALEMBIC_REVISION!r} (Optuna 3.2 to 5.0). Nothing was "
            "written."
        )


def _utc(moment: Any) -> Any:
    return None if moment is None else local_to_utc(moment).replace(tzinfo=None)


def _float(value: float) -> dict[str, Any]:
    """A float as Optuna stores it: a number with FINITE, or NULL with its kind (NaN only for
    reports: objective values were checked by :func:`_check_writable`)."""
    if math.isfinite(value):
        return {"value": value, "type": "FINITE"}
    if math.isnan(value):
        return {"value": None, "type": "NAN"}
    return {"value": None, "type": "INF_POS" if value > 0 else "INF_NEG"}


def _inserted_id(conn: Connection, statement: Any) -> int:
    """Run an INSERT of one row and return the id the database gave it."""
    key = conn.execute(statement).inserted_primary_key
    if key is None:  # pragma: no cover - every dialect reports it for one row
        raise RuntimeError("the database did not report the id of a new row")
    return int(key[0])


def _insert_study(conn: Connection, snapshot: StudySnapshot) -> None:
    study_id = _inserted_id(conn, insert(o.studies).values(study_name=snapshot.name))
    conn.execute(
        insert(o.study_directions),
        [
            {"study_id": study_id, "objective": k, "direction": d.name}
            for k, d in enumerate(snapshot.directions)
        ],
    )
    _insert_attrs(conn, o.study_user_attributes, "study_id", study_id, snapshot.user_attrs)
    _insert_attrs(conn, o.study_system_attributes, "study_id", study_id, snapshot.system_attrs)
    for trial in snapshot.trials:
        _insert_trial(conn, study_id, trial)


def _insert_attrs(
    conn: Connection, table: Any, key: str, owner: int, attrs: dict[str, Any]
) -> None:
    if attrs:
        rows = [{key: owner, "key": k, "value_json": json.dumps(v)} for k, v in attrs.items()]
        conn.execute(insert(table), rows)


def _insert_trial(conn: Connection, study_id: int, trial: FrozenTrial) -> None:
    trial_id = _inserted_id(
        conn,
        insert(o.trials).values(
            number=trial.number,
            study_id=study_id,
            state=trial.state.name,
            datetime_start=_utc(trial.datetime_start),
            datetime_complete=_utc(trial.datetime_complete),
        ),
    )
    if trial.params:
        conn.execute(
            insert(o.trial_params),
            [
                {
                    "trial_id": trial_id,
                    "param_name": name,
                    "param_value": trial.distributions[name].to_internal_repr(value),
                    "distribution_json": to_optuna_json(trial.distributions[name]),
                }
                for name, value in trial.params.items()
            ],
        )
    if trial.values is not None:
        rows = [_float(v) for v in trial.values]
        conn.execute(
            insert(o.trial_values),
            [
                {"trial_id": trial_id, "objective": k, "value": r["value"], "value_type": r["type"]}
                for k, r in enumerate(rows)
            ],
        )
    if trial.intermediate_values:
        conn.execute(
            insert(o.trial_intermediate_values),
            [
                {
                    "trial_id": trial_id,
                    "step": step,
                    "intermediate_value": r["value"],
                    "intermediate_value_type": r["type"],
                }
                for step, r in ((s, _float(v)) for s, v in trial.intermediate_values.items())
            ],
        )
    _insert_attrs(conn, o.trial_user_attributes, "trial_id", trial_id, trial.user_attrs)
    _insert_attrs(conn, o.trial_system_attributes, "trial_id", trial_id, trial.system_attrs)

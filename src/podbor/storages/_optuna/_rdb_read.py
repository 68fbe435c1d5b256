"""Reading an Optuna database (SQLite, PostgreSQL, MySQL), without ever writing to it.

Everything is read in one transaction, so the studies are a consistent picture even while
Optuna workers write. The schema is checked first: a missing table or column (a damaged
database, one that a migration left half-done, or one of Optuna 2) stops the copy with an
error that names it; so does a row that breaks the format (the error names its table).

Times: databases written by Optuna 5 hold naive UTC times, earlier ones naive local times;
which one is told by ``version_info.library_version``, the release that created the database
(a database created by Optuna 4 and later written by Optuna 5 mixes both and cannot be told
apart; its times are read as local).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, column, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.storages._optuna._distributions import from_optuna_json
from podbor.storages._optuna._rdb_schema import READ_COLUMNS
from podbor.storages._optuna._snapshot import StudySnapshot, choose, damaged, utc_to_local

__all__ = ["read_optuna_rdb"]

_TIMES = ("datetime_start", "datetime_complete")
_ROW_IDS = {"trial_params": "param_id"}  # other tables: the singular of their name + "_id"
_SPECIAL = {"INF_POS": math.inf, "INF_NEG": -math.inf, "NAN": math.nan}


class _Damaged(Exception):
    """A row or a table that breaks Optuna's format; ``args``: (where, detail)."""


def read_optuna_rdb(
    engine: Engine, source: str, names: Sequence[str] | None
) -> list[StudySnapshot]:
    """Read the named studies (all when None) of the Optuna database behind ``engine``.

    Args:
        engine: An engine on the database.
        source: How messages name the database.
        names: The studies to read, in this order; all of them, by id, when None.

    Raises:
        InvalidArgumentError: For a damaged database, naming the table (nothing is written).
        StudyNotFoundError: For a name the database does not hold.
    """
    try:
        with engine.connect() as conn:
            _read_transaction(conn)
            _check_schema(conn)
            return _Reader(conn, source).read(names)
    except _Damaged as err:
        where, detail = err.args
        raise damaged(source, where, detail) from None
    except SQLAlchemyError as err:
        raise damaged(source, "the database", str(getattr(err, "orig", None) or err)) from err


def _read_transaction(conn: Connection) -> None:
    """Make the statements that follow see one snapshot of the database (rolled back on close)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")  # the driver would run each SELECT on its own
    elif conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level="REPEATABLE READ")
    # MySQL's default isolation level is REPEATABLE READ already


def _check_schema(conn: Connection) -> None:
    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    for name, needed in READ_COLUMNS.items():
        if name not in tables:
            raise _Damaged(f"table {name!r}", "missing (a damaged or half-migrated database?)")
        present = {c["name"] for c in inspector.get_columns(name)}
        lacking = [c for c in needed if c not in present]
        if lacking:
            raise _Damaged(
                f"table {name!r}",
                f"no column {lacking[0]!r} (a database of Optuna 2 or a half-migrated one; "
                "`optuna storage upgrade` brings it to the current schema)",
            )


def _table(name: str) -> Any:
    """A light table construct of the columns podbor reads (times typed, to be parsed)."""
    columns = [column(c, DateTime) if c in _TIMES else column(c) for c in READ_COLUMNS[name]]
    return table(name, *columns)


class _Reader:
    """One read of the database, inside the caller's transaction."""

    def __init__(self, conn: Connection, source: str) -> None:
        self.conn = conn
        self.source = source
        version = conn.execute(select(_table("version_info").c.library_version)).scalar()
        major = str(version or "0").split(".")[0]
        self.utc = major.isdigit() and int(major) >= 5

    def read(self, names: Sequence[str] | None) -> list[StudySnapshot]:
        studies = _table("studies")
        rows = self.conn.execute(select(studies).order_by(studies.c.study_id)).all()
        by_name = {row.study_name: row.study_id for row in rows}
        chosen = [(by_name[n], n) for n in choose(names, list(by_name), self.source)]
        ids = [study_id for study_id, _ in chosen]
        directions = self._directions(ids)
        user = self._attrs("study_user_attributes", "study_id", ids)
        system = self._attrs("study_system_attributes", "study_id", ids)
        trials = self._trials(ids)
        return [
            StudySnapshot(
                name,
                directions.get(sid) or _missing("study_directions", f"study {name!r}"),
                user.get(sid, {}),
                system.get(sid, {}),
                trials.get(sid, []),
            )
            for sid, name in chosen
        ]

    # -- children of studies ----------------------------------------------------------------------
    def _rows(self, name: str, key: str, ids: Iterable[int]) -> Any:
        """The rows of ``name`` whose ``key`` is in ``ids``, in the order they were written."""
        t = _table(name)
        order = _ROW_IDS.get(name, f"{name[:-1]}_id")
        statement = select(t).where(t.c[key].in_(list(ids))).order_by(column(order))
        return self.conn.execute(statement).all()

    def _directions(self, ids: list[int]) -> dict[int, list[StudyDirection]]:
        found: dict[int, dict[int, str]] = defaultdict(dict)
        for row in self._rows("study_directions", "study_id", ids):
            found[row.study_id][row.objective] = row.direction
        result = {}
        for study_id, by_objective in found.items():
            where = f"table 'study_directions', study id {study_id}"
            if sorted(by_objective) != list(range(len(by_objective))):
                raise _Damaged(where, f"objectives {sorted(by_objective)} are not 0, 1, ...")
            names = [by_objective[k] for k in range(len(by_objective))]
            if any(n not in ("MINIMIZE", "MAXIMIZE") for n in names):
                raise _Damaged(where, f"directions {names} are not MINIMIZE or MAXIMIZE")
            result[study_id] = [StudyDirection[n] for n in names]
        return result

    def _attrs(self, name: str, key: str, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        result: dict[int, dict[str, Any]] = defaultdict(dict)
        for row in self._rows(name, key, ids):
            try:
                result[row[0]][row.key] = json.loads(row.value_json)
            except (TypeError, ValueError):
                where = f"table {name!r}, {key.replace('_', ' ')} {row[0]}"
                raise _Damaged(where, f"the value of {row.key!r} is not JSON") from None
        return result

    # -- trials -----------------------------------------------------------------------------------
    def _trials(self, ids: list[int]) -> dict[int, list[FrozenTrial]]:
        trials = _table("trials")
        rows = self.conn.execute(
            select(trials).where(trials.c.study_id.in_(ids)).order_by(trials.c.number)
        ).all()
        trial_ids = [row.trial_id for row in rows]
        params = self._params(trial_ids)
        values = self._floats("trial_values", "objective", "value", trial_ids)
        reports = self._floats("trial_intermediate_values", "step", "intermediate_value", trial_ids)
        user = self._attrs("trial_user_attributes", "trial_id", trial_ids)
        system = self._attrs("trial_system_attributes", "trial_id", trial_ids)
        result: dict[int, list[FrozenTrial]] = defaultdict(list)
        for row in rows:
            if row.state not in TrialState.__members__:
                raise _Damaged(f"table 'trials', trial id {row.trial_id}", f"state {row.state!r}")
            objective_values = values.get(row.trial_id)
            if objective_values is not None and sorted(objective_values) != list(
                range(len(objective_values))
            ):
                where = f"table 'trial_values', trial id {row.trial_id}"
                raise _Damaged(where, f"objectives {sorted(objective_values)} are not 0, 1, ...")
            p, d = params.get(row.trial_id, ({}, {}))
            result[row.study_id].append(
                FrozenTrial(
                    -1 if row.number is None else row.number,
                    TrialState[row.state],
                    None,
                    self._time(row.datetime_start),
                    self._time(row.datetime_complete),
                    p,
                    d,
                    user.get(row.trial_id, {}),
                    system.get(row.trial_id, {}),
                    dict(sorted(reports.get(row.trial_id, {}).items())),
                    row.trial_id,
                    values=None
                    if objective_values is None
                    else [objective_values[k] for k in range(len(objective_values))],
                )
            )
        return result

    def _time(self, moment: Any) -> Any:
        return utc_to_local(moment) if self.utc else moment

    def _params(self, trial_ids: list[int]) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
        result: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        for row in self._rows("trial_params", "trial_id", trial_ids):
            params, distributions = result.setdefault(row.trial_id, ({}, {}))
            try:
                distribution = from_optuna_json(row.distribution_json)
                params[row.param_name] = distribution.to_external_repr(float(row.param_value))
            except (TypeError, ValueError, IndexError, OverflowError) as err:
                where = f"table 'trial_params', trial id {row.trial_id}"
                raise _Damaged(where, f"param {row.param_name!r}: {err}") from None
            distributions[row.param_name] = distribution
        return result

    def _floats(
        self, name: str, index: str, value: str, trial_ids: list[int]
    ) -> dict[int, dict[int, float]]:
        """Floats by trial id and ``index`` (objective or step), ±inf and NaN decoded."""
        result: dict[int, dict[int, float]] = defaultdict(dict)
        for row in self._rows(name, "trial_id", trial_ids):
            kind, number = row[3], row[2]
            if kind == "FINITE" and number is not None:
                result[row.trial_id][row[1]] = float(number)
            elif kind in _SPECIAL and (kind != "NAN" or value == "intermediate_value"):
                result[row.trial_id][row[1]] = _SPECIAL[kind]
            else:
                where = f"table {name!r}, trial id {row.trial_id}"
                raise _Damaged(where, f"{value} {number!r} of type {kind!r}")
        return result


def _missing(name: str, what: str) -> Any:
    raise _Damaged(f"table {name!r}", f"no row for {what}")

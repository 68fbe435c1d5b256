"""Statements built once at import: SQLAlchemy then reuses their compiled SQL, so the hot path
of a trial (about twenty statements) pays no expression-building cost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Double,
    Integer,
    Text,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    update,
)

from podbor._records.trial_state import TrialState
from podbor.storages._rdb import models as m

__all__ = [
    "ANY_WAITING",
    "BEST_MAX",
    "BEST_MIN",
    "CHILDREN",
    "CHILDREN_OF_ONE",
    "CLAIM",
    "DELETE_VALUES",
    "FAILED_COUNT",
    "FAIL_IF_RUNNING",
    "HEARTBEAT",
    "INSERT_HEARTBEAT",
    "INSERT_NEW_PARAM",
    "INSERT_PARAM",
    "INSERT_TRIAL",
    "INSERT_TRIAL_RETURNING",
    "INSERT_VALUE",
    "LOCK_STUDY",
    "NEXT_NUMBER",
    "PARAM_SLOT",
    "SET_STATE",
    "SET_STATE_IF_OPEN",
    "STALE",
    "STATE_COUNTS",
    "STUDY_EXISTS",
    "TRIALS_FROM",
    "TRIAL_ID_BY_NUMBER",
    "TRIAL_NUMBER",
    "TRIAL_ROW",
    "TRIAL_ROWS",
    "TRIAL_STATE_FOR_UPDATE",
    "TRIAL_STATS",
    "TRIAL_STUDY",
    "UPDATE_PARAM",
    "WAITING",
]

_ids: Any = bindparam("ids", expanding=True)
_study = bindparam("b_study_id", type_=m.Id())
_trial = bindparam("b_trial_id", type_=m.Id())

STUDY_EXISTS = select(m.studies.c.study_id).where(m.studies.c.study_id == _study)
LOCK_STUDY = STUDY_EXISTS.with_for_update()
NEXT_NUMBER = select(func.coalesce(func.max(m.trials.c.number) + 1, 0)).where(
    m.trials.c.study_id == _study
)
TRIAL_ROWS = select(m.trials).where(m.trials.c.trial_id.in_(_ids))
TRIAL_ROW = select(m.trials).where(m.trials.c.trial_id == _trial)
TRIAL_STATE_FOR_UPDATE = (
    select(m.trials.c.state, m.trials.c.number, m.trials.c.study_id)
    .where(m.trials.c.trial_id == _trial)
    .with_for_update()
)
TRIAL_STUDY = select(m.trials.c.study_id).where(m.trials.c.trial_id == _trial)
TRIAL_NUMBER = select(m.trials.c.number).where(m.trials.c.trial_id == _trial)
TRIALS_FROM = (
    select(m.trials.c.trial_id, m.trials.c.number)
    .where(and_(m.trials.c.study_id == _study, m.trials.c.number >= bindparam("b_watermark")))
    .order_by(m.trials.c.number)
)
TRIAL_ID_BY_NUMBER = select(m.trials.c.trial_id).where(
    and_(m.trials.c.study_id == _study, m.trials.c.number == bindparam("b_number"))
)
STATE_COUNTS = (
    select(m.trials.c.state, func.count())
    .where(m.trials.c.study_id == _study)
    .group_by(m.trials.c.state)
)
WAITING = (
    select(m.trials.c.trial_id)
    .where(and_(m.trials.c.study_id == _study, m.trials.c.state == TrialState.WAITING.value))
    .order_by(m.trials.c.number)
    .limit(8)
)
ANY_WAITING = (
    select(m.trials.c.trial_id)
    .where(and_(m.trials.c.study_id == _study, m.trials.c.state == TrialState.WAITING.value))
    .limit(1)
)
# A worker's budget (``create_running_trial(limit=…)``), under the study's row lock: the trials
# outside FAIL are the next number (numbers are gap-free) less the FAIL ones, which the index
# on (study_id, state, number) counts without reading the other trials.
FAILED_COUNT = select(func.count()).where(
    and_(m.trials.c.study_id == _study, m.trials.c.state == TrialState.FAIL.value)
)
CLAIM = (
    update(m.trials)
    .where(and_(m.trials.c.trial_id == _trial, m.trials.c.state == TrialState.WAITING.value))
    .values(state=TrialState.RUNNING.value, datetime_start=bindparam("b_now"))
)

SET_STATE = (
    update(m.trials)
    .where(m.trials.c.trial_id == _trial)
    .values(state=bindparam("b_state"), datetime_complete=bindparam("b_complete"))
)
# SET_STATE on a trial that is not finished: no row changed means finished or unknown.
SET_STATE_IF_OPEN = SET_STATE.where(
    or_(
        m.trials.c.state == TrialState.RUNNING.value,
        m.trials.c.state == TrialState.WAITING.value,
    )
)
DELETE_VALUES = m.trial_values.delete().where(m.trial_values.c.trial_id == _trial)
INSERT_VALUE = m.trial_values.insert()
INSERT_TRIAL = m.trials.insert()
# Where the driver's ``lastrowid`` says nothing (PostgreSQL), the new id comes back this way.
INSERT_TRIAL_RETURNING = m.trials.insert().returning(m.trials.c.trial_id)
INSERT_HEARTBEAT = m.trial_heartbeats.insert()

# Setting a parameter (PARAM_SLOT locks the trial's row): it counts the trial's params and
# whether ``b_name`` is one of them (compared by the database, as its key is); a new
# one is inserted after the others (``models.trial_params.param_index``), a known one updated.
_param = and_(
    m.trial_params.c.trial_id == _trial, m.trial_params.c.param_name == bindparam("b_name")
)
# The trial's state, number and study (its row locked), how many params it has and whether
# ``b_name`` is one: all that setting a parameter reads, in one statement.
PARAM_SLOT = (
    select(
        m.trials.c.state,
        m.trials.c.number,
        m.trials.c.study_id,
        select(func.count())
        .where(m.trial_params.c.trial_id == m.trials.c.trial_id)
        .scalar_subquery(),
        select(func.count())
        .where(
            and_(
                m.trial_params.c.trial_id == m.trials.c.trial_id,
                m.trial_params.c.param_name == bindparam("b_name"),
            )
        )
        .scalar_subquery(),
    )
    .where(m.trials.c.trial_id == _trial)
    .with_for_update()
)
UPDATE_PARAM = (
    update(m.trial_params)
    .where(_param)
    .values(param_value=bindparam("b_value"), distribution_json=bindparam("b_dist"))
)
INSERT_PARAM = m.trial_params.insert()
# The common case in one statement: a new parameter of a running (or waiting) trial, inserted
# after the trial's other params while the trial's row is locked. No row is inserted when the
# trial is unknown or finished or already has ``b_name``: PARAM_SLOT then says which.
INSERT_NEW_PARAM = m.trial_params.insert().from_select(
    ["trial_id", "param_name", "param_value", "distribution_json", "param_index"],
    select(
        m.trials.c.trial_id,
        bindparam("b_name", type_=m.trial_params.c.param_name.type),
        bindparam("b_value", type_=m.trial_params.c.param_value.type),
        bindparam("b_dist", type_=Text()),
        select(func.count()).where(m.trial_params.c.trial_id == _trial).scalar_subquery(),
    )
    .where(
        and_(
            m.trials.c.trial_id == _trial,
            or_(
                m.trials.c.state == TrialState.RUNNING.value,
                m.trials.c.state == TrialState.WAITING.value,
            ),
            ~exists().where(_param),
        )
    )
    .with_for_update(),
)

HEARTBEAT = select(m.trial_heartbeats.c.heartbeat).where(m.trial_heartbeats.c.trial_id == _trial)

STALE = (
    select(m.trials.c.trial_id)
    .join(m.trial_heartbeats, m.trial_heartbeats.c.trial_id == m.trials.c.trial_id)
    .where(
        and_(
            m.trials.c.study_id == _study,
            m.trials.c.state == TrialState.RUNNING.value,
            m.trial_heartbeats.c.heartbeat < bindparam("b_deadline"),
        )
    )
)
FAIL_IF_RUNNING = (
    update(m.trials)
    .where(and_(m.trials.c.trial_id == _trial, m.trials.c.state == TrialState.RUNNING.value))
    .values(state=TrialState.FAIL.value, datetime_complete=bindparam("b_now"))
)

TRIAL_STATS = select(func.count(), func.min(m.trials.c.datetime_start)).where(
    m.trials.c.study_id == _study
)


def _best(maximize: bool) -> Any:
    """The id of the best COMPLETE trial by its first value: -inf < finite < +inf (reversed for
    maximization), NaN never; ties go to the lowest number, as in the other storages."""
    v = m.trial_values
    rank = case(
        (v.c.value_type == m.FloatType.INF_NEG, 2 if maximize else 0),
        (v.c.value_type == m.FloatType.FINITE, 1),
        (v.c.value_type == m.FloatType.INF_POS, 0 if maximize else 2),
        else_=3,
    )
    return (
        select(m.trials.c.trial_id)
        .join(v, and_(v.c.trial_id == m.trials.c.trial_id, v.c.objective == 0))
        .where(
            and_(
                m.trials.c.study_id == _study,
                m.trials.c.state == TrialState.COMPLETE.value,
                v.c.value_type != m.FloatType.NAN,
            )
        )
        .order_by(rank, v.c.value.desc() if maximize else v.c.value.asc(), m.trials.c.number)
        .limit(1)
    )


BEST_MIN = _best(maximize=False)
BEST_MAX = _best(maximize=True)


def _children(match: Callable[[Any], Any]) -> Any:
    """One UNION ALL over the five child tables (their rows whose trial id column ``match``
    accepts), rows of (trial_id, kind, name, number, float,
    float type, text): a batch of trials loads in two round trips instead of six. A parameter's
    number is its ``param_index``, by which the loader puts a trial's params in the order they
    were set (sorting there, not in the database, costs nothing on the other tables' rows)."""
    i_null = cast(null(), Integer)
    f_null = cast(null(), Double[float]())
    t_null = cast(null(), Text)
    p, v, iv = m.trial_params, m.trial_values, m.trial_intermediate_values
    ua, sa = m.trial_user_attrs, m.trial_system_attrs
    return union_parts(
        select(
            p.c.trial_id,
            literal(0),
            p.c.param_name,
            p.c.param_index,
            p.c.param_value,
            i_null,
            p.c.distribution_json,
        ).where(match(p.c.trial_id)),
        select(
            v.c.trial_id, literal(1), t_null, v.c.objective, v.c.value, v.c.value_type, t_null
        ).where(match(v.c.trial_id)),
        select(
            iv.c.trial_id, literal(2), t_null, iv.c.step, iv.c.value, iv.c.value_type, t_null
        ).where(match(iv.c.trial_id)),
        select(ua.c.trial_id, literal(3), ua.c.key, i_null, f_null, i_null, ua.c.value_json).where(
            match(ua.c.trial_id)
        ),
        select(sa.c.trial_id, literal(4), sa.c.key, i_null, f_null, i_null, sa.c.value_json).where(
            match(sa.c.trial_id)
        ),
    )


def union_parts(*parts: Any) -> Any:
    """``UNION ALL`` of the given selects."""
    from sqlalchemy import union_all

    return union_all(*parts)


CHILDREN = _children(lambda column: column.in_(_ids))
# One trial's rows: an equality compiles once, where an expanding IN is rendered per execution.
CHILDREN_OF_ONE = _children(lambda column: column == _trial)


def upsert_statements(
    table: Any, key_columns: tuple[str, ...], value_columns: tuple[str, ...]
) -> tuple[Any, Any]:
    """Prebuilt ``UPDATE … WHERE key`` and ``INSERT`` for one attribute-like table."""
    cond = and_(*(table.c[k] == bindparam(f"k_{k}") for k in key_columns))
    upd = update(table).where(cond).values({c: bindparam(f"v_{c}") for c in value_columns})
    ins = table.insert().values(
        {
            **{k: bindparam(f"k_{k}") for k in key_columns},
            **{c: bindparam(f"v_{c}") for c in value_columns},
        }
    )
    return upd, ins


def native_upsert(
    dialect: str, table: Any, key_columns: tuple[str, ...], value_columns: tuple[str, ...]
) -> Any | None:
    """One ``INSERT … ON CONFLICT DO UPDATE`` statement where the dialect has one, else None."""
    values: dict[str, Any] = {
        **{k: bindparam(f"k_{k}") for k in key_columns},
        **{c: bindparam(f"v_{c}") for c in value_columns},
    }
    stmt: Any
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table).values(values)
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table).values(values)
    elif dialect == "mysql":
        from sqlalchemy.dialects.mysql import insert as mysql_insert

        stmt = mysql_insert(table).values(values)
        return stmt.on_duplicate_key_update({c: stmt.inserted[c] for c in value_columns})
    else:
        return None
    return stmt.on_conflict_do_update(
        index_elements=list(key_columns), set_={c: stmt.excluded[c] for c in value_columns}
    )

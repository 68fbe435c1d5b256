"""Row-level helpers of RDBStorage: upserts, bulk loads of trials, template inserts."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor.distributions import BaseDistribution, distribution_to_json, json_to_distribution
from podbor.storages._input_rules import attr_to_json
from podbor.storages._rdb import _queries as q
from podbor.storages._rdb import models as m
from podbor.storages._rdb._codec import decode_float, decode_json, encode_float
from podbor.storages._rdb._direct import AnyConnection

__all__ = [
    "TRIAL_CHILDREN",
    "insert_template_children",
    "inserted_id",
    "load_trials",
    "upsert",
    "utcnow",
]

_CHUNK = 500  # ids per IN (...) clause, below every backend's parameter limit


TRIAL_CHILDREN = (
    m.trial_params,
    m.trial_values,
    m.trial_intermediate_values,
    m.trial_user_attrs,
    m.trial_system_attrs,
    m.trial_heartbeats,
)


def upsert(conn: AnyConnection, table: Any, key: dict[str, Any], values: dict[str, Any]) -> None:
    """Insert the row with ``key`` or update it: one native upsert where the dialect has one,
    else an UPDATE then an INSERT (inside the caller's write transaction, which holds the
    trial's row lock, so no other writer races on the same key)."""
    dialect = conn.dialect.name
    params = {**{f"k_{k}": v for k, v in key.items()}, **{f"v_{c}": v for c, v in values.items()}}
    native = native_upsert(dialect, table.name, tuple(key), tuple(values))
    if native is not None:
        conn.execute(native, params)
        return
    upd, ins = upsert_statements(table.name, tuple(key), tuple(values))
    if conn.execute(upd, params).rowcount == 0:
        conn.execute(ins, params)


@functools.cache
def native_upsert(
    dialect: str, table_name: str, keys: tuple[str, ...], cols: tuple[str, ...]
) -> Any:
    return q.native_upsert(dialect, m.metadata.tables[table_name], keys, cols)


@functools.cache
def upsert_statements(
    table_name: str, keys: tuple[str, ...], cols: tuple[str, ...]
) -> tuple[Any, Any]:
    return q.upsert_statements(m.metadata.tables[table_name], keys, cols)


_INSERT = {table: table.insert() for table in TRIAL_CHILDREN}  # prebuilt: compiled once


def insert_template_children(conn: AnyConnection, trial_id: int, t: FrozenTrial) -> None:
    if t.params:
        conn.execute(
            _INSERT[m.trial_params],
            [
                {
                    "trial_id": trial_id,
                    "param_name": name,
                    "param_value": t.distributions[name].to_internal_repr(value),
                    "distribution_json": distribution_to_json(t.distributions[name]),
                    "param_index": index,
                }
                for index, (name, value) in enumerate(t.params.items())
            ],
        )
    if t.values is not None:
        conn.execute(
            _INSERT[m.trial_values],
            [
                {"trial_id": trial_id, "objective": i, "value": v, "value_type": vt}
                for i, (v, vt) in enumerate(encode_float(x) for x in t.values)
            ],
        )
    if t.intermediate_values:
        conn.execute(
            _INSERT[m.trial_intermediate_values],
            [
                {"trial_id": trial_id, "step": step, "value": v, "value_type": vt}
                for step, (v, vt) in (
                    (s, encode_float(x)) for s, x in t.intermediate_values.items()
                )
            ],
        )
    for table, attrs, kind in (
        (m.trial_user_attrs, t.user_attrs, "user"),
        (m.trial_system_attrs, t.system_attrs, "system"),
    ):
        if attrs:
            conn.execute(
                _INSERT[table],
                [
                    {"trial_id": trial_id, "key": k, "value_json": attr_to_json(v, kind, k)}
                    for k, v in attrs.items()
                ],
            )


def chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


_UNSEEN: Any = object()


def load_trials(conn: AnyConnection, trial_ids: list[int]) -> dict[int, FrozenTrial]:
    """Load full trials in bulk: the trial rows first (so a trial seen finished has all its
    children committed), then every child row in one query. Several trials need a SQLAlchemy
    ``Connection`` (their ``IN`` list is rendered per execution); one trial loads on either."""
    out: dict[int, FrozenTrial] = {}
    for ids in chunks(trial_ids):
        if len(ids) == 1:
            one = {"b_trial_id": ids[0]}
            rows = conn.execute(q.TRIAL_ROW, one).all()
            children = conn.execute(q.CHILDREN_OF_ONE, one).all() if rows else []
        else:
            assert isinstance(conn, Connection), "a batch of trials loads through SQLAlchemy"
            rows = conn.execute(q.TRIAL_ROWS, {"ids": ids}).all()
            children = conn.execute(q.CHILDREN, {"ids": ids}).all()
        for r in rows:
            out[r.trial_id] = FrozenTrial(
                r.number,
                TrialState(r.state),
                None,
                r.datetime_start,
                r.datetime_complete,
                {},
                {},
                {},
                {},
                {},
                r.trial_id,
            )
        values: dict[int, dict[int, float]] = {}
        params: list[tuple[int, int, str, float, str]] = []
        scalars: dict[str, Any] = {}  # attribute JSON → its value, when immutable (shared)
        for tid, kind, name, num, fval, ftype, text in children:
            trial = out.get(tid)
            if trial is None:
                continue
            if kind == 0:
                params.append((tid, num, name, fval, text))
            elif kind == 1:
                values.setdefault(tid, {})[num] = decode_float(fval, ftype)
            elif kind == 2:
                trial.intermediate_values[num] = decode_float(fval, ftype)
            else:
                value = scalars.get(text, _UNSEEN)
                if value is _UNSEEN:
                    value = decode_json(text)
                    if value is None or isinstance(value, (str, int, float)):
                        scalars[text] = value  # a list or dict is never shared by two trials
                (trial.user_attrs if kind == 3 else trial.system_attrs)[name] = value
        for tid, by_obj in values.items():
            out[tid].values = [by_obj[i] for i in sorted(by_obj)]
        dists: dict[str, BaseDistribution] = {}  # trials share equal distributions (immutable)
        for tid, _, name, fval, text in sorted(params):  # in the order they were set
            dist = dists.get(text)
            if dist is None:
                dist = dists[text] = json_to_distribution(text)
            out[tid].params[name] = dist.to_external_repr(fval)
            out[tid].distributions[name] = dist
    return out


def utcnow() -> datetime.datetime:
    """Heartbeats use naive UTC, so workers in different time zones agree."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def inserted_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])

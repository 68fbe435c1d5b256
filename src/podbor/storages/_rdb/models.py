"""The relational schema of :class:`~podbor.storages.RDBStorage` (SQLAlchemy Core tables).

Every child table carries the trial id (or study id) it belongs to, indexed, so that loading the
trials of one study is a handful of indexed range queries. Floats are stored with a separate
``value_type`` column so that ±inf and NaN survive every database exactly (MySQL has no inf).
JSON attribute values are stored as text; nothing is pickled.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect

__all__ = [
    "SCHEMA_VERSION",
    "FloatType",
    "Id",
    "metadata",
    "studies",
    "study_directions",
    "study_system_attrs",
    "study_user_attrs",
    "trial_heartbeats",
    "trial_intermediate_values",
    "trial_params",
    "trial_system_attrs",
    "trial_user_attrs",
    "trial_values",
    "trials",
    "version_info",
]

SCHEMA_VERSION = "3"
"""Bumped with every Alembic revision; a database at another version is refused or upgraded."""

_KEY = 512  # attribute keys and names: long enough, and indexable on MySQL

TIMESTAMP = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
"""Timestamps keep microseconds everywhere (MySQL's plain DATETIME would drop them)."""

metadata = MetaData()


class Id(TypeDecorator[int]):
    """A study or trial id column (an INTEGER: 64 bits on SQLite, 32 on PostgreSQL and MySQL).

    An id the column cannot hold, which no row has, is bound as -1 (no row has that either), so
    that looking it up finds nothing, as with any unknown id, instead of the driver's overflow or
    range error (SQLite's OverflowError past 64 bits, PostgreSQL's "integer out of range").
    """

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        bits = 63 if dialect.name == "sqlite" else 31
        if isinstance(value, int) and not -(2**bits) <= value < 2**bits:
            return -1
        return value


MYSQL_TEXT: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
"""MySQL/MariaDB table options: any Unicode text (a server's default may be latin1), compared
byte for byte as the other databases compare it. New databases get them; then, where the server
has one, a NO PAD binary collation that also tells ``"a"`` from ``"a "`` (``_collation``)."""


class FloatType(enum.IntEnum):
    """How a stored float column is to be read."""

    FINITE = 1
    INF_POS = 2
    INF_NEG = 3
    NAN = 4


studies = Table(
    "studies",
    metadata,
    Column("study_id", Id, primary_key=True, autoincrement=True),
    Column("study_name", String(_KEY), nullable=False, unique=True),
    sqlite_autoincrement=True,  # ids are never reused, so caches keyed by id stay valid
    **MYSQL_TEXT,
)


def _child(name: str, parent: Table, *columns: Column[object]) -> Table:
    """A table whose rows belong to a study or a trial (``parent``), keyed by its id first."""
    key = next(iter(parent.primary_key.columns))
    return Table(
        name,
        metadata,
        Column(
            key.name,
            Id,
            ForeignKey(f"{parent.name}.{key.name}", ondelete="CASCADE"),
            primary_key=True,
        ),
        *columns,
        **MYSQL_TEXT,
    )


def _attributes(name: str, parent: Table) -> Table:
    """A table of JSON attributes (key → JSON text) of a study or a trial."""
    return _child(
        name,
        parent,
        Column("key", String(_KEY), primary_key=True),
        Column("value_json", Text, nullable=False),
    )


study_directions = _child(
    "study_directions",
    studies,
    Column("objective", Integer, primary_key=True),
    Column("direction", Integer, nullable=False),
)

study_user_attrs = _attributes("study_user_attributes", studies)

study_system_attrs = _attributes("study_system_attributes", studies)

trials = Table(
    "trials",
    metadata,
    Column("trial_id", Id, primary_key=True, autoincrement=True),
    Column("study_id", Id, ForeignKey("studies.study_id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("state", Integer, nullable=False),
    Column("datetime_start", TIMESTAMP),
    Column("datetime_complete", TIMESTAMP),
    UniqueConstraint("study_id", "number", name="uq_trials_study_number"),
    # claiming the oldest WAITING trial: equality on (study_id, state), in order of number
    Index("ix_trials_study_state_number", "study_id", "state", "number"),
    sqlite_autoincrement=True,
    **MYSQL_TEXT,
)

trial_params = _child(
    "trial_params",
    trials,
    Column("param_name", String(_KEY), primary_key=True),
    Column("param_value", Float(precision=53), nullable=False),
    Column("distribution_json", Text, nullable=False),
    # 0, 1, … in the order the trial's parameters were set: a trial's params are read back in
    # suggestion order (the key alone would sort them by name, on MySQL even without ORDER BY)
    Column("param_index", Integer, nullable=False, server_default="0"),
)


def _floats(name: str, index: str) -> Table:
    """A table of a trial's floats by ``index``, with the ``value_type`` that keeps ±inf/NaN."""
    return _child(
        name,
        trials,
        Column(index, Integer, primary_key=True),
        Column("value", Float(precision=53)),
        Column("value_type", Integer, nullable=False),
    )


trial_values = _floats("trial_values", "objective")

trial_intermediate_values = _floats("trial_intermediate_values", "step")

trial_user_attrs = _attributes("trial_user_attributes", trials)

trial_system_attrs = _attributes("trial_system_attributes", trials)

trial_heartbeats = _child(
    "trial_heartbeats",
    trials,
    Column("heartbeat", TIMESTAMP, nullable=False),
)

version_info = Table(
    "podbor_version_info",
    metadata,
    Column("version_info_id", Integer, primary_key=True),
    Column("schema_version", String(64), nullable=False),
    Column("library_version", String(64), nullable=False),
    **MYSQL_TEXT,
)

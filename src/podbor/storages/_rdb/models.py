"""The relational schema of :class:`~podbor.storages.RDBStorage` (SQLAlchemy Core tables).

Every child table carries the trial id (or study id) it belongs to, indexed, so that loading the
trials of one study is a handful of indexed range queries. Floats are stored with a separate
``value_type`` column so that ±inf and NaN survive every database exactly (MySQL has no inf).
JSON attribute values are stored as text; nothing is pickled.
"""

from __future__ import annotations

import enum

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
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql

__all__ = [
    "SCHEMA_VERSION",
    "FloatType",
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

SCHEMA_VERSION = "2"
"""Bumped with every Alembic revision; a database at another version is refused or upgraded."""

_KEY = 512  # attribute keys and names: long enough, and indexable on MySQL

TIMESTAMP = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
"""Timestamps keep microseconds everywhere (MySQL's plain DATETIME would drop them)."""

metadata = MetaData()


class FloatType(enum.IntEnum):
    """How a stored float column is to be read."""

    FINITE = 1
    INF_POS = 2
    INF_NEG = 3
    NAN = 4


studies = Table(
    "studies",
    metadata,
    Column("study_id", Integer, primary_key=True, autoincrement=True),
    Column("study_name", String(_KEY), nullable=False, unique=True),
    sqlite_autoincrement=True,  # ids are never reused, so caches keyed by id stay valid
)

study_directions = Table(
    "study_directions",
    metadata,
    Column(
        "study_id", Integer, ForeignKey("studies.study_id", ondelete="CASCADE"), primary_key=True
    ),
    Column("objective", Integer, primary_key=True),
    Column("direction", Integer, nullable=False),
)

study_user_attrs = Table(
    "study_user_attributes",
    metadata,
    Column(
        "study_id", Integer, ForeignKey("studies.study_id", ondelete="CASCADE"), primary_key=True
    ),
    Column("key", String(_KEY), primary_key=True),
    Column("value_json", Text, nullable=False),
)

study_system_attrs = Table(
    "study_system_attributes",
    metadata,
    Column(
        "study_id", Integer, ForeignKey("studies.study_id", ondelete="CASCADE"), primary_key=True
    ),
    Column("key", String(_KEY), primary_key=True),
    Column("value_json", Text, nullable=False),
)

trials = Table(
    "trials",
    metadata,
    Column("trial_id", Integer, primary_key=True, autoincrement=True),
    Column("study_id", Integer, ForeignKey("studies.study_id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("state", Integer, nullable=False),
    Column("datetime_start", TIMESTAMP),
    Column("datetime_complete", TIMESTAMP),
    UniqueConstraint("study_id", "number", name="uq_trials_study_number"),
    # claiming the oldest WAITING trial: equality on (study_id, state), in order of number
    Index("ix_trials_study_state_number", "study_id", "state", "number"),
    sqlite_autoincrement=True,
)


def _trial_child(name: str, *columns: Column[object]) -> Table:
    return Table(
        name,
        metadata,
        Column(
            "trial_id",
            Integer,
            ForeignKey("trials.trial_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        *columns,
    )


trial_params = _trial_child(
    "trial_params",
    Column("param_name", String(_KEY), primary_key=True),
    Column("param_value", Float(precision=53), nullable=False),
    Column("distribution_json", Text, nullable=False),
)

trial_values = _trial_child(
    "trial_values",
    Column("objective", Integer, primary_key=True),
    Column("value", Float(precision=53)),
    Column("value_type", Integer, nullable=False),
)

trial_intermediate_values = _trial_child(
    "trial_intermediate_values",
    Column("step", Integer, primary_key=True),
    Column("value", Float(precision=53)),
    Column("value_type", Integer, nullable=False),
)

trial_user_attrs = _trial_child(
    "trial_user_attributes",
    Column("key", String(_KEY), primary_key=True),
    Column("value_json", Text, nullable=False),
)

trial_system_attrs = _trial_child(
    "trial_system_attributes",
    Column("key", String(_KEY), primary_key=True),
    Column("value_json", Text, nullable=False),
)

trial_heartbeats = _trial_child(
    "trial_heartbeats",
    Column("heartbeat", TIMESTAMP, nullable=False),
)

version_info = Table(
    "podbor_version_info",
    metadata,
    Column("version_info_id", Integer, primary_key=True),
    Column("schema_version", String(64), nullable=False),
    Column("library_version", String(64), nullable=False),
)

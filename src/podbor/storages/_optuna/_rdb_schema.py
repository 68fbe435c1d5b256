"""Optuna's relational schema, as Optuna 3.2 to 5.0 create it (Alembic revision ``v3.2.0.a``).

Written from the schema observed in databases that those releases created (SQLite,
PostgreSQL and MySQL DDL): the same table, column, index and enum-type names, so that Optuna
and optuna-dashboard open a database podbor writes as if Optuna had made it. Reading needs
only the columns listed in :data:`READ_COLUMNS`, so databases of earlier 3.x revisions that
have them are read too.

Floats that are not finite are stored as NULL with a type column (``FINITE``, ``INF_POS``,
``INF_NEG``, and ``NAN`` for reports); attribute values are JSON text; times are naive
(local time before Optuna 5, UTC from Optuna 5 on).

Imported only by the functions that read or write such a database (it imports SQLAlchemy).
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "ALEMBIC_REVISION",
    "LIBRARY_VERSION",
    "READ_COLUMNS",
    "SCHEMA_VERSION",
    "metadata",
]

ALEMBIC_REVISION = "v3.2.0.a"
"""The schema revision written (Optuna 3.2 to 5.0 are all at it)."""
SCHEMA_VERSION = 12
LIBRARY_VERSION = "5.0.0"
"""Recorded in ``version_info``: the release whose format (UTC times) is written."""

_KEY = 512
_FLOAT = Float(precision=53)

metadata = MetaData()

studies = Table(
    "studies",
    metadata,
    Column("study_id", Integer, primary_key=True),
    Column("study_name", String(_KEY), index=True, unique=True, nullable=False),
)

version_info = Table(
    "version_info",
    metadata,
    Column("version_info_id", Integer, primary_key=True, autoincrement=False),
    Column("schema_version", Integer),
    Column("library_version", String(256)),
    CheckConstraint("version_info_id=1"),
)

study_directions = Table(
    "study_directions",
    metadata,
    Column("study_direction_id", Integer, primary_key=True),
    Column(
        "direction", Enum("NOT_SET", "MINIMIZE", "MAXIMIZE", name="studydirection"), nullable=False
    ),
    Column("study_id", Integer, ForeignKey("studies.study_id"), nullable=False),
    Column("objective", Integer, nullable=False),
    UniqueConstraint("study_id", "objective"),
)


def _attributes(name: str, owner: Table) -> Table:
    """A table of JSON attributes (key → JSON text) of a study or a trial (``owner``)."""
    key = next(iter(owner.primary_key.columns)).name
    return Table(
        name,
        metadata,
        Column(f"{name[:-1]}_id", Integer, primary_key=True),
        Column(key, Integer, ForeignKey(f"{owner.name}.{key}")),
        Column("key", String(_KEY)),
        Column("value_json", Text),
        UniqueConstraint(key, "key"),
    )


study_user_attributes = _attributes("study_user_attributes", studies)
study_system_attributes = _attributes("study_system_attributes", studies)

trials = Table(
    "trials",
    metadata,
    Column("trial_id", Integer, primary_key=True),
    Column("number", Integer),
    Column("study_id", Integer, ForeignKey("studies.study_id"), index=True),
    Column(
        "state",
        Enum("RUNNING", "COMPLETE", "PRUNED", "FAIL", "WAITING", name="trialstate"),
        nullable=False,
    ),
    Column("datetime_start", DateTime),
    Column("datetime_complete", DateTime),
)

trial_user_attributes = _attributes("trial_user_attributes", trials)
trial_system_attributes = _attributes("trial_system_attributes", trials)

trial_params = Table(
    "trial_params",
    metadata,
    Column("param_id", Integer, primary_key=True),
    Column("trial_id", Integer, ForeignKey("trials.trial_id")),
    Column("param_name", String(_KEY)),
    Column("param_value", _FLOAT),
    Column("distribution_json", Text),
    UniqueConstraint("trial_id", "param_name"),
)

trial_values = Table(
    "trial_values",
    metadata,
    Column("trial_value_id", Integer, primary_key=True),
    Column("trial_id", Integer, ForeignKey("trials.trial_id"), nullable=False),
    Column("objective", Integer, nullable=False),
    Column("value", _FLOAT),
    Column(
        "value_type", Enum("FINITE", "INF_POS", "INF_NEG", name="trialvaluetype"), nullable=False
    ),
    UniqueConstraint("trial_id", "objective"),
)

trial_intermediate_values = Table(
    "trial_intermediate_values",
    metadata,
    Column("trial_intermediate_value_id", Integer, primary_key=True),
    Column("trial_id", Integer, ForeignKey("trials.trial_id"), nullable=False),
    Column("step", Integer, nullable=False),
    Column("intermediate_value", _FLOAT),
    Column(
        "intermediate_value_type",
        Enum("FINITE", "INF_POS", "INF_NEG", "NAN", name="trialintermediatevaluetype"),
        nullable=False,
    ),
    UniqueConstraint("trial_id", "step"),
)

trial_heartbeats = Table(
    "trial_heartbeats",
    metadata,
    Column("trial_heartbeat_id", Integer, primary_key=True),
    Column("trial_id", Integer, ForeignKey("trials.trial_id"), nullable=False, unique=True),
    Column("heartbeat", DateTime, nullable=False),
)

alembic_version = Table(
    "alembic_version",
    metadata,
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)

READ_COLUMNS: dict[str, tuple[str, ...]] = {
    "studies": ("study_id", "study_name"),
    "study_directions": ("study_id", "objective", "direction"),
    "study_user_attributes": ("study_id", "key", "value_json"),
    "study_system_attributes": ("study_id", "key", "value_json"),
    "trials": ("trial_id", "study_id", "number", "state", "datetime_start", "datetime_complete"),
    "trial_params": ("trial_id", "param_name", "param_value", "distribution_json"),
    "trial_values": ("trial_id", "objective", "value", "value_type"),
    "trial_intermediate_values": (
        "trial_id",
        "step",
        "intermediate_value",
        "intermediate_value_type",
    ),
    "trial_user_attributes": ("trial_id", "key", "value_json"),
    "trial_system_attributes": ("trial_id", "key", "value_json"),
    "version_info": ("library_version",),
}
"""The tables and columns a database must have to be read."""

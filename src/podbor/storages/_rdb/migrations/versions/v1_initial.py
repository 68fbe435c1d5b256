"""Schema 1: studies, trials and their child tables, heartbeats and version info.

Revision ID: 1
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "1"
down_revision = None
branch_labels = None
depends_on = None

_KEY = 512
# Microsecond timestamps on MySQL too (its plain DATETIME keeps whole seconds only).
_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _trial_fk() -> sa.Column[int]:
    return sa.Column(
        "trial_id",
        sa.Integer,
        sa.ForeignKey("trials.trial_id", ondelete="CASCADE"),
        primary_key=True,
    )


def _study_fk() -> sa.Column[int]:
    return sa.Column(
        "study_id",
        sa.Integer,
        sa.ForeignKey("studies.study_id", ondelete="CASCADE"),
        primary_key=True,
    )


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("study_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("study_name", sa.String(_KEY), nullable=False, unique=True),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "study_directions",
        _study_fk(),
        sa.Column("objective", sa.Integer, primary_key=True),
        sa.Column("direction", sa.Integer, nullable=False),
    )
    for name in ("study_user_attributes", "study_system_attributes"):
        op.create_table(
            name,
            _study_fk(),
            sa.Column("key", sa.String(_KEY), primary_key=True),
            sa.Column("value_json", sa.Text, nullable=False),
        )
    op.create_table(
        "trials",
        sa.Column("trial_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "study_id",
            sa.Integer,
            sa.ForeignKey("studies.study_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("state", sa.Integer, nullable=False),
        sa.Column("datetime_start", _TIMESTAMP),
        sa.Column("datetime_complete", _TIMESTAMP),
        sa.UniqueConstraint("study_id", "number", name="uq_trials_study_number"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_trials_study_state", "trials", ["study_id", "state"])
    op.create_table(
        "trial_params",
        _trial_fk(),
        sa.Column("param_name", sa.String(_KEY), primary_key=True),
        sa.Column("param_value", sa.Float(precision=53), nullable=False),
        sa.Column("distribution_json", sa.Text, nullable=False),
    )
    op.create_table(
        "trial_values",
        _trial_fk(),
        sa.Column("objective", sa.Integer, primary_key=True),
        sa.Column("value", sa.Float(precision=53)),
        sa.Column("value_type", sa.Integer, nullable=False),
    )
    op.create_table(
        "trial_intermediate_values",
        _trial_fk(),
        sa.Column("step", sa.Integer, primary_key=True),
        sa.Column("value", sa.Float(precision=53)),
        sa.Column("value_type", sa.Integer, nullable=False),
    )
    for name in ("trial_user_attributes", "trial_system_attributes"):
        op.create_table(
            name,
            _trial_fk(),
            sa.Column("key", sa.String(_KEY), primary_key=True),
            sa.Column("value_json", sa.Text, nullable=False),
        )
    op.create_table(
        "trial_heartbeats",
        _trial_fk(),
        sa.Column("heartbeat", _TIMESTAMP, nullable=False),
    )
    op.create_table(
        "podbor_version_info",
        sa.Column("version_info_id", sa.Integer, primary_key=True),
        sa.Column("schema_version", sa.String(64), nullable=False),
        sa.Column("library_version", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for name in (
        "podbor_version_info",
        "trial_heartbeats",
        "trial_system_attributes",
        "trial_user_attributes",
        "trial_intermediate_values",
        "trial_values",
        "trial_params",
        "trials",
        "study_system_attributes",
        "study_user_attributes",
        "study_directions",
        "studies",
    ):
        op.drop_table(name)

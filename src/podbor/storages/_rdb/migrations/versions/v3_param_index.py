"""Schema 3: ``trial_params.param_index``, the order in which a trial's parameters were set.

A trial's parameters are read back in the order the objective suggested them, as Optuna and
podbor's other storages give them; the table's key (trial id, name) alone sorts them by name.
Rows of older databases get their order back where the database remembers it (SQLite's rowid
is the insertion order); elsewhere they keep 0 and are read by name, as before.

Revision ID: 3
Revises: 2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3"
down_revision = "2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "trial_params",
        sa.Column("param_index", sa.Integer, nullable=False, server_default="0"),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "UPDATE trial_params SET param_index = (SELECT COUNT(*) FROM trial_params AS earlier "
            "WHERE earlier.trial_id = trial_params.trial_id "
            "AND earlier.rowid < trial_params.rowid)"
        )


def downgrade() -> None:
    with op.batch_alter_table("trial_params") as batch:
        batch.drop_column("param_index")

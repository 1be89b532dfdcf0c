"""Escalations: a rung is reached once per deadline (an extension restarts the ladder), and the
notices of a pass are written after it (notified_at), so one person gets one digest after a gap

Revision ID: 0030
Revises: 0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import db.models.base

revision = "0030"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notified_at", db.models.base.UTCDateTime(), nullable=True))
        batch_op.drop_constraint("uq_escalations_human_task_id_level", type_="unique")
        batch_op.create_unique_constraint(
            "uq_escalations_human_task_id_level_due_at", ["human_task_id", "level", "due_at"]
        )
        batch_op.create_index(
            "ix_escalations_unnotified",
            ["id"],
            unique=False,
            postgresql_where=sa.text("notified_at IS NULL"),
            sqlite_where=sa.text("notified_at IS NULL"),
        )
    # Rungs reached before this version were notified when they were reached.
    op.execute("UPDATE escalations SET notified_at = fired_at")


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index("ix_escalations_unnotified")
        batch_op.drop_constraint("uq_escalations_human_task_id_level_due_at", type_="unique")
        batch_op.create_unique_constraint("uq_escalations_human_task_id_level", ["human_task_id", "level"])
        batch_op.drop_column("notified_at")

"""human_tasks: a partial index of open steps by deadline replaces (state, due_at)

Without statistics SQLite's planner took ``state = 'open'`` as a selective key and walked every
open step for updates by id and for roll-ups by key task; the partial index has no ``state`` key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OPEN_ONLY = sa.text("state = 'open'")


def upgrade() -> None:
    op.drop_index("ix_human_tasks_state_due", table_name="human_tasks")
    op.create_index(
        "ix_human_tasks_open_due",
        "human_tasks",
        ["due_at", "id", "yellow_at", "state"],
        sqlite_where=OPEN_ONLY,
        postgresql_where=OPEN_ONLY,
    )


def downgrade() -> None:
    op.drop_index("ix_human_tasks_open_due", table_name="human_tasks")
    op.create_index("ix_human_tasks_state_due", "human_tasks", ["state", "due_at"])

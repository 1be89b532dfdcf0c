"""Off the happy path (issue 11): how a step ended that nobody completed (outcome), 催办 by hand
(urge_count, urged_at), cancelled cycles (撤销), expired and withdrawn extension requests, and
退回交办 (declines)

Revision ID: 0010
Revises: 0041
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import db.models.base

revision = "0010"
down_revision = "0041"
branch_labels = None
depends_on = None

CYCLE_OLD = "status IN ('running', 'closed')"
CYCLE_NEW = "status IN ('running', 'closed', 'cancelled')"
EXTENSION_OLD = "status IN ('pending', 'granted', 'refused')"
EXTENSION_NEW = "status IN ('pending', 'granted', 'refused', 'expired', 'withdrawn')"
PENDING = sa.text("status = 'pending'")


def _check(table: str, name: str, condition: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), condition)


def _pending_index(create: bool) -> None:
    # SQLite's table rebuild would not keep the partial unique index: drop it and build it again.
    if create:
        op.create_index(
            "uq_extensions_pending_task",
            "extensions",
            ["human_task_id"],
            unique=True,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )
    else:
        op.drop_index("uq_extensions_pending_task", table_name="extensions")


def upgrade() -> None:
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("urge_count", sa.Integer(), server_default=sa.text("0"), nullable=False))
        batch_op.add_column(sa.Column("urged_at", db.models.base.UTCDateTime(), nullable=True))
    _check("cycles", "cycle_status", CYCLE_NEW)
    _pending_index(False)
    _check("extensions", "extension_status", EXTENSION_NEW)
    _pending_index(True)
    op.create_table(
        "declines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("human_task_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("key_task_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", db.models.base.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "reassigned",
                "insisted",
                "lapsed",
                name="decline_status",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", db.models.base.UTCDateTime(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycles.id"], name=op.f("fk_declines_cycle_id_cycles")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_declines_decided_by_id_users")),
        sa.ForeignKeyConstraint(["human_task_id"], ["human_tasks.id"], name=op.f("fk_declines_human_task_id_human_tasks")),
        sa.ForeignKeyConstraint(["key_task_id"], ["key_tasks.id"], name=op.f("fk_declines_key_task_id_key_tasks")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_declines_requested_by_id_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_declines_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declines")),
    )
    with op.batch_alter_table("declines", schema=None) as batch_op:
        batch_op.create_index("ix_declines_status", ["status", "requested_at"], unique=False)
        batch_op.create_index(
            "uq_declines_pending_task", ["human_task_id"], unique=True, sqlite_where=PENDING, postgresql_where=PENDING
        )


def downgrade() -> None:
    with op.batch_alter_table("declines", schema=None) as batch_op:
        batch_op.drop_index("uq_declines_pending_task", sqlite_where=PENDING, postgresql_where=PENDING)
        batch_op.drop_index("ix_declines_status")
    op.drop_table("declines")
    op.execute("UPDATE extensions SET status = 'refused' WHERE status IN ('expired', 'withdrawn')")
    _pending_index(False)
    _check("extensions", "extension_status", EXTENSION_OLD)
    _pending_index(True)
    op.execute("UPDATE cycles SET status = 'closed' WHERE status = 'cancelled'")
    _check("cycles", "cycle_status", CYCLE_OLD)
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.drop_column("urged_at")
        batch_op.drop_column("urge_count")
        batch_op.drop_column("outcome")

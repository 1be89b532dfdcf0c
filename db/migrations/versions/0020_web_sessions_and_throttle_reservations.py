"""web sessions kept server-side; login throttles reserve attempts before checking them

``web_sessions``: a session cookie now names a row, so logout, disabling an account and
resetting a password end it at once (cookies from before this revision no longer log in).
``login_throttles.pending``: attempts whose password is being checked, so simultaneous wrong
passwords are counted as if they came one after another.

Revision ID: 0020
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import db.models.base

revision = "0020"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", db.models.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", db.models.base.UTCDateTime(), nullable=False),
        sa.Column("ended_at", db.models.base.UTCDateTime(), nullable=True),
        sa.Column("ended_why", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_web_sessions_key_hash")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("pending_since", db.models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.drop_column("pending_since")
        batch_op.drop_column("pending")

    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))

    op.drop_table("web_sessions")

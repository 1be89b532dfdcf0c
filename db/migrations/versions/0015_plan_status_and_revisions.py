"""Plans are drafts until published (status, published_at) and count their revisions; plans already
there were in force, so they become published

Revision ID: 0015
Revises: 0031
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import db.models.base

revision = "0015"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(
            sa.Column(
                "status",
                sa.Enum(
                    "draft",
                    "published",
                    "archived",
                    name="plan_status",
                    native_enum=False,
                    create_constraint=True,
                    length=12,
                ),
                nullable=False,
                server_default="published",
            )
        )
        batch.add_column(sa.Column("published_at", db.models.base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    # Plans imported before drafts existed were already opening rounds: they count as published then.
    op.execute("UPDATE plans SET published_at = imported_at WHERE status = 'published'")


def downgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("revision")
        batch.drop_column("published_at")
        batch.drop_constraint(op.f("ck_plans_plan_status"), type_="check")
        batch.drop_column("status")

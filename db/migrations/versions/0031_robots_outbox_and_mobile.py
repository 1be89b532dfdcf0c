"""Group robots (企业微信, 钉钉) per unit and their outbox; a mobile number for users

Revision ID: 0031
Revises: 0025
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import db.models.base


revision = "0031"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_robots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                name="robot_status",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", db.models.base.UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", db.models.base.UTCDateTime(), nullable=False),
        sa.Column("claim_token", sa.String(length=40), nullable=True),
        sa.Column("claimed_at", db.models.base.UTCDateTime(), nullable=True),
        sa.Column("sent_at", db.models.base.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_outbox_robots_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_robots")),
    )
    with op.batch_alter_table("outbox_robots", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_robots_status_next", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "unit_robots",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("wecom", "dingtalk", name="robot_channel", native_enum=False, create_constraint=True, length=12),
            nullable=False,
        ),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("updated_at", db.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_robots_unit_id_units"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_unit_robots_updated_by_id_users")),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_unit_robots")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mobile", sa.String(length=11), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("mobile")

    op.drop_table("unit_robots")
    with op.batch_alter_table("outbox_robots", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_robots_status_next")

    op.drop_table("outbox_robots")

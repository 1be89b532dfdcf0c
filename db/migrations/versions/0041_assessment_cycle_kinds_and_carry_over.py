"""考评 adjustments and published league tables; cycles of a kind (a round, or a year's 销号);
key tasks carried on the books (挂账) into later years

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import db.models.base

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "league_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round", sa.String(length=20), nullable=False),
        sa.Column("published_at", db.models.base.UTCDateTime(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("tables", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name=op.f("fk_league_publications_published_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_league_publications")),
        sa.UniqueConstraint("round", name=op.f("uq_league_publications_round")),
    )
    op.create_table(
        "score_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round", sa.String(length=20), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Double(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", db.models.base.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_score_adjustments_created_by_id_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_score_adjustments_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_adjustments")),
    )
    with op.batch_alter_table("score_adjustments", schema=None) as batch_op:
        batch_op.create_index("ix_score_adjustments_round_unit", ["round", "unit_id"], unique=False)

    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum("round", "closing", name="cycle_kind", native_enum=False, create_constraint=True, length=12),
                server_default="round",
                nullable=False,
            )
        )

    with op.batch_alter_table("key_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("carried_until", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("key_tasks", schema=None) as batch_op:
        batch_op.drop_column("carried_until")

    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_cycles_cycle_kind"), type_="check")
        batch_op.drop_column("kind")

    with op.batch_alter_table("score_adjustments", schema=None) as batch_op:
        batch_op.drop_index("ix_score_adjustments_round_unit")

    op.drop_table("score_adjustments")
    op.drop_table("league_publications")

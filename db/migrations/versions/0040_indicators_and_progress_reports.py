"""indicators (key tasks' and plans' quantified targets), progress reports and their values

Plans imported before this revision carry their targets only in ``key_tasks.targets``: each becomes
an indicator of its key task, answered for by the key task's primary lead unit, as an import now does.

Revision ID: 0040
Revises: 0020
Create Date: 2026-12-01
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

import db.models.base

COMPARATORS = {"≥", "≤", "=", "≈", ">", "<"}


revision = "0040"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("key_task_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "comparator",
            sa.Enum(
                "≥", "≤", "=", "≈", ">", "<", name="comparator", native_enum=False, create_constraint=True, length=2
            ),
            nullable=False,
        ),
        sa.Column("target", sa.Double(), nullable=False),
        sa.Column("measure", sa.String(length=20), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "imported", "manual", name="indicator_source", native_enum=False, create_constraint=True, length=12
            ),
            nullable=False,
        ),
        sa.Column("responsible_unit_id", sa.Integer(), nullable=True),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", db.models.base.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", db.models.base.UTCDateTime(), nullable=True),
        sa.Column("retired_at", db.models.base.UTCDateTime(), nullable=True),
        sa.Column("retire_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_indicators_created_by_id_users")),
        sa.ForeignKeyConstraint(["key_task_id"], ["key_tasks.id"], name=op.f("fk_indicators_key_task_id_key_tasks")),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_indicators_plan_id_plans")),
        sa.ForeignKeyConstraint(
            ["responsible_unit_id"], ["units.id"], name=op.f("fk_indicators_responsible_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
    )
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.create_index("ix_indicators_key_task", ["key_task_id", "position"], unique=False)
        batch_op.create_index(batch_op.f("ix_indicators_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "progress_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_task_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.String(length=20), nullable=False),
        sa.Column("human_task_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "part",
            sa.Enum("total", "share", name="report_part", native_enum=False, create_constraint=True, length=8),
            nullable=False,
        ),
        sa.Column("percent", sa.Double(), nullable=True),
        sa.Column("problems", sa.Text(), nullable=False),
        sa.Column("next_steps", sa.Text(), nullable=False),
        sa.Column("reported_at", db.models.base.UTCDateTime(), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", db.models.base.UTCDateTime(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycles.id"], name=op.f("fk_progress_reports_cycle_id_cycles")),
        sa.ForeignKeyConstraint(
            ["human_task_id"], ["human_tasks.id"], name=op.f("fk_progress_reports_human_task_id_human_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["key_task_id"], ["key_tasks.id"], name=op.f("fk_progress_reports_key_task_id_key_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"], ["users.id"], name=op.f("fk_progress_reports_reported_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["progress_reports.id"],
            name=op.f("fk_progress_reports_superseded_by_id_progress_reports"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_progress_reports_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_reports")),
    )
    with op.batch_alter_table("progress_reports", schema=None) as batch_op:
        batch_op.create_index("ix_progress_reports_key_task", ["key_task_id", "round"], unique=False)
        batch_op.create_index("ix_progress_reports_round", ["round", "part"], unique=False)
        batch_op.create_index(
            "uq_progress_reports_current",
            ["cycle_id", "unit_id"],
            unique=True,
            sqlite_where=sa.text("superseded_at IS NULL"),
            postgresql_where=sa.text("superseded_at IS NULL"),
        )

    op.create_table(
        "indicator_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicators.id"], name=op.f("fk_indicator_values_indicator_id_indicators")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["progress_reports.id"],
            name=op.f("fk_indicator_values_report_id_progress_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_values")),
        sa.UniqueConstraint("report_id", "indicator_id", name=op.f("uq_indicator_values_report_id_indicator_id")),
    )
    with op.batch_alter_table("indicator_values", schema=None) as batch_op:
        batch_op.create_index("ix_indicator_values_indicator", ["indicator_id", "report_id"], unique=False)

    _indicators_from_imported_targets()


def downgrade() -> None:
    with op.batch_alter_table("indicator_values", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_values_indicator")

    op.drop_table("indicator_values")
    with op.batch_alter_table("progress_reports", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_progress_reports_current",
            sqlite_where=sa.text("superseded_at IS NULL"),
            postgresql_where=sa.text("superseded_at IS NULL"),
        )
        batch_op.drop_index("ix_progress_reports_round")
        batch_op.drop_index("ix_progress_reports_key_task")

    op.drop_table("progress_reports")
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicators_plan_id"))
        batch_op.drop_index("ix_indicators_key_task")

    op.drop_table("indicators")


def _indicators_from_imported_targets() -> None:
    conn = op.get_bind()
    tasks = conn.execute(sa.text("SELECT id, plan_id, targets FROM key_tasks ORDER BY id")).all()
    leads: dict[int, int] = dict(
        conn.execute(
            sa.text("SELECT key_task_id, unit_id FROM key_task_units WHERE part = 'lead' ORDER BY position DESC")
        ).all()
    )
    plans: dict[int, Any] = dict(conn.execute(sa.text("SELECT id, imported_at FROM plans")).all())
    indicators = sa.table(
        "indicators",
        *(sa.column(name) for name in ("plan_id", "key_task_id", "position", "name", "comparator", "target")),
        *(sa.column(name) for name in ("measure", "source_text", "source", "responsible_unit_id", "active")),
        sa.column("schedule", sa.JSON()),
        sa.column("created_at"),  # copied as stored (UTC, naive), as imported_at is
    )
    rows = []
    for key_task_id, plan_id, targets in tasks:
        if isinstance(targets, str):
            targets = json.loads(targets or "[]")
        for position, target in enumerate(targets or []):
            if target.get("comparator") not in COMPARATORS or not isinstance(target.get("value"), (int, float)):
                continue
            rows.append(
                {
                    "plan_id": plan_id,
                    "key_task_id": key_task_id,
                    "position": position,
                    "name": str(target.get("indicator") or "")[:100],
                    "comparator": target["comparator"],
                    "target": float(target["value"]),
                    "measure": str(target.get("unit") or "")[:20],
                    "source_text": str(target.get("text") or ""),
                    "source": "imported",
                    "responsible_unit_id": leads.get(key_task_id),
                    "active": True,
                    "schedule": [],
                    "created_at": plans[plan_id],
                }
            )
    if rows:
        op.bulk_insert(indicators, rows)

"""Deployed diagrams, cycles (one process per key task per round) and their human tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from service.vocabulary import CycleKind, CycleStatus, HumanTaskState

from .base import Base, str_enum
from .plans import KeyTask
from .units import Unit


class DiagramVersion(Base):
    """A diagram as deployed: stored once, referred to by every cycle that runs it."""

    __tablename__ = "diagram_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    process_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    xml: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    deployed_at: Mapped[datetime]


class Cycle(Base):
    __tablename__ = "cycles"
    __table_args__ = (
        UniqueConstraint("key_task_id", "round"),
        Index("ix_cycles_timer_due_at", "timer_due_at"),
        Index("ix_cycles_round_status", "round", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key_task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id"))
    round: Mapped[str] = mapped_column(String(20))
    diagram_version_id: Mapped[int] = mapped_column(ForeignKey("diagram_versions.id"))
    status: Mapped[CycleStatus] = mapped_column(str_enum(CycleStatus, "cycle_status", 12))
    # A reporting round's cycle, or the key task's 办结销号 for its year (its own diagram).
    kind: Mapped[CycleKind] = mapped_column(
        str_enum(CycleKind, "cycle_kind", 12), default=CycleKind.ROUND, server_default=CycleKind.ROUND.value
    )
    state: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    state_format: Mapped[str] = mapped_column(String(40))
    # Optimistic concurrency: every write checks and bumps it (SQLAlchemy's version counter).
    version: Mapped[int] = mapped_column(default=1)
    # The earliest waiting diagram timer; the scheduler polls this indexed column, never the state.
    timer_due_at: Mapped[datetime | None]
    report_due_at: Mapped[datetime | None]
    # The primary lead unit (the first listed): it signs for, consolidates and submits.
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    started_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    key_task: Mapped[KeyTask] = relationship()
    lead_unit: Mapped[Unit] = relationship()
    diagram_version: Mapped[DiagramVersion] = relationship()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it once


OPEN_ONLY = text("state = 'open'")


class HumanTask(Base):
    """A ready step projected into an indexed row: what inboxes, ledgers and the scheduler read."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        UniqueConstraint("cycle_id", "instance_id"),
        Index("ix_human_tasks_unit_state_due", "unit_id", "state", "due_at"),
        Index("ix_human_tasks_role_state_due", "role", "state", "due_at"),
        # Open steps only, by deadline, with no index led by ``state``: a planner without
        # statistics (SQLite's, until ANALYZE) took ``state = 'open'`` for a selective key and
        # walked every open step for queries that name ids, key tasks or cycles. Done steps pile
        # up over the years; the scheduler and the inboxes only look at open ones by deadline.
        # yellow_at and state (trailing) let the light counts read the index alone. Queries bind
        # 'open' as a parameter: PostgreSQL's plan cache keeps custom plans for them, as a generic
        # plan could not use this index and is costed far higher.
        Index(
            "ix_human_tasks_open_due",
            *("due_at", "id", "yellow_at", "state"),
            sqlite_where=OPEN_ONLY,
            postgresql_where=OPEN_ONLY,
        ),
        Index("ix_human_tasks_cycle_state", "cycle_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    # Denormalised from the cycle so inbox filters need no join.
    key_task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id"), index=True)
    instance_id: Mapped[str] = mapped_column(String(36))
    step_id: Mapped[str] = mapped_column(String(64))
    step_name: Mapped[str] = mapped_column(String(100))
    party: Mapped[str] = mapped_column(String(20))
    # Who acts: a unit (lead or co-unit steps) or, for supervisor and leader steps, a role.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(20))
    state: Mapped[HumanTaskState] = mapped_column(str_enum(HumanTaskState, "human_task_state", 12))
    ready_at: Mapped[datetime]
    due_at: Mapped[datetime]
    # The light turns yellow at this instant (working days before due_at), red at due_at.
    yellow_at: Mapped[datetime]
    # How due_at was counted: "official" calendar, an admin-"loaded" year, or "fallback" weekends only.
    due_basis: Mapped[str] = mapped_column(String(12), default="official")
    escalation_level: Mapped[int] = mapped_column(default=0)
    # How a step ended that nobody completed (a HumanTaskOutcome value: waived, missed, reassigned,
    # cancelled, withdrawn); None for a step completed or still open.
    outcome: Mapped[str | None] = mapped_column(String(12))
    # 催办 by hand: how many times, and the last time (at most once per working day).
    urge_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    urged_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    cycle: Mapped[Cycle] = relationship()
    unit: Mapped[Unit | None] = relationship()

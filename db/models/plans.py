"""Plans (行动方案) and their key tasks (重点任务) with lead and co-units."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.vocabulary import PlanStatus, UnitPart

from .base import Base, str_enum
from .units import Unit


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    year: Mapped[int | None]
    source_name: Mapped[str] = mapped_column(String(300))
    # The same file imported twice is the same plan.
    source_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    imported_at: Mapped[datetime]
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Imported as a draft; the rounds open only for published plans (operations/directory/plan_status.py).
    status: Mapped[PlanStatus] = mapped_column(
        str_enum(PlanStatus, "plan_status", 12), default=PlanStatus.DRAFT, server_default=PlanStatus.PUBLISHED.value
    )
    published_at: Mapped[datetime | None]
    # 1 for the first import; each confirmed revision (a changed version of the file) adds one.
    revision: Mapped[int] = mapped_column(default=1, server_default="1")

    key_tasks: Mapped[list[KeyTask]] = relationship(back_populates="plan", order_by="KeyTask.number")


class PlanRevision(Base):
    """One confirmed revision of a plan (a changed version of its file): what it changed, kept for
    good (``changes``: the revision preview's per-key-task list, as JSON)."""

    __tablename__ = "plan_revisions"
    __table_args__ = (UniqueConstraint("plan_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    revision: Mapped[int]
    source_name: Mapped[str] = mapped_column(String(300))
    source_sha256: Mapped[str] = mapped_column(String(64))
    revised_at: Mapped[datetime]
    revised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    applied_to_running: Mapped[bool] = mapped_column(default=False)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class KeyTask(Base):
    __tablename__ = "key_tasks"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    number: Mapped[int]
    section: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # The unit lists as the plan writes them (group words kept), for the ledger.
    lead_units_text: Mapped[str] = mapped_column(Text)
    co_units_text: Mapped[str] = mapped_column(Text)
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    deadline_text: Mapped[str | None] = mapped_column(String(100))
    deadline_date: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    # 挂账: not closed (销号) by its year's end, carried on the books up to this year.
    carried_until: Mapped[int | None]

    plan: Mapped[Plan] = relationship(back_populates="key_tasks")
    units: Mapped[list[KeyTaskUnit]] = relationship(
        cascade="all, delete-orphan", order_by="(KeyTaskUnit.part, KeyTaskUnit.position)"
    )

    @property
    def lead_units(self) -> list[Unit]:
        return [u.unit for u in self.units if u.part == UnitPart.LEAD]

    @property
    def co_units(self) -> list[Unit]:
        return [u.unit for u in self.units if u.part == UnitPart.CO]


class KeyTaskUnit(Base):
    """A unit's part in a key task: lead (the first listed is the primary lead) or co-unit."""

    __tablename__ = "key_task_units"
    __table_args__ = (Index("ix_key_task_units_unit", "unit_id", "key_task_id"),)

    key_task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    part: Mapped[UnitPart] = mapped_column(str_enum(UnitPart, "unit_part", 8))
    position: Mapped[int] = mapped_column(default=0)

    unit: Mapped[Unit] = relationship(lazy="joined")

"""Indicators (量化指标) of key tasks and plans, and the progress reports (进展报送) that give their values.

An indicator is a quantified target: one found in a key task's text at import (技改项目 ≥ 20 个), one of
the plan's own 主要目标 (``key_task_id`` empty), or one the office added. A progress report is what a
unit reported on a step of a cycle: the lead unit's consolidated report (completion %, 存在问题,
下步打算 and every indicator's cumulative value) or a co-unit's share. Reports are versions: a report
given again after a 退回 supersedes the earlier one, which stays as history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from service.vocabulary import Comparator, IndicatorSource, ReportPart

from .base import Base, str_enum

CURRENT_ONLY = text("superseded_at IS NULL")


class Indicator(Base):
    __tablename__ = "indicators"
    __table_args__ = (Index("ix_indicators_key_task", "key_task_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    # None for the plan's own 主要目标 figures.
    key_task_id: Mapped[int | None] = mapped_column(ForeignKey("key_tasks.id"))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(100))
    comparator: Mapped[Comparator] = mapped_column(str_enum(Comparator, "comparator", 2))
    target: Mapped[float]
    # The unit of measure as the plan writes it: 个, 亿元, %, 万户 is kept as 户 with the value in units.
    measure: Mapped[str] = mapped_column(String(20))
    # The words of the plan it was read from (empty for one the office added).
    source_text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[IndicatorSource] = mapped_column(str_enum(IndicatorSource, "indicator_source", 12))
    # Who answers for it: the key task's primary lead unit unless the office says otherwise.
    responsible_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # Staged milestones overriding the 序时 line: [{"by": "2024-06-30", "share": 50}, …] (share in %).
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
    retire_reason: Mapped[str | None] = mapped_column(Text)


class ProgressReport(Base):
    """One unit's progress report on one step of a cycle (one version of it)."""

    __tablename__ = "progress_reports"
    __table_args__ = (
        # One current report per cycle and unit; earlier versions keep their rows.
        Index(
            "uq_progress_reports_current",
            "cycle_id",
            "unit_id",
            unique=True,
            sqlite_where=CURRENT_ONLY,
            postgresql_where=CURRENT_ONLY,
        ),
        Index("ix_progress_reports_round", "round", "part"),
        Index("ix_progress_reports_key_task", "key_task_id", "round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key_task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    round: Mapped[str] = mapped_column(String(20))
    human_task_id: Mapped[int] = mapped_column(ForeignKey("human_tasks.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    part: Mapped[ReportPart] = mapped_column(str_enum(ReportPart, "report_part", 8))
    # Overall completion (0–100) and the two texts of a Chinese progress report; a share has none.
    percent: Mapped[float | None]
    problems: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[datetime]
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_at: Mapped[datetime | None]
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("progress_reports.id"))


class IndicatorValue(Base):
    """An indicator's cumulative value to date, as one report gives it (in the indicator's measure)."""

    __tablename__ = "indicator_values"
    __table_args__ = (
        UniqueConstraint("report_id", "indicator_id"),
        Index("ix_indicator_values_indicator", "indicator_id", "report_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id", ondelete="CASCADE"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    value: Mapped[float]

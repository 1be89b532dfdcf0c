"""The health report: is the database reachable and migrated, is the calendar known ahead."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text

from db.models import Cycle, CycleStatus, HumanTask, HumanTaskState

from .runtime import Work


def health_report(work: Work) -> dict[str, Any]:
    session = work.session
    report: dict[str, Any] = {"status": "ok", "time": work.now.isoformat(), "warnings": []}
    try:
        session.execute(text("SELECT 1"))
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except Exception as exc:  # the health page must answer even when the database does not
        report["status"] = "error"
        report["database"] = f"unreachable or not migrated: {exc.__class__.__name__}"
        return report
    report["database"] = {"dialect": session.get_bind().dialect.name, "revision": sorted(revision)}
    report["cycles_running"] = session.scalar(
        select(func.count()).select_from(Cycle).where(Cycle.status == CycleStatus.RUNNING)
    )
    report["steps_open"] = session.scalar(
        select(func.count()).select_from(HumanTask).where(HumanTask.state == HumanTaskState.OPEN)
    )
    calendar = work.runtime.calendar
    today = work.now.astimezone(work.runtime.config.tz).date()
    for year in sorted({today.year, (today + timedelta(days=60)).year}):
        if not calendar.covers(year):
            report["warnings"].append(
                f"{year} 年的法定节假日安排尚未导入,该年的期限只按周末计算(请管理员导入当年的放假安排)"
            )
    fallback = session.scalar(
        select(func.count())
        .select_from(HumanTask)
        .where(HumanTask.state == HumanTaskState.OPEN, HumanTask.due_basis == "fallback")
    )
    if fallback:
        report["warnings"].append(f"{fallback} 个未办结待办的期限按周末推算(其年份的放假安排尚未导入)")
    return report

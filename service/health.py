"""The health report: is the database reachable and migrated, is the calendar known ahead."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text

from db.models import Cycle, CycleStatus, HumanTask, HumanTaskState

from .runtime import Runtime, Work


def health_report(work: Work) -> dict[str, Any]:
    """``status`` ok or error, ``database`` (dialect and migration revision), open work, warnings."""
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


def unreachable_report(runtime: Runtime, error: BaseException) -> dict[str, Any]:
    """The report when no transaction could even begin (the server is down, the file is gone).

    Names the kind of failure, never its message: that may carry the connection's address."""
    cause = error.__cause__ or error
    return {
        "status": "error",
        "time": runtime.clock.now().isoformat(),
        "database": f"unreachable: {cause.__class__.__name__}",
        "warnings": ["数据库暂时不可用(连接中断或繁忙)"],
    }

"""The escalation pass: its cost must follow what is due, not what is open.

One pass of the ladder (``run_escalations``) is timed with 10,000 and then with 100,000 open steps,
the same 1,000 of them overdue (催办 due) and the rest due weeks ahead. The pass escalates those
1,000 (row, audit event, notices) and must not walk the others: the ratio of the two times should
stay near 1 (target ≤ 1.5). Between repetitions the escalations, notices and audit events are
removed and the steps' levels reset, so every repetition does the same work; medians are quoted.

The steps are inserted directly (not run through cycles): what the pass reads is the human-task
projection, and 100,000 cycles would take longer to make than to measure.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

SIZES = (10_000, 100_000)
OVERDUE = 1_000
STEPS_PER_CYCLE = 100
NOW = datetime(2024, 4, 10, 9, 30, tzinfo=timezone(timedelta(hours=8)))  # a Wednesday after Qingming


def _rig(url: str) -> Any:

    from db.maintenance import empty_all_tables
    from db.migrate import upgrade
    from service.clock import FixedClock
    from service.config import load_config
    from service.runtime import build_runtime

    upgrade(url)
    runtime = build_runtime(load_config(overrides={"database.url": url}), FixedClock(NOW))
    empty_all_tables(runtime.db)
    return runtime


class Steps:
    """Open steps added in bulk: cycles of 100 steps, one key task per cycle."""

    def __init__(self, runtime: Any) -> None:
        from db.models import Plan, Role, Unit, UnitKind, User
        from service.operations.cycles.diagrams import current_diagram

        self.runtime = runtime
        self.cycles = 0
        self.steps = 0
        with runtime.work() as work:
            unit = Unit(name="区测试局", kind=UnitKind.DEPARTMENT, created_at=NOW)
            office = Unit(name="区政府督查室", kind=UnitKind.OFFICE, created_at=NOW)
            work.session.add_all([unit, office])
            work.session.flush()
            for username, role, at in (("head", Role.UNIT_HEAD, unit), ("duchashi", Role.SUPERVISOR, office)):
                work.session.add(
                    User(
                        username=username,
                        display_name=username,
                        password_hash="x",
                        role=role,
                        unit_id=at.id,
                        created_at=NOW,
                        email=None,
                    )
                )
            from service.vocabulary import PlanStatus

            plan = Plan(
                status=PlanStatus.PUBLISHED,
                title="基准",
                year=2024,
                source_name="bench",
                source_sha256="0" * 64,
                sections=[],
                imported_at=NOW,
            )
            work.session.add(plan)
            work.session.flush()
            self.unit_id, self.plan_id = unit.id, plan.id
            self.diagram_version_id, _digest = current_diagram(work)

    def add(self, count: int, due_at: datetime) -> None:
        from sqlalchemy import insert

        from db.models import Cycle, CycleStatus, HumanTask, HumanTaskState, KeyTask

        with self.runtime.work() as work:
            conn = work.session.connection()
            while count > 0:
                batch = min(count, STEPS_PER_CYCLE)
                self.cycles += 1
                key_task_id = conn.execute(
                    insert(KeyTask).returning(KeyTask.id),
                    {
                        "plan_id": self.plan_id,
                        "number": self.cycles,
                        "title": "任务",
                        "body": "",
                        "lead_units_text": "",
                        "co_units_text": "",
                        "targets": [],
                        "active": False,
                    },
                ).scalar_one()
                cycle_id = conn.execute(
                    insert(Cycle).returning(Cycle.id),
                    {
                        "key_task_id": key_task_id,
                        "round": "2024-Q2",
                        "diagram_version_id": self.diagram_version_id,
                        "status": CycleStatus.RUNNING,
                        "state": b"",
                        "state_format": "bench",
                        "version": 1,
                        "started_at": NOW,
                        "lead_unit_id": self.unit_id,
                    },
                ).scalar_one()
                conn.execute(
                    insert(HumanTask),
                    [
                        {
                            "cycle_id": cycle_id,
                            "key_task_id": key_task_id,
                            "instance_id": str(uuid.uuid4()),
                            "step_id": "consolidate",
                            "step_name": "汇总报送",
                            "party": "lead_unit",
                            "unit_id": self.unit_id,
                            "role": "unit",
                            "state": HumanTaskState.OPEN,
                            "ready_at": due_at - timedelta(days=7),
                            "due_at": due_at,
                            "yellow_at": due_at - timedelta(days=3),
                            "due_basis": "official",
                            "escalation_level": 0,
                            "data": {},
                        }
                        for _ in range(batch)
                    ],
                )
                count -= batch
                self.steps += batch
        if self.runtime.db.dialect.name == "postgresql":
            with self.runtime.db.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()


def _reset(runtime: Any) -> None:
    from sqlalchemy import delete, update

    from db.models import AuditEvent, Escalation, HumanTask, Notification

    with runtime.work() as work:
        work.session.execute(delete(Notification))
        work.session.execute(delete(Escalation))
        work.session.execute(delete(AuditEvent))
        work.session.execute(update(HumanTask).where(HumanTask.escalation_level > 0).values(escalation_level=0))
    _settle(runtime)


def _settle(runtime: Any) -> None:
    """Starts every measurement alike: SQLite's write-ahead log folded back into the database (a
    checkpoint falling inside one pass and not another would be measured as the pass)."""
    if runtime.db.dialect.name == "sqlite":
        raw = runtime.db.raw_connection()  # outside a transaction: a checkpoint cannot run inside one
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


def _pass_seconds(runtime: Any, reps: int) -> list[float]:
    from service.scheduling.loops import run_escalations

    times: list[float] = []
    for _ in range(reps):
        _reset(runtime)
        started = time.perf_counter()
        fired = run_escalations(runtime, NOW)
        times.append(time.perf_counter() - started)
        assert len(fired) == OVERDUE, len(fired)
    return times


def _idle_seconds(runtime: Any, reps: int) -> list[float]:
    """A pass when everything due was escalated already: only the scans, finding nothing."""
    from service.scheduling.loops import run_escalations

    times: list[float] = []
    for _ in range(reps * 4):
        started = time.perf_counter()
        fired = run_escalations(runtime, NOW)
        times.append(time.perf_counter() - started)
        assert fired == []
    return times


def run_escalation_bench(*, quick: bool = False) -> dict[str, Any]:
    reps = 3 if quick else 5
    targets: list[tuple[str, str | None]] = [("sqlite", None)]
    if os.environ.get("DUBAN_BENCH_DATABASE_URL"):
        targets.append(("postgresql", os.environ["DUBAN_BENCH_DATABASE_URL"]))
    summary: dict[str, Any] = {}
    print(f"== escalation pass: {OVERDUE} overdue among N open steps (median of {reps}) ==")
    with tempfile.TemporaryDirectory(prefix="duban-bench-esc-") as scratch:
        for name, url in targets:
            runtime = _rig(url or f"sqlite:///{Path(scratch) / 'escalations.sqlite3'}")
            try:
                steps = Steps(runtime)
                # Overdue: due 8 April, so 催办 (9 April, 09:00) has come at NOW; the rest due in June.
                steps.add(OVERDUE, datetime(2024, 4, 8, 23, 59, 59, tzinfo=NOW.tzinfo))
                medians: dict[int, float] = {}
                idle: dict[int, float] = {}
                for size in SIZES:
                    steps.add(size - steps.steps, datetime(2024, 6, 28, 23, 59, 59, tzinfo=NOW.tzinfo))
                    times = _pass_seconds(runtime, reps)
                    medians[size] = statistics.median(times)
                    idle[size] = statistics.median(_idle_seconds(runtime, reps))
                    print(
                        f"{name:<10} open {size:>7,}  pass {medians[size] * 1000:8.1f} ms  "
                        f"({OVERDUE / medians[size]:,.0f} escalations/s; min {min(times) * 1000:.1f}, "
                        f"max {max(times) * 1000:.1f})   idle pass {idle[size] * 1000:.2f} ms"
                    )
                ratio = medians[SIZES[1]] / medians[SIZES[0]]
                idle_ratio = idle[SIZES[1]] / idle[SIZES[0]]
                print(f"{name:<10} ratio 100k/10k = {ratio:.2f}  (target ≤ 1.5); idle pass ratio {idle_ratio:.2f}")
                prefix = "escalation" if name == "sqlite" else "escalation_pg"
                summary.update(
                    {
                        f"{prefix}_pass_ms_10k": round(medians[SIZES[0]] * 1000, 1),
                        f"{prefix}_pass_ms_100k": round(medians[SIZES[1]] * 1000, 1),
                        f"{prefix}_ratio_100k_10k": round(ratio, 3),
                        f"{prefix}_idle_pass_ms_10k": round(idle[SIZES[0]] * 1000, 2),
                        f"{prefix}_idle_pass_ms_100k": round(idle[SIZES[1]] * 1000, 2),
                    }
                )
            finally:
                runtime.dispose()
    return summary


if __name__ == "__main__":
    print(run_escalation_bench(quick=True))

"""A round's 考评 scores and its 督查通报 for 100 key tasks × 60 units (target: under 1 s each on SQLite).

The data: 60 scored units (30 towns and streets, 30 departments), 100 key tasks each led by one unit
with 20 co-units, two rounds (2024-Q2, 2024-Q3) with a cycle per key task: every unit step of a round
(签收, 20 inputs, 汇总报送; some late, some still open past due), 审核 and 审批 (a return now and then),
催办 and 督办 on the late ones, two indicators per key task with the lead unit's values in each round
and co-units' shares, and a few 加减分. Rows are inserted directly: scores and the bulletin read rows.

Timed, as the office asks for them: ``compute`` (every unit's score with its breakdown, and the
previous round's for the change) and the bulletin (its read model and the .docx), medians of the
repetitions. SQLite always; PostgreSQL too with DUBAN_BENCH_DATABASE_URL.
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

KEY_TASKS = 100
TOWNS = DEPARTMENTS = 30
CO_UNITS = 20
ROUNDS = (
    ("2024-Q2", datetime(2024, 4, 8, 9, 0, tzinfo=timezone.utc)),
    ("2024-Q3", datetime(2024, 7, 8, 9, 0, tzinfo=timezone.utc)),
)
NOW = datetime(2024, 10, 15, 2, 0, tzinfo=timezone.utc)
TARGET_MS = 1000.0


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


def _fill(runtime: Any) -> None:
    from sqlalchemy import insert

    from db.models import (
        Indicator,
        KeyTask,
        KeyTaskUnit,
        Plan,
        ScoreAdjustment,
        Unit,
        UnitKind,
        UnitPart,
    )
    from service.operations.cycles.diagrams import current_diagram

    with runtime.work() as work:
        session = work.session
        units = [Unit(name=f"基准镇{n:02d}", kind=UnitKind.TOWN, created_at=NOW) for n in range(TOWNS)]
        units += [Unit(name=f"区基准局{n:02d}", kind=UnitKind.DEPARTMENT, created_at=NOW) for n in range(DEPARTMENTS)]
        session.add_all(units)
        from service.vocabulary import PlanStatus

        plan = Plan(
            status=PlanStatus.PUBLISHED,
            title="“基准”行动方案",
            year=2024,
            source_name="bench",
            source_sha256="2" * 64,
            sections=[],
            imported_at=NOW,
        )
        session.add(plan)
        session.flush()
        version_id, _digest = current_diagram(work)
        conn = session.connection()
        for number in range(1, KEY_TASKS + 1):
            lead = units[number % len(units)]
            co = [
                units[(number * 7 + k) % len(units)]
                for k in range(1, CO_UNITS + 1)
                if units[(number * 7 + k) % len(units)] is not lead
            ]
            key_task_id = conn.execute(
                insert(KeyTask).returning(KeyTask.id),
                {
                    "plan_id": plan.id,
                    "number": number,
                    "section": f"第{number % 4 + 1}板块",
                    "title": f"基准重点任务{number}",
                    "body": "任务正文",
                    "lead_units_text": lead.name,
                    "co_units_text": "、".join(u.name for u in co),
                    "targets": [],
                    "active": True,
                },
            ).scalar_one()
            conn.execute(
                insert(KeyTaskUnit),
                [{"key_task_id": key_task_id, "unit_id": lead.id, "part": UnitPart.LEAD, "position": 0}]
                + [
                    {"key_task_id": key_task_id, "unit_id": u.id, "part": UnitPart.CO, "position": i}
                    for i, u in enumerate(co)
                ],
            )
            indicators = [
                conn.execute(
                    insert(Indicator).returning(Indicator.id),
                    {
                        "plan_id": plan.id,
                        "key_task_id": key_task_id,
                        "position": k,
                        "name": f"指标{k}",
                        "comparator": "≥",
                        "target": 100.0,
                        "measure": "个",
                        "source_text": "",
                        "source": "imported",
                        "responsible_unit_id": lead.id,
                        "schedule": [],
                        "active": True,
                        "created_at": NOW,
                    },
                ).scalar_one()
                for k in range(2)
            ]
            for r, (round_name, started) in enumerate(ROUNDS):
                _round(conn, version_id, key_task_id, lead, co, indicators, round_name, started, number, r)
        conn.execute(
            insert(ScoreAdjustment),
            [
                {"round": "2024-Q3", "unit_id": units[k].id, "points": 2.0, "reason": "基准加分", "created_at": NOW}
                for k in range(0, 60, 7)
            ],
        )
    if runtime.db.dialect.name == "postgresql":
        with runtime.db.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()


def _round(
    conn: Any,
    version_id: int,
    key_task_id: int,
    lead: Any,
    co: list[Any],
    indicators: list[int],
    round_name: str,
    started: datetime,
    number: int,
    r: int,
) -> None:
    from sqlalchemy import insert

    from db.models import Cycle, CycleStatus, Escalation, HumanTask, IndicatorValue, ProgressReport

    closed = r == 0 or number % 3 == 0
    cycle_id = conn.execute(
        insert(Cycle).returning(Cycle.id),
        {
            "key_task_id": key_task_id,
            "round": round_name,
            "diagram_version_id": version_id,
            "status": CycleStatus.CLOSED if closed else CycleStatus.RUNNING,
            "kind": "round",
            "state": b"",
            "state_format": "bench",
            "version": 1,
            "started_at": started,
            "lead_unit_id": lead.id,
            "closed_at": started + timedelta(days=30) if closed else None,
        },
    ).scalar_one()
    rows = [_step(cycle_id, key_task_id, lead.id, "sign_for", "lead_unit", started, 1, True)]
    for k, unit in enumerate(co):
        late = (number + k) % 9 == 0
        still_open = not closed and (number + k) % 11 == 0
        rows.append(
            _step(cycle_id, key_task_id, unit.id, "co_input", "co_unit", started, 8 if late else 3, not still_open)
        )
    rows.append(_step(cycle_id, key_task_id, lead.id, "consolidate", "lead_unit", started, 12, True))
    if number % 5 == 0:
        rows.append(_step(cycle_id, key_task_id, None, "review", "supervisor", started, 13, True, decision="return"))
        rows.append(_step(cycle_id, key_task_id, lead.id, "consolidate", "lead_unit", started, 15, True))
    rows.append(_step(cycle_id, key_task_id, None, "review", "supervisor", started, 16, True, decision="pass"))
    inserted = conn.execute(
        insert(HumanTask).returning(HumanTask.id, HumanTask.unit_id, HumanTask.completed_at, HumanTask.due_at), rows
    ).all()
    late = [t for t in inserted if t.unit_id is not None and t.completed_at is not None and t.completed_at > t.due_at]
    if late:  # 催办 and 督办 reached on each step done late
        conn.execute(
            insert(Escalation),
            [
                {
                    "human_task_id": t.id,
                    "level": level,
                    "cycle_id": cycle_id,
                    "key_task_id": key_task_id,
                    "unit_id": t.unit_id,
                    "role": "unit",
                    "step_id": "co_input",
                    "due_at": t.due_at,
                    "fired_at": t.due_at + timedelta(days=level),
                }
                for t in late
                for level in (2, 3)
            ],
        )
    report = conn.execute(
        insert(ProgressReport).returning(ProgressReport.id),
        {
            "key_task_id": key_task_id,
            "cycle_id": cycle_id,
            "round": round_name,
            "human_task_id": inserted[-2].id,
            "unit_id": lead.id,
            "part": "total",
            "percent": float((number * 13 + r * 20) % 100),
            "problems": "要素保障不足",
            "next_steps": "加快推进",
            "reported_at": started + timedelta(days=12),
        },
    ).scalar_one()
    conn.execute(
        insert(IndicatorValue),
        [
            {"report_id": report, "indicator_id": i, "value": float((number * 17 + r * 25 + k * 11) % 100)}
            for k, i in enumerate(indicators)
        ],
    )


def _step(
    cycle_id: int,
    key_task_id: int,
    unit_id: int | None,
    step: str,
    party: str,
    started: datetime,
    day: int,
    done: bool,
    decision: str | None = None,
) -> dict[str, Any]:
    due = started + timedelta(days=5 if step == "co_input" else 10 if step == "consolidate" else 14)
    return {
        "cycle_id": cycle_id,
        "key_task_id": key_task_id,
        "instance_id": str(uuid.uuid4()),
        "step_id": step,
        "step_name": step,
        "party": party,
        "unit_id": unit_id,
        "role": "unit" if unit_id else party,
        "state": "done" if done else "open",
        "ready_at": started,
        "due_at": due,
        "yellow_at": due - timedelta(days=2),
        "due_basis": "official",
        "escalation_level": 0,
        "completed_at": started + timedelta(days=day) if done else None,
        "decision": decision,
        "data": {},
    }


def _median_ms(run: Any, reps: int) -> float:
    run()  # warm: compiled statements and the calendar are per process
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run_year_bench(*, quick: bool = False) -> dict[str, Any]:
    from service.exports.bulletin_docx import bulletin_docx
    from service.operations.common.actor import SYSTEM
    from service.operations.queries.bulletin import bulletin
    from service.operations.queries.scores import compute

    reps = 3 if quick else 9
    targets: list[tuple[str, str | None]] = [("sqlite", None)]
    if os.environ.get("DUBAN_BENCH_DATABASE_URL"):
        targets.append(("postgresql", os.environ["DUBAN_BENCH_DATABASE_URL"]))
    units = TOWNS + DEPARTMENTS
    print(f"== 考评 and 督查通报: {KEY_TASKS} key tasks × {units} units, two rounds (median of {reps}) ==")
    summary: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="duban-bench-year-") as scratch:
        for name, url in targets:
            runtime = _rig(url or f"sqlite:///{Path(scratch) / 'year.sqlite3'}")
            try:
                _fill(runtime)

                def scores(runtime: Any = runtime) -> None:
                    with runtime.work(write=False) as work:
                        result = compute(work, "2024-Q3")
                        assert sum(len(t.units) for t in result.tables) == units

                def document(runtime: Any = runtime) -> None:
                    with runtime.work(write=False) as work:
                        made = bulletin(work, SYSTEM, "2024-Q3")
                    assert len(bulletin_docx(made, runtime.config.tz)) > 10_000

                prefix = "year" if name == "sqlite" else "year_pg"
                for key, label, run in (
                    ("scores", "一轮考评得分(含上一轮对比)", scores),
                    ("bulletin", "督查通报(读取 + .docx)", document),
                ):
                    median = _median_ms(run, reps)
                    verdict = "ok" if median < TARGET_MS else "SLOW"
                    print(f"{name:<10} {label:<24} median {median:7.1f} ms   {verdict}")
                    summary[f"{prefix}_{key}_ms_p50"] = round(median, 1)
            finally:
                runtime.dispose()
    return summary


if __name__ == "__main__":
    print(run_year_bench(quick=True))

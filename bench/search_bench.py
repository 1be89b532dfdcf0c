"""Search (`GET /api/v1/search?q=`) with 10,000 cycles (target p99 < 100 ms).

The data: 2,500 key tasks of one plan, each with a cycle in four rounds (10,000 cycles), each cycle
with four human tasks (40,000: the office's 交办 with a comment, the lead unit's 汇总报送 with its
report, two co-units' inputs) and a progress report (10,000), over 40 units; the words are drawn from
a list of supervision phrases, so a common word matches thousands of rows and a rare one a few.
Rows are inserted directly (the index follows through the triggers of migration 0025 on SQLite,
through PostgreSQL's own GIN indexes there).

Queries, through Flask's test client by a logged-in person (session cookie, the whole request): words
of one to six characters, common and rare, a unit's name, two words, as the office (sees everything)
and as a unit head (sees its own). SQLite always; PostgreSQL too with DUBAN_BENCH_DATABASE_URL.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .web_bench import PASSWORD, _client, _rig

KEY_TASKS = 2_500
ROUNDS = ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4")
UNITS = 40
NOW = datetime(2024, 12, 16, 10, 0, tzinfo=timezone(timedelta(hours=8)))
TARGET_MS = 100.0
PHRASES = (
    "产业链",
    "招商引资",
    "营商环境",
    "乡村振兴",
    "项目建设",
    "安全生产",
    "生态环境",
    "民生实事",
    "数字政府",
    "城市更新",
    "文明创建",
    "基层治理",
    "防汛抗旱",
    "就业创业",
    "教育医疗",
    "养老服务",
    "科技创新",
    "园区建设",
    "资金拨付",
    "进度滞后",
    "协调推进",
    "要素保障",
    "督促整改",
    "按时完成",
    "已完成年度目标",
    "土地征收",
)
RARE = "磷化工循环利用示范"  # in a handful of reports only


def _text(rng: random.Random, words: int) -> str:
    return ",".join(rng.choice(PHRASES) for _ in range(words)) + "。"


def _fill(runtime: Any) -> None:
    from sqlalchemy import insert

    from db.models import (
        Cycle,
        CycleStatus,
        HumanTask,
        KeyTask,
        KeyTaskUnit,
        Plan,
        ProgressReport,
        Role,
        Unit,
        UnitKind,
        UnitPart,
        User,
    )
    from service.operations.cycles.diagrams import current_diagram
    from service.passwords import hash_password
    from service.vocabulary import ReportPart

    rng = random.Random(14)
    digest = hash_password(PASSWORD)
    with runtime.work() as work:
        session = work.session
        office = Unit(name="区政府督查室", kind=UnitKind.OFFICE, created_at=NOW)
        units = [Unit(name=f"区检索局{n:02d}", kind=UnitKind.DEPARTMENT, created_at=NOW) for n in range(UNITS)]
        session.add_all([office, *units])
        session.flush()
        people = [("duchashi", Role.SUPERVISOR, office.id), ("head00", Role.UNIT_HEAD, units[0].id)]
        for username, role, unit_id in people:
            session.add(
                User(
                    username=username,
                    display_name=username,
                    password_hash=digest,
                    role=role,
                    unit_id=unit_id,
                    created_at=NOW,
                )
            )
        plan = Plan(
            title="检索计划", year=2024, source_name="bench", source_sha256="2" * 64, sections=[], imported_at=NOW
        )
        session.add(plan)
        session.flush()
        version_id, _digest = current_diagram(work)
        conn = session.connection()
        for number in range(1, KEY_TASKS + 1):
            lead = units[number % UNITS]
            co = [units[(number + 7) % UNITS], units[(number + 13) % UNITS]]
            key_task_id = conn.execute(
                insert(KeyTask).returning(KeyTask.id),
                {
                    "plan_id": plan.id,
                    "number": number,
                    "section": f"第{number % 5 + 1}部分",
                    "title": f"{rng.choice(PHRASES)}{rng.choice(PHRASES)}任务{number}",
                    "body": _text(rng, 12),
                    "lead_units_text": lead.name,
                    "co_units_text": "、".join(u.name for u in co),
                    "targets": [],
                    "active": True,
                },
            ).scalar_one()
            conn.execute(
                insert(KeyTaskUnit),
                [{"key_task_id": key_task_id, "unit_id": lead.id, "part": UnitPart.LEAD}]
                + [{"key_task_id": key_task_id, "unit_id": u.id, "part": UnitPart.CO} for u in co],
            )
            for round_index, round_name in enumerate(ROUNDS):
                started = NOW - timedelta(days=90 * (len(ROUNDS) - round_index))
                cycle_id = conn.execute(
                    insert(Cycle).returning(Cycle.id),
                    {
                        "key_task_id": key_task_id,
                        "round": round_name,
                        "diagram_version_id": version_id,
                        "status": CycleStatus.RUNNING,
                        "state": b"",
                        "state_format": "bench",
                        "version": 1,
                        "started_at": started,
                        "lead_unit_id": lead.id,
                    },
                ).scalar_one()

                where = {"cycle_id": cycle_id, "key_task_id": key_task_id, "started": started}
                last = round_index == len(ROUNDS) - 1
                rows = [
                    _step(where, "dispatch", "交办", None, "supervisor", {}, _text(rng, 2), True),
                    _step(
                        where,
                        "consolidate",
                        "汇总报送",
                        lead.id,
                        "lead_unit",
                        {"report": _text(rng, 8)},
                        None,
                        not last,
                    ),
                    *(
                        _step(
                            where, "co_input", "配合单位意见", u.id, "co_unit", {"text": _text(rng, 4)}, None, not last
                        )
                        for u in co
                    ),
                ]
                ids = conn.execute(insert(HumanTask).returning(HumanTask.id), rows).scalars().all()
                conn.execute(
                    insert(ProgressReport),
                    {
                        "key_task_id": key_task_id,
                        "cycle_id": cycle_id,
                        "round": round_name,
                        "human_task_id": ids[1],
                        "unit_id": lead.id,
                        "part": ReportPart.TOTAL,
                        "percent": 50.0,
                        "problems": _text(rng, 3) + (RARE if number % 997 == 0 else ""),
                        "next_steps": _text(rng, 3),
                        "reported_at": started + timedelta(days=5),
                    },
                )
    if runtime.db.dialect.name == "postgresql":
        with runtime.db.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()


def _step(
    where: dict[str, Any],
    step_id: str,
    name: str,
    unit_id: int | None,
    role: str,
    data: dict[str, str],
    comment: str | None,
    done: bool,
) -> dict[str, Any]:
    from db.models import HumanTaskState

    started = where["started"]
    return {
        "cycle_id": where["cycle_id"],
        "key_task_id": where["key_task_id"],
        "instance_id": str(uuid.uuid4()),
        "step_id": step_id,
        "step_name": name,
        "party": role,
        "unit_id": unit_id,
        "role": role,
        "state": HumanTaskState.DONE if done else HumanTaskState.OPEN,
        "ready_at": started,
        "due_at": started + timedelta(days=10),
        "yellow_at": started + timedelta(days=7),
        "due_basis": "official",
        "escalation_level": 0,
        "completed_at": started + timedelta(days=5) if done else None,
        "data": data,
        "comment": comment,
    }


QUERIES = (
    ("产业链", "a common three-character word"),
    ("招商", "two characters"),
    ("链", "one character"),
    ("已完成年度目标", "a long phrase"),
    (RARE[:5], "a rare word"),
    ("磷化", "two rare characters"),
    ("区检索局07", "a unit's name"),
    ("营商环境 进度滞后", "two words"),
    ("没有这个词语", "nothing found"),
)


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_search_bench(*, quick: bool = False) -> dict[str, Any]:
    from urllib.parse import quote

    from service.app import create_app, freeze_startup_objects

    reps = 5 if quick else 25
    targets: list[tuple[str, str | None]] = [("sqlite", None)]
    if os.environ.get("DUBAN_BENCH_DATABASE_URL"):
        targets.append(("postgresql", os.environ["DUBAN_BENCH_DATABASE_URL"]))
    summary: dict[str, Any] = {}
    cycles = KEY_TASKS * len(ROUNDS)
    print(f"== search: GET /api/v1/search with {cycles:,} cycles (p50 / p99 over {reps} of each query, two people) ==")
    with tempfile.TemporaryDirectory(prefix="duban-bench-search-") as scratch:
        os.environ.setdefault("DUBAN_SECRET_KEY", "bench-secret")
        for name, url in targets:
            runtime = _rig(url or f"sqlite:///{Path(scratch) / 'search.sqlite3'}")
            try:
                started = time.perf_counter()
                _fill(runtime)
                print(f"{name:<10} filled in {time.perf_counter() - started:.0f} s")
                app = create_app(runtime=runtime)
                freeze_startup_objects()
                everyone: list[float] = []
                for who in ("duchashi", "head00"):
                    client = _client(app, who)
                    for query, label in QUERIES:
                        path = f"/api/v1/search?q={quote(query)}"
                        response = client.get(path)
                        assert response.status_code == 200, (path, response.status_code)
                        found = len(response.get_json()["hits"])
                        times = []
                        for _ in range(reps):
                            began = time.perf_counter()
                            client.get(path)
                            times.append((time.perf_counter() - began) * 1000)
                        everyone += times
                        print(
                            f"{name:<10} {who:<9} {label:<32} {found:3d} hits  p50 {statistics.median(times):6.1f} ms"
                            f"  max {max(times):6.1f} ms"
                        )
                p99 = _p(everyone, 0.99)
                verdict = "ok" if p99 < TARGET_MS else "SLOW"
                print(f"{name:<10} all queries: p50 {statistics.median(everyone):.1f} ms, p99 {p99:.1f} ms   {verdict}")
                prefix = "search" if name == "sqlite" else "search_pg"
                summary[f"{prefix}_ms_p50"] = round(statistics.median(everyone), 1)
                summary[f"{prefix}_ms_p99"] = round(p99, 1)
            finally:
                gc.unfreeze()
                runtime.dispose()
    return summary


if __name__ == "__main__":
    print(run_search_bench(quick=True))

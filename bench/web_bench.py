"""Server-side render time of the inbox and the ledger with 10,000 open steps (target < 100 ms).

The data: one plan of 500 key tasks, each with a cycle in round 2024-Q2 and 20 open co-unit steps
(10,000 open steps over 20 units, deadlines spread so that the lights are mixed), plus 5,000 steps
done. The rows are inserted directly: the pages read the human-task projection, not the engine.

Each page is requested through Flask's test client by a logged-in person (session cookie, the
whole request: routing, login check, the operations' queries, Jinja rendering); medians and p95
of the repetitions are quoted. SQLite always; PostgreSQL too with DUBAN_BENCH_DATABASE_URL.
"""

from __future__ import annotations

import gc
import os
import re
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

KEY_TASKS = 500
STEPS_PER_KEY_TASK = 20
UNITS = 20
DONE_STEPS = 5_000
NOW = datetime(2024, 5, 15, 10, 0, tzinfo=timezone(timedelta(hours=8)))  # a Wednesday
PASSWORD = "bench-password-1"
TARGET_MS = 100.0


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
        Cycle,
        CycleStatus,
        HumanTask,
        HumanTaskState,
        KeyTask,
        KeyTaskUnit,
        Plan,
        Role,
        Unit,
        UnitKind,
        UnitPart,
        User,
    )
    from service.operations.cycles.diagrams import current_diagram
    from service.passwords import hash_password

    digest = hash_password(PASSWORD)
    with runtime.work() as work:
        session = work.session
        office = Unit(name="区政府督查室", kind=UnitKind.OFFICE, created_at=NOW)
        units = [Unit(name=f"区基准局{n:02d}", kind=UnitKind.DEPARTMENT, created_at=NOW) for n in range(UNITS)]
        session.add_all([office, *units])
        session.flush()
        people = [("duchashi", Role.SUPERVISOR, office.id), ("admin", Role.ADMIN, office.id)]
        people += [(f"head{n:02d}", Role.UNIT_HEAD, u.id) for n, u in enumerate(units)]
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
        from service.vocabulary import PlanStatus

        plan = Plan(
            status=PlanStatus.PUBLISHED,
            title="基准计划",
            year=2024,
            source_name="bench",
            source_sha256="1" * 64,
            sections=[],
            imported_at=NOW,
        )
        session.add(plan)
        session.flush()
        version_id, _digest = current_diagram(work)
        conn = session.connection()
        done_left = DONE_STEPS
        for number in range(1, KEY_TASKS + 1):
            lead = units[number % UNITS]
            key_task_id = conn.execute(
                insert(KeyTask).returning(KeyTask.id),
                {
                    "plan_id": plan.id,
                    "number": number,
                    "section": f"第{number % 3 + 1}部分",
                    "title": f"基准重点任务{number}",
                    "body": "任务正文" * 20,
                    "lead_units_text": lead.name,
                    "co_units_text": "、".join(u.name for u in units),
                    "targets": [],
                    "active": True,
                },
            ).scalar_one()
            conn.execute(
                insert(KeyTaskUnit),
                [
                    {"key_task_id": key_task_id, "unit_id": u.id, "part": UnitPart.LEAD if u is lead else UnitPart.CO}
                    for u in units
                ],
            )
            cycle_id = conn.execute(
                insert(Cycle).returning(Cycle.id),
                {
                    "key_task_id": key_task_id,
                    "round": "2024-Q2",
                    "diagram_version_id": version_id,
                    "status": CycleStatus.RUNNING,
                    "state": b"",
                    "state_format": "bench",
                    "version": 1,
                    "started_at": NOW - timedelta(days=20),
                    "lead_unit_id": lead.id,
                },
            ).scalar_one()
            rows = []
            for index, unit in enumerate(units):
                # Deadlines from ten days ago to ten days ahead: red, yellow and green.
                due = NOW + timedelta(days=(number + index) % 21 - 10, hours=14)
                rows.append(_step(cycle_id, key_task_id, unit.id, due, HumanTaskState.OPEN))
            if done_left > 0:
                due = NOW - timedelta(days=5)
                rows += [
                    _step(cycle_id, key_task_id, u.id, due, HumanTaskState.DONE) for u in units[: min(10, done_left)]
                ]
                done_left -= 10
            conn.execute(insert(HumanTask), rows)
    if runtime.db.dialect.name == "postgresql":
        with runtime.db.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()


def _step(cycle_id: int, key_task_id: int, unit_id: int, due: datetime, state: Any) -> dict[str, Any]:
    from db.models import HumanTaskState

    done = state == HumanTaskState.DONE
    return {
        "cycle_id": cycle_id,
        "key_task_id": key_task_id,
        "instance_id": str(uuid.uuid4()),
        "step_id": "co_input",
        "step_name": "配合单位意见",
        "party": "co_unit",
        "unit_id": unit_id,
        "role": "unit",
        "state": state,
        "ready_at": due - timedelta(days=7),
        "due_at": due,
        "yellow_at": due - timedelta(days=3),
        "due_basis": "official",
        "escalation_level": 0,
        "completed_at": due - timedelta(days=1) if done else None,
        "data": {"text": "意见"} if done else {},
    }


def _client(app: Any, username: str) -> Any:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    assert response.status_code == 302, response.status_code
    return client


def _time(client: Any, path: str, reps: int) -> list[float]:
    client.get(path)  # warm: compiled statements and templates are per process
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run_web_bench(*, quick: bool = False) -> dict[str, Any]:
    from service.app import create_app, freeze_startup_objects

    reps = 10 if quick else 40
    targets: list[tuple[str, str | None]] = [("sqlite", None)]
    if os.environ.get("DUBAN_BENCH_DATABASE_URL"):
        targets.append(("postgresql", os.environ["DUBAN_BENCH_DATABASE_URL"]))
    summary: dict[str, Any] = {}
    open_steps = KEY_TASKS * STEPS_PER_KEY_TASK
    print(f"== web pages: server-side render time with {open_steps:,} open steps (median / p95 of {reps}) ==")
    with tempfile.TemporaryDirectory(prefix="duban-bench-web-") as scratch:
        os.environ.setdefault("DUBAN_SECRET_KEY", "bench-secret")
        for name, url in targets:
            runtime = _rig(url or f"sqlite:///{Path(scratch) / 'web.sqlite3'}")
            try:
                _fill(runtime)
                app = create_app(runtime=runtime)
                # As a serving process does once it has started (service/wsgi.py); here it also
                # sets aside the seeding, which a real server would have done in another process.
                freeze_startup_objects()
                admin, unit, supervisor = _client(app, "admin"), _client(app, "head00"), _client(app, "duchashi")
                cursor_page = admin.get("/inbox").get_data(as_text=True)
                cursor = re.search(r'cursor=([^&"]+)', cursor_page)
                pages = [
                    ("inbox_all", admin, "/inbox", f"待办(全部 {open_steps:,} 项)"),
                    ("inbox_red", admin, "/inbox?light=red", "待办,红灯筛选"),
                    ("inbox_page2", admin, f"/inbox?cursor={cursor.group(1) if cursor else ''}&page=2", "待办第 2 页"),
                    ("inbox_unit", unit, "/inbox", f"一个单位的待办({open_steps // UNITS} 项)"),
                    ("ledger", supervisor, "/ledger", f"督查台账({KEY_TASKS} 项,每页 50)"),
                    ("ledger_red", supervisor, "/ledger?light=red", "督查台账,红灯筛选"),
                    ("ledger_unit", unit, "/ledger", "一个单位看到的督查台账"),
                    ("home", supervisor, "/", "工作台"),
                ]
                for key, client, path, label in pages:
                    times = _time(client, path, reps)
                    median, p95 = statistics.median(times), _p95(times)
                    verdict = "ok" if p95 < TARGET_MS else "SLOW"
                    print(f"{name:<10} {label:<28} median {median:6.1f} ms   p95 {p95:6.1f} ms   {verdict}")
                    prefix = "web" if name == "sqlite" else "web_pg"
                    summary[f"{prefix}_{key}_ms_p50"] = round(median, 1)
                    summary[f"{prefix}_{key}_ms_p95"] = round(p95, 1)
                export = _time(supervisor, "/ledger.xlsx", max(3, reps // 8))
                print(f"{name:<10} {'督查台账导出 xlsx(全部行)':<28} median {statistics.median(export):6.1f} ms")
                summary[f"{'web' if name == 'sqlite' else 'web_pg'}_ledger_xlsx_ms_p50"] = round(
                    statistics.median(export), 1
                )
            finally:
                gc.unfreeze()
                runtime.dispose()
    return summary


if __name__ == "__main__":
    print(run_web_bench(quick=True))

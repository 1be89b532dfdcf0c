"""The API over real HTTP: gunicorn (2 workers) on PostgreSQL over loopback.

(H) step completions per second through ``POST /api/v1/human-tasks/{id}/complete`` (and the cycle
    starts they need), by client threads each driving its own cycles with bearer tokens, as a ratio
    to (B) of the engine benchmark (SpiffWorkflow with naive JSON around every step), measured in
    this same run on the same machine. Target: H/B >= 0.5.
(I) ``GET /api/v1/inbox`` latency, p50 and p99, with 100,000 open human tasks in the database
    (bulk-inserted with Core, spread over 55 units and the supervisor's and leader's roles).
    Target: p99 <= 50 ms.

Database: DUBAN_BENCH_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/duban_bench
(created when missing; its tables are emptied first).
"""

from __future__ import annotations

import functools
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests
import urllib3
from sqlalchemy.exc import OperationalError

from .engine_bench import _plain_engine, _rate, _spiff_spec, spiff_cycle

REPO = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/duban_bench"
PASSWORD = "bench-pass-2024"
CO_UNITS = 3
OPEN_TASKS = 100_000


def _ensure_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def _seed(url: str, key_tasks: int) -> dict[str, Any]:
    """Empties the tables and writes units, users and key tasks for the completion run."""

    from db.maintenance import empty_all_tables
    from db.migrate import upgrade
    from db.models import KeyTask, KeyTaskUnit, Plan, Role, Unit, UnitKind, UnitPart, User
    from service.clock import SystemClock
    from service.config import load_config
    from service.passwords import hash_password
    from service.runtime import build_runtime

    upgrade(url)
    runtime = build_runtime(load_config(overrides={"database.url": url}), SystemClock())
    empty_all_tables(runtime.db)
    password_hash = hash_password(PASSWORD)
    with runtime.work() as work:
        session, now = work.session, work.now

        def unit(name: str, kind: UnitKind) -> Unit:
            made = Unit(name=name, kind=kind, created_at=now)
            session.add(made)
            session.flush()
            return made

        def user(name: str, role: Role, at: Unit) -> None:
            session.add(
                User(
                    username=name,
                    display_name=name,
                    password_hash=password_hash,
                    role=role,
                    unit_id=at.id,
                    created_at=now,
                )
            )

        office, leaders = unit("督查室", UnitKind.OFFICE), unit("区领导", UnitKind.LEADERSHIP)
        units = [unit(f"单位{i:02d}", UnitKind.DEPARTMENT) for i in range(55)]
        user("sup", Role.SUPERVISOR, office)
        user("ldr", Role.LEADER, leaders)
        for i, at in enumerate(units):
            user(f"head{i:02d}", Role.UNIT_HEAD, at)
        from service.vocabulary import PlanStatus

        plan = Plan(
            status=PlanStatus.PUBLISHED,
            title="bench",
            year=2024,
            source_name="bench",
            source_sha256="h" * 64,
            sections=[],
            imported_at=now,
        )
        session.add(plan)
        session.flush()
        ids = []
        for number in range(1, key_tasks + 1):
            lead = units[number % 5]  # five lead units, so clients rarely share one
            task = KeyTask(
                plan_id=plan.id,
                number=number,
                section=None,
                title=f"任务{number}",
                body="",
                lead_units_text=lead.name,
                co_units_text="",
                targets=[],
            )
            session.add(task)
            session.flush()
            session.add(KeyTaskUnit(key_task_id=task.id, unit_id=lead.id, part=UnitPart.LEAD, position=0))
            for i in range(CO_UNITS):
                co = units[5 + (number * CO_UNITS + i) % 50]
                session.add(KeyTaskUnit(key_task_id=task.id, unit_id=co.id, part=UnitPart.CO, position=i))
            ids.append(task.id)
        session.flush()
        heads = {u.id: f"head{i:02d}" for i, u in enumerate(units)}
    runtime.dispose()
    return {"key_tasks": ids, "heads": heads}


class Server:
    """gunicorn with 2 workers (threads for keep-alive) on a free loopback port."""

    def __init__(self, url: str, scratch: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DUBAN_DATABASE_URL": url,
            "DUBAN_SECRET_KEY": secrets.token_urlsafe(16),
            "DUBAN_CONFIG": str(REPO / "config.toml"),
        }
        self.log = open(scratch / "gunicorn.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--workers",
                "2",
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "service.wsgi:app",
            ],
            cwd=REPO,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/api/v1/openapi.json", timeout=2).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start; see {scratch / 'gunicorn.log'}")

    def tail(self, lines: int = 60) -> str:
        self.log.flush()
        text = Path(self.log.name).read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _token(base: str, username: str) -> requests.Session:
    session = requests.Session()
    response = session.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=30)
    response.raise_for_status()
    session.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return session


FORMS: dict[str, dict[str, Any]] = {
    "co_input": {"data": {"text": "配合意见" * 50}},
    "consolidate": {"data": {"report": "汇总报告" * 100}},
    "review": {"decision": "pass"},
    "approve": {"decision": "approve"},
}


class _Reply:
    def __init__(self, status: int, body: bytes) -> None:
        self.status_code = status
        self.text = body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.text)


class _Client:
    """One keep-alive connection speaking for one user (urllib3 without requests' layers on top)."""

    def __init__(self, base: str, authorization: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.pool = urllib3.HTTPConnectionPool(host, int(port), maxsize=1, timeout=60.0)
        self.headers = {"Authorization": authorization, "Content-Type": "application/json"}

    def post(self, url: str, json: Any) -> _Reply:
        path = "/" + url.split("/", 3)[3]
        response = self.pool.request("POST", path, body=_dumps(json), headers=self.headers)
        return _Reply(response.status, response.data)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _completions(base: str, seeded: dict[str, Any], seconds: float, clients: int) -> tuple[float, int]:
    """Completions per second with ``clients`` threads, each running whole cycles back to back."""
    heads: dict[int, str] = seeded["heads"]
    remaining: list[int] = seeded["key_tasks"]  # shared: a key task gets one cycle per round, ever
    lock = threading.Lock()
    counts = [0] * clients
    errors: list[str] = []
    # Log every user in once, before the clock starts: logging in is not what is measured.
    tokens = {u: _token(base, u).headers["Authorization"] for u in ("sup", "ldr", *heads.values())}
    barrier = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(index: int) -> None:
        # A lean keep-alive client (the standard library's): the load generator shares the two cores
        # with the server and the database, so what it spends is taken from what is measured.
        sessions: dict[str, _Client] = {}

        def as_(username: str) -> _Client:
            if username not in sessions:
                sessions[username] = _Client(base, tokens[username])
            return sessions[username]

        def who(step: dict[str, Any]) -> str:
            if step["step"] in ("dispatch", "review"):
                return "sup"
            if step["step"] == "approve":
                return "ldr"
            return heads[step["unit_id"]]

        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            with lock:
                if not remaining:
                    return
                key_task = remaining.pop()
            started = as_("sup").post(f"{base}/api/v1/key-tasks/{key_task}/cycles", json={"round": "2024-Q2"})
            if started.status_code != 201:
                errors.append(started.text)
                return
            queue = [{"id": s["id"], "step": s["step"], "unit_id": s["unit_id"]} for s in started.json()["steps_open"]]
            while queue:
                step = queue.pop(0)
                done = as_(who(step)).post(
                    f"{base}/api/v1/human-tasks/{step['id']}/complete", json=FORMS.get(step["step"], {})
                )
                if done.status_code != 200:
                    errors.append(done.text)
                    return
                counts[index] += 1
                queue.extend(done.json()["opened"])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"completions failed: {errors[0][:300]}")
    return sum(counts) / elapsed, sum(counts)


def _fill_inbox(url: str, total: int) -> None:
    """100,000 open human tasks, bulk-inserted with Core: a cycle per key task, steps spread over
    the units (co-unit inputs, sign-for, consolidation) and the supervisor's and leader's roles."""
    from sqlalchemy import create_engine, insert, select

    from db.models import Cycle, CycleStatus, DiagramVersion, HumanTask, HumanTaskState, KeyTask, Plan, Unit

    engine = create_engine(url)
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        units = [row.id for row in connection.execute(select(Unit.id).where(Unit.name.like("单位%")).order_by(Unit.id))]
        version = connection.scalar(select(DiagramVersion.id).limit(1))
        plan = connection.execute(
            insert(Plan).returning(Plan.id),
            {
                "title": "inbox bench",
                "year": 2024,
                "source_name": "bench",
                "source_sha256": "i" * 64,
                "sections": [],
                "imported_at": now,
            },
        ).scalar_one()
        per_cycle = 50
        cycles = total // per_cycle
        key_tasks = (
            connection.execute(
                insert(KeyTask).returning(KeyTask.id, sort_by_parameter_order=True),
                [
                    {
                        "plan_id": plan,
                        "number": n,
                        "section": None,
                        "title": f"待办压测任务{n}",
                        "body": "",
                        "lead_units_text": "",
                        "co_units_text": "",
                        "targets": [],
                        "active": True,
                    }
                    for n in range(1, cycles + 1)
                ],
            )
            .scalars()
            .all()
        )
        cycle_ids = (
            connection.execute(
                insert(Cycle).returning(Cycle.id, sort_by_parameter_order=True),
                [
                    {
                        "key_task_id": k,
                        "round": "2024-Q3",
                        "diagram_version_id": version,
                        "status": CycleStatus.RUNNING,
                        "state": b"",
                        "state_format": "bench",
                        "version": 1,
                        "lead_unit_id": units[i % len(units)],
                        "started_at": now,
                    }
                    for i, k in enumerate(key_tasks)
                ],
            )
            .scalars()
            .all()
        )
        rows = []
        for cycle_id, key_task_id in zip(cycle_ids, key_tasks, strict=True):
            for i in range(per_cycle):
                kind = rng.random()
                step, party, role, unit = "co_input", "co_unit", "unit", rng.choice(units)
                if kind < 0.04:
                    step, party, role, unit = "review", "supervisor", "supervisor", None
                elif kind < 0.06:
                    step, party, role, unit = "approve", "leader", "leader", None
                elif kind < 0.12:
                    step, party = "consolidate", "lead_unit"
                due = now + timedelta(hours=rng.randint(-120, 400))
                rows.append(
                    {
                        "cycle_id": cycle_id,
                        "key_task_id": key_task_id,
                        "instance_id": f"{cycle_id:08d}-{i:04d}",
                        "step_id": step,
                        "step_name": step,
                        "party": party,
                        "unit_id": unit,
                        "role": role,
                        "state": HumanTaskState.OPEN,
                        "ready_at": now - timedelta(days=3),
                        "due_at": due,
                        "yellow_at": due - timedelta(days=3),
                        "due_basis": "official",
                        "escalation_level": 0,
                        "data": {},
                    }
                )
        for start in range(0, len(rows), 10_000):
            connection.execute(insert(HumanTask), rows[start : start + 10_000])
    # What autovacuum does to a table that has settled: statistics, and the visibility map that
    # lets the inbox count from the index alone.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE human_tasks")
    engine.dispose()


def _inbox_latency(base: str, users: list[str], requests_total: int) -> list[float]:
    sessions = [_token(base, u) for u in users]
    for session in sessions:  # warm every worker's connections and caches
        for _ in range(3):
            session.get(f"{base}/api/v1/inbox", params={"limit": 50}).raise_for_status()
    timings = []
    for i in range(requests_total):
        session = sessions[i % len(sessions)]
        params: dict[str, Any] = {"limit": 50}
        if i % 4 == 3:
            params["light"] = "red"
        began = time.perf_counter()
        response = session.get(f"{base}/api/v1/inbox", params=params)
        timings.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
    return timings


def run_http_bench(*, quick: bool = False) -> dict[str, Any]:
    url = os.environ.get("DUBAN_BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgresql"):
        print("== http: skipped (needs PostgreSQL: DUBAN_BENCH_DATABASE_URL) ==")
        return {}
    # Two clients for two workers: more only queue on the audit chain's lock (every write appends to it).
    seconds, clients = (4.0, 2) if quick else (15.0, 2)
    print(f"== http: gunicorn, 2 workers, PostgreSQL over loopback ({_safe(url)}) ==")
    try:
        _ensure_database(url)
    except OperationalError as exc:
        print(f"   skipped: PostgreSQL unreachable ({str(exc.orig).strip().splitlines()[0]})")
        return {}
    seeded = _seed(url, key_tasks=3000)
    spec, script_engine = _spiff_spec(), _plain_engine()
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

    naive_json = functools.partial(spiff_cycle, spec, script_engine, CO_UNITS, True, BpmnWorkflowSerializer())
    with tempfile.TemporaryDirectory(prefix="duban-http-bench-") as scratch:
        server = Server(url, Path(scratch))
        try:
            # B before and after H, so both see the same machine; their median is the reference.
            # Untimed: each worker parses and deploys the diagram on its first cycle.
            _completions(server.base, seeded, 1.0, 1)
            b_rates = [_rate(naive_json, 2.0 if not quick else 1.0)]
            h_rate, h_done = _completions(server.base, seeded, seconds, clients)
            b_rates.append(_rate(naive_json, 2.0 if not quick else 1.0))
            b = statistics.median(b_rates)
            print(f"n={CO_UNITS}  B (SpiffWorkflow + naive JSON)   {b:8.0f} completions/s")
            print(
                f"n={CO_UNITS}  H (HTTP, {clients} clients)          {h_rate:8.0f} completions/s "
                f"({h_done} in {seconds:.0f}s)   H/B = {h_rate / b:.2f}  (target >= 0.5)"
            )
            began = time.perf_counter()
            _fill_inbox(url, OPEN_TASKS)
            print(f"inbox: {OPEN_TASKS:,} open human tasks inserted in {time.perf_counter() - began:.1f}s")
            users = ["sup", "ldr", "head05", "head17", "head33", "head48"]
            timings = _inbox_latency(server.base, users, 200 if quick else 600)
        except Exception:
            print("gunicorn's log:\n" + server.tail(), file=sys.stderr)
            raise
        finally:
            server.stop()
    p50 = statistics.median(timings)
    p99 = statistics.quantiles(timings, n=100)[98]
    print(
        f"GET /api/v1/inbox with {OPEN_TASKS:,} open: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"over {len(timings)} requests (target p99 <= 50 ms)"
    )
    return {
        "http_b_completions_per_s_n3": round(b, 1),
        "http_completions_per_s_n3": round(h_rate, 1),
        "ratio_http_b_n3": round(h_rate / b, 3),
        "inbox_open_tasks": OPEN_TASKS,
        "inbox_p50_ms": round(p50, 2),
        "inbox_p99_ms": round(p99, 2),
    }


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)

"""Fixtures for the whole suite: a real database (SQLite file, or PostgreSQL when
DUBAN_TEST_DATABASE_URL is set), a runtime with a clock the tests move, the Flask app, factories,
and the one test world (a district's units and people, a plan and its key task) with helpers that
start cycles, complete human tasks and run the scheduler's jobs.

Every test starts from empty tables; data is written by real committed transactions.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from db.maintenance import empty_all_tables
from db.migrate import upgrade
from db.models import (
    HumanTask,
    KeyTask,
    KeyTaskUnit,
    Plan,
    Role,
    Unit,
    UnitKind,
    UnitPart,
    User,
)
from service.clock import FixedClock
from service.config import REPO_ROOT, load_config
from service.operations.common.actor import Actor
from service.operations.cycles.complete import Completion, complete_human_task
from service.operations.cycles.start import start_cycle
from service.passwords import hash_password, use_fast_hashing_for_tests
from service.runtime import Runtime
from service.scheduling.jobs import TickReport, run_due_jobs
from service.vocabulary import PlanStatus
from tests.helpers import ENGINE_MODE, PASSWORD, T0, local, open_tasks, runtime_for_tests, unfixed_engine

use_fast_hashing_for_tests()


def pytest_report_header() -> str:
    if ENGINE_MODE == "cold":
        return "engine: cold ([engine] live_cycles = 0, a new engine for every unit of work)"
    return "engine: live (one engine per runtime, live cycles kept)"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("DUBAN_TEST_DATABASE_URL")
    if base:
        url = make_url(base)
        name = f"{url.database}_{_worker()}"
        # Created from the maintenance database, so the URL's own database need not exist.
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        test_url = url.set(database=name).render_as_string(hide_password=False)
    else:
        test_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'duban-test.sqlite3'}"
    upgrade(test_url)
    yield test_url


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


def _empty_tables(runtime: Runtime) -> None:
    empty_all_tables(runtime.db)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> Any:
    return load_config(
        REPO_ROOT / "config.toml",
        overrides={
            "database.url": database_url,
            # Every writable path inside the test's own folder: nothing a test writes outlives it
            # or meets another run's files.
            "server.secret_key_file": str(tmp_path / "secret_key"),
            "attachments.storage_dir": str(tmp_path / "attachments"),
            "engine.diagram": str(REPO_ROOT / "bpmn" / "key_task_cycle.bpmn"),
            "engine.closing_diagram": str(REPO_ROOT / "bpmn" / "key_task_closing.bpmn"),
            # The cold engine mode keeps no cycle live (tests/helpers.py ENGINE_MODE).
            **({"engine.live_cycles": 0} if ENGINE_MODE == "cold" else {}),
        },
    )


@pytest.fixture
def runtime(config: Any, clock: FixedClock) -> Iterator[Runtime]:
    rt = runtime_for_tests(config, clock)
    _empty_tables(rt)
    yield rt
    rt.dispose()


@pytest.fixture
def app(runtime: Runtime) -> Any:
    from service.app import create_app

    flask_app = create_app(runtime=runtime)
    flask_app.config.update(TESTING=True)
    return flask_app


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@dataclass
class Made:
    """What a factory made, with the ids tests need after the transaction ended."""

    id: int
    name: str


class Factory:
    """Makes rows through committed transactions, as the product itself would see them."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._count = 0

    def _next(self) -> int:
        self._count += 1
        return self._count

    def unit(self, name: str | None = None, kind: UnitKind = UnitKind.DEPARTMENT) -> Unit:
        with self.runtime.work() as work:
            unit = Unit(name=name or f"区测试局{self._next()}", kind=kind, created_at=work.now)
            work.session.add(unit)
            work.session.flush()
            return unit

    def user(
        self, role: Role | str, unit: Unit | None = None, username: str | None = None, password: str = PASSWORD
    ) -> Actor:
        role = Role(role)
        if unit is None:
            kind = {
                Role.SUPERVISOR: UnitKind.OFFICE,
                Role.LEADER: UnitKind.LEADERSHIP,
                Role.ADMIN: UnitKind.OFFICE,
            }.get(role, UnitKind.DEPARTMENT)
            unit = self.unit(kind=kind)
        with self.runtime.work() as work:
            user = User(
                username=username or f"{role.value}{self._next()}",
                display_name=f"{unit.name}{role.value}",
                password_hash=hash_password(password),
                role=role,
                unit_id=unit.id,
                created_at=work.now,
            )
            work.session.add(user)
            work.session.flush()
            return Actor(
                user_id=user.id,
                username=user.username,
                display_name=user.display_name,
                role=role.value,
                unit_id=unit.id,
                unit_name=unit.name,
            )

    def plan(self, title: str = "测试方案") -> Plan:
        with self.runtime.work() as work:
            plan = Plan(
                title=title,
                year=2024,
                source_name="test.txt",
                source_sha256=f"{self._next():064d}",
                sections=[],
                imported_at=work.now,
                status=PlanStatus.PUBLISHED,
                published_at=work.now,
            )
            work.session.add(plan)
            work.session.flush()
            return plan

    def key_task(
        self,
        leads: list[Unit],
        co_units: list[Unit],
        *,
        plan: Plan | None = None,
        number: int | None = None,
        title: str = "测试任务",
    ) -> KeyTask:
        plan = plan or self.plan()
        with self.runtime.work() as work:
            task = KeyTask(
                plan_id=plan.id,
                number=number or self._next(),
                section=None,
                title=title,
                body="正文",
                lead_units_text="、".join(u.name for u in leads),
                co_units_text="、".join(u.name for u in co_units),
                targets=[],
            )
            work.session.add(task)
            work.session.flush()
            for i, unit in enumerate(leads):
                work.session.add(KeyTaskUnit(key_task_id=task.id, unit_id=unit.id, part=UnitPart.LEAD, position=i))
            for i, unit in enumerate(co_units):
                work.session.add(KeyTaskUnit(key_task_id=task.id, unit_id=unit.id, part=UnitPart.CO, position=i))
            return task


@pytest.fixture
def make(runtime: Runtime) -> Factory:
    return Factory(runtime)


@pytest.fixture
def open_steps(runtime: Runtime) -> Any:
    """``open_steps(cycle_id, step=None)``: the cycle's open human tasks, oldest first."""
    return lambda cycle_id, step=None: open_tasks(runtime, cycle_id, step)


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    """The app behind a real threaded HTTP server on a free loopback port (same runtime, clock and
    database as the test)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


# -- the test world ---------------------------------------------------------------------------


@dataclass
class World:
    """A district in small: the supervision office, a leader, an administrator; a key task of the
    plan led by one department with three co-units (a department, a street, a town), the heads and
    staff of those units; and the head of a unit that takes no part in the key task.

    Usernames: duchashi, lingdao, admin, lead_head, lead_staff, co_head_0..2, co_staff_0..2,
    outsider; every user has the factory's PASSWORD and the address USERNAME@example.test."""

    plan: Plan
    key_task: KeyTask
    lead_unit: Unit
    co_units: list[Unit]
    supervisor: Actor
    leader: Actor
    admin: Actor
    lead_head: Actor
    lead_staff: Actor
    co_heads: list[Actor]
    co_staff: list[Actor]
    outsider: Actor
    # One person of each part a role can play, by the name the authorization tests give it.
    by_role: dict[str, Actor] = field(default_factory=dict)


@pytest.fixture
def world(make: Factory, runtime: Runtime) -> World:
    lead = make.unit("区发展改革和经济信息化局")
    co_units = [
        make.unit("区财政局"),
        make.unit("凤凰街道", kind=UnitKind.STREET),
        make.unit("泽林镇", kind=UnitKind.TOWN),
    ]
    plan = make.plan("鄂城区2024年“三新三强”行动方案")
    world = World(
        plan=plan,
        key_task=make.key_task([lead], co_units, plan=plan, number=1, title="推行产业链长制"),
        lead_unit=lead,
        co_units=co_units,
        supervisor=make.user(Role.SUPERVISOR, username="duchashi"),
        leader=make.user(Role.LEADER, username="lingdao"),
        admin=make.user(Role.ADMIN, username="admin"),
        lead_head=make.user(Role.UNIT_HEAD, lead, username="lead_head"),
        lead_staff=make.user(Role.UNIT_STAFF, lead, username="lead_staff"),
        co_heads=[make.user(Role.UNIT_HEAD, u, username=f"co_head_{i}") for i, u in enumerate(co_units)],
        co_staff=[make.user(Role.UNIT_STAFF, u, username=f"co_staff_{i}") for i, u in enumerate(co_units)],
        outsider=make.user(Role.UNIT_HEAD, make.unit("区统计局"), username="outsider"),
    )
    world.by_role = {
        "unit_staff": world.lead_staff,
        "unit_head": world.lead_head,
        "co_unit": world.co_heads[0],
        "outsider": world.outsider,
        "supervisor": world.supervisor,
        "leader": world.leader,
        "admin": world.admin,
    }
    with runtime.work() as work:
        work.session.execute(update(User).values(email=User.username + "@example.test"))
    return world


@pytest.fixture
def start(runtime: Runtime, world: World) -> Any:
    """``start(round_name="2024-Q2", key_task=None, actor=None) -> cycle id``: starts a cycle of the
    world's key task (or another) through the operation, as the supervisor (or another actor)."""

    def _start(round_name: str = "2024-Q2", key_task: KeyTask | None = None, actor: Actor | None = None) -> int:
        with runtime.work() as work:
            return start_cycle(work, actor or world.supervisor, (key_task or world.key_task).id, round_name).id

    return _start


@pytest.fixture
def act(runtime: Runtime) -> Any:
    """``act(actor, human_task_id, now=None, data=…, decision=…, comment=…)``: completes a human
    task in a transaction of its own, at ``now`` (else the clock's time)."""

    def _act(actor: Actor, task_id: int, now: datetime | None = None, **form: Any) -> Completion:
        with runtime.work(now=now) as work:
            return complete_human_task(
                work, actor, task_id, data=form.get("data"), decision=form.get("decision"), comment=form.get("comment")
            )

    return _act


@pytest.fixture
def to_consolidate(world: World, start: Any, act: Any, open_steps: Any) -> Any:
    """``to_consolidate() -> cycle id``: a cycle of the world's key task dispatched, signed for and
    answered by every co-unit, at the clock's time; the lead unit's consolidation is open."""

    def _play() -> int:
        cycle_id: int = start()
        act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
        act(world.lead_head, open_steps(cycle_id, "sign_for")[0].id)
        head_of = {head.unit_id: head for head in world.co_heads}
        for task in open_steps(cycle_id, "co_input"):
            act(head_of[task.unit_id], task.id, data={"text": f"{head_of[task.unit_id].unit_name}的意见"})
        return cycle_id

    return _play


@pytest.fixture
def consolidating(runtime: Runtime, world: World, act: Any) -> HumanTask:
    """The lead unit's consolidation step of a 2024-Q2 cycle started on Monday 1 April 2024: ready
    on Monday 8 April (every co-unit answered at 10:00) and due Monday 15 April."""
    with runtime.work(now=local(2024, 4, 1, 9)) as work:
        cycle_id = start_cycle(work, world.supervisor, world.key_task.id, "2024-Q2").id
    act(world.supervisor, open_tasks(runtime, cycle_id, "dispatch")[0].id, local(2024, 4, 1, 10))
    act(world.lead_head, open_tasks(runtime, cycle_id, "sign_for")[0].id, local(2024, 4, 2, 10))
    head_of = {head.unit_id: head for head in world.co_heads}
    for task in open_tasks(runtime, cycle_id, "co_input"):
        act(head_of[task.unit_id], task.id, local(2024, 4, 8, 10), data={"text": "意见"})
    (task,) = open_tasks(runtime, cycle_id, "consolidate")
    assert task.due_at.date().isoformat() == "2024-04-15"
    return task


@pytest.fixture
def tick(runtime: Runtime) -> Any:
    """``tick(now) -> TickReport``: runs every scheduler job due at ``now`` (as `duban tick` does),
    asserting none failed."""

    def _tick(now: datetime) -> TickReport:
        report = run_due_jobs(runtime, now)
        assert report.failures == []
        return report

    return _tick


@pytest.fixture
def stuck(runtime: Runtime, world: World, start: Any, act: Any, open_steps: Any) -> dict[str, int]:
    """Cycles stuck by issue 9, as databases hold them (``cycles repair`` mends them): three cycles
    of the world's key task whose co-unit inputs were partly given in a process running the unfixed
    engine (tests/helpers.py ``unfixed_engine``):
    ``all_elsewhere`` (one input given where the inputs opened, two in another process: every row
    done, nothing open), ``then_fixed`` (one input given elsewhere, the other two later by the fixed
    engine: 汇总报送 opened without the first input), ``half`` (one input given elsewhere, two open)."""
    head_of = {head.unit_id: head for head in world.co_heads}

    def to_inputs(round_name: str) -> int:
        cycle_id = start(round_name)
        act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
        act(world.lead_head, open_steps(cycle_id, "sign_for")[0].id)
        return int(cycle_id)

    def give(cycle_id: int, task: HumanTask) -> None:
        act(head_of[task.unit_id], task.id, data={"text": f"{task.unit_id} 的意见"})

    cycles = {
        name: to_inputs(f"2024-{q}") for name, q in (("all_elsewhere", "Q2"), ("then_fixed", "Q3"), ("half", "Q4"))
    }
    first, *rest = open_steps(cycles["all_elsewhere"], "co_input")
    give(cycles["all_elsewhere"], first)  # in the process that opened the inputs: merged
    with unfixed_engine(runtime):
        for task in rest:
            give(cycles["all_elsewhere"], task)
        give(cycles["then_fixed"], open_steps(cycles["then_fixed"], "co_input")[0])
        give(cycles["half"], open_steps(cycles["half"], "co_input")[0])
    for task in open_steps(cycles["then_fixed"], "co_input"):
        give(cycles["then_fixed"], task)  # merged now, but the first never was
    return cycles

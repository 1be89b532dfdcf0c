"""Fixtures for the whole suite: a real database (SQLite file, or PostgreSQL when
DUBAN_TEST_DATABASE_URL is set), a runtime with a clock the tests move, the Flask app, and factories.

Every test starts from empty tables; data is written by real committed transactions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from db.maintenance import empty_all_tables
from db.migrate import upgrade
from db.models import (
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
from service.clock import FixedClock
from service.config import REPO_ROOT, load_config
from service.operations.common.actor import Actor
from service.passwords import hash_password, use_fast_hashing_for_tests
from service.runtime import Runtime, build_runtime

TZ = ZoneInfo("Asia/Shanghai")
# A Monday. The Qingming holiday (4-6 April 2024) and its make-up workday (Sunday 7 April) follow.
T0 = datetime(2024, 4, 1, 9, 0, tzinfo=TZ)
PASSWORD = "correct-horse-9"

use_fast_hashing_for_tests()


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
        },
    )


@pytest.fixture
def runtime(config: Any, clock: FixedClock) -> Iterator[Runtime]:
    rt = build_runtime(config, clock)
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


def open_tasks(runtime: Runtime, cycle_id: int, step: str | None = None) -> list[HumanTask]:
    with runtime.work(write=False) as work:
        query = select(HumanTask).where(HumanTask.cycle_id == cycle_id, HumanTask.state == HumanTaskState.OPEN)
        if step:
            query = query.where(HumanTask.step_id == step)
        return list(work.session.scalars(query.order_by(HumanTask.id)))


@pytest.fixture
def open_steps(runtime: Runtime) -> Any:
    return lambda cycle_id, step=None: open_tasks(runtime, cycle_id, step)

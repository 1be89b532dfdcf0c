"""What tests import (not fixtures): the time zone and local instants, the password every test user
has, and reads of what happened (open human tasks, escalations, audit actions, notifications, counts).

Each read runs in a read-only unit of work of its own, so it sees what committed transactions wrote.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from db.models import AuditEvent, Escalation, HumanTask, HumanTaskState, Notification, User
from db.session import make_engine, session_factory
from service.runtime import Runtime, Work, build_runtime
from workflows import Engine

TZ = ZoneInfo("Asia/Shanghai")
# A Monday. The Qingming holiday (4-6 April 2024) and its make-up workday (Sunday 7 April) follow.
T0 = datetime(2024, 4, 1, 9, 0, tzinfo=TZ)
# The password tests/conftest.py's factory gives every user.
PASSWORD = "correct-horse-9"


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """An instant on the wall clock of the district (Asia/Shanghai)."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def open_tasks(runtime: Any, cycle_id: int | None = None, step: str | None = None) -> list[HumanTask]:
    """The open human tasks, oldest first: of one cycle or of all, of one step or of all."""
    with runtime.work(write=False) as work:
        query = select(HumanTask).where(HumanTask.state == HumanTaskState.OPEN)
        if cycle_id is not None:
            query = query.where(HumanTask.cycle_id == cycle_id)
        if step:
            query = query.where(HumanTask.step_id == step)
        return list(work.session.scalars(query.order_by(HumanTask.id)))


def task_row(runtime: Any, task_id: int) -> HumanTask:
    """One human task's row as stored now."""
    with runtime.work(write=False) as work:
        task = work.session.get(HumanTask, task_id)
        assert task is not None
        return task


def rungs_of(runtime: Any, task_id: int) -> list[tuple[int, datetime]]:
    """(level, fired_at) of a human task's escalations, in order."""
    with runtime.work(write=False) as work:
        rows = work.session.execute(
            select(Escalation.level, Escalation.fired_at)
            .where(Escalation.human_task_id == task_id)
            .order_by(Escalation.level)
        ).all()
        return [(r.level, r.fired_at) for r in rows]


def count(runtime: Any, model: Any, *conditions: Any) -> int:
    """How many rows of a model meet the conditions."""
    with runtime.work(write=False) as work:
        return work.session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def actions(runtime: Any, prefix: str = "") -> list[str]:
    """The audit trail's actions in order, those starting with ``prefix``."""
    with runtime.work(write=False) as work:
        found = work.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq))
        return [a for a in found if a.startswith(prefix)]


def notified(runtime: Any, username: str, kind: str | None = None) -> list[Notification]:
    """The in-app notices one person got, oldest first (of one kind, or all)."""
    with runtime.work(write=False) as work:
        query = select(Notification).join(User, User.id == Notification.user_id).where(User.username == username)
        if kind:
            query = query.where(Notification.kind == kind)
        return list(work.session.scalars(query.order_by(Notification.id)))


def new_process(runtime: Any, *, live_cycles: int | None = None) -> None:
    """Makes ``runtime`` what another process (a second gunicorn worker, a restart) would hold: a
    new engine that has parsed no diagram and keeps no cycle live (``live_cycles`` as configured
    unless given), and no memory of deployed versions; the next step deploys from the database
    and reads the stored state."""
    limit = runtime.config.engine.live_cycles if live_cycles is None else live_cycles
    runtime.engine = Engine(runtime._engine_deadline, live_cycles=limit)
    runtime.diagram_digests.clear()
    runtime.diagram_files.clear()


@contextmanager
def unfixed_engine(runtime: Any) -> Iterator[None]:
    """Inside, ``runtime`` is another process running the engine as it was before issue 9's fix:
    its parse leaves multi-instance merges unwired, so completions of co-unit inputs that process
    did not open are accepted but never merged (the state such databases hold). Afterwards the
    runtime is a new process with the fixed engine."""
    import workflows.diagram as diagram_module

    wire = diagram_module.wire_loop_children
    diagram_module.wire_loop_children = lambda _spec: None
    new_process(runtime, live_cycles=0)
    try:
        yield
    finally:
        diagram_module.wire_loop_children = wire
        new_process(runtime)


# The engine mode of the service tests: ``live`` (the default: one engine per runtime, the live-cycle
# cache on, as one process) or ``cold`` (DUBAN_TEST_ENGINE=cold: ``[engine] live_cycles = 0`` and a
# new engine for every unit of work, so every step parses its diagram and reads its stored state, as
# a step that lands on another gunicorn worker or after a restart does).
ENGINE_MODE = os.environ.get("DUBAN_TEST_ENGINE", "live")
if ENGINE_MODE not in ("live", "cold"):
    raise RuntimeError(f"DUBAN_TEST_ENGINE={ENGINE_MODE!r}: expected live or cold")


class ColdRuntime(Runtime):
    """A runtime whose every unit of work meets a new engine (per thread: the live server's request
    threads each get their own), with no diagram parsed and no cycle live, as another process."""

    @property
    def _local(self) -> Any:
        # Set by the dataclass's __init__ (diagram_files) before __post_init__ runs.
        return self.__dict__.setdefault("_thread_local", threading.local())

    @property  # type: ignore[override]
    def engine(self) -> Engine:
        engine = getattr(self._local, "engine", None)
        if engine is None:
            engine = self._local.engine = Engine(self._engine_deadline, live_cycles=0)
        return engine

    @engine.setter
    def engine(self, value: Engine) -> None:
        self._local.engine = value

    @property  # type: ignore[override]
    def diagram_files(self) -> dict[str, tuple[tuple[str, int, int], int, str]]:
        files = getattr(self._local, "files", None)
        if files is None:
            files = self._local.files = {}
        return files

    @diagram_files.setter
    def diagram_files(self, value: dict[str, tuple[tuple[str, int, int], int, str]]) -> None:
        self._local.files = value

    @contextmanager
    def work(self, *, write: bool = True, ip: str | None = None, now: datetime | None = None) -> Iterator[Work]:
        self._local.engine = None  # made on first use: a unit of work that runs no cycle parses nothing
        self._local.files = None
        with super().work(write=write, ip=ip, now=now) as work:
            yield work


def runtime_for_tests(config: Any, clock: Any) -> Runtime:
    """The runtime of the service tests, in the engine mode the run asked for (``ENGINE_MODE``)."""
    if ENGINE_MODE == "live":
        return build_runtime(config, clock)
    db = make_engine(config.database_url, sqlite_synchronous=config.database.sqlite_synchronous)
    return ColdRuntime(config=config, clock=clock, db=db, sessions=session_factory(db))

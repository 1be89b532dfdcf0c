"""What a process holds once: config, clock, database, the workflow engine, the working-day calendar.

Edges (a request, a scheduler job, a CLI command) open a ``Work``: one transaction, one ``now``.
Operations take the ``Work`` and never commit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine as DbEngine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db.session import Sessions, make_engine, session_factory, unit_of_work
from workflows import Engine, StepDefinition

from .clock import Clock, SystemClock
from .config import Config
from .errors import Unavailable
from .workdays import Deadline, WorkCalendar, YearArrangement, deadline_after

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    config: Config
    clock: Clock
    db: DbEngine
    sessions: Sessions
    engine: Engine = field(init=False)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    # Deployed diagram versions this process has met: version id -> content digest.
    diagram_digests: dict[int, str] = field(default_factory=dict)
    # The diagram new cycles run: ((path, mtime, size), version id, digest), read once.
    current_diagram: tuple[tuple[str, int, int], int, str] | None = None
    _calendar_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.engine = Engine(self._engine_deadline, live_cycles=self.config.engine.live_cycles)

    # -- deadlines --------------------------------------------------------------------------
    def working_days_for(self, step: StepDefinition) -> int:
        rules = self.config.deadlines
        if step.working_days is not None:
            return step.working_days
        return rules.steps.get(step.step_id, rules.default_working_days)

    def yellow_before_for(self, step: StepDefinition) -> int:
        """Working days of yellow light before the deadline, never more than the step's own span:
        a one-day step turns yellow on its due day, not the moment it is ready."""
        wanted = step.yellow_before if step.yellow_before is not None else self.config.deadlines.yellow_before
        return min(wanted, self.working_days_for(step))

    def deadline(self, step: StepDefinition, ready_at: datetime) -> Deadline:
        return deadline_after(
            self.calendar, ready_at, self.working_days_for(step), self.yellow_before_for(step), self.config.tz
        )

    def _engine_deadline(self, step: StepDefinition, now: datetime, data: Mapping[str, Any]) -> datetime:
        return self.deadline(step, now).due_at

    def use_calendar(self, arrangements: list[YearArrangement]) -> None:
        with self._calendar_lock:
            self.calendar = WorkCalendar(arrangements)

    # -- units of work ----------------------------------------------------------------------
    @contextmanager
    def work(self, *, write: bool = True, ip: str | None = None, now: datetime | None = None) -> Iterator[Work]:
        try:
            with unit_of_work(self.sessions, write=write) as session:
                yield Work(session=session, now=now or self.clock.now(), runtime=self, ip=ip)
        except OperationalError as exc:
            # The database went away (a restart) or stayed locked past the busy timeout: the
            # transaction was rolled back; the caller may simply try again.
            log.warning("database unavailable: %s", exc.orig)
            raise Unavailable("数据库暂时不可用(连接中断或繁忙),操作未执行,请稍后重试") from exc

    def dispose(self) -> None:
        self.db.dispose()


@dataclass
class Work:
    """One transaction's context: the session, the instant it acts at, the process runtime."""

    session: Session
    now: datetime
    runtime: Runtime
    ip: str | None = None


def build_runtime(config: Config, clock: Clock | None = None, *, database_url: str | None = None) -> Runtime:
    db = make_engine(database_url or config.database_url, sqlite_synchronous=config.database.sqlite_synchronous)
    return Runtime(config=config, clock=clock or SystemClock(), db=db, sessions=session_factory(db))

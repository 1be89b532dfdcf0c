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
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from db.session import Sessions, make_engine, session_factory, unit_of_work
from workflows import Engine, StepDefinition

from .clock import Clock, SystemClock
from .config import Config
from .deadlines import step_deadline
from .errors import NOT_INITIALISED, NotInitialised, Unavailable
from .workdays import Deadline, WorkCalendar, YearArrangement

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
    # The diagrams new cycles run, by config path: ((path, mtime, size), version id, digest), read once.
    diagram_files: dict[str, tuple[tuple[str, int, int], int, str]] = field(default_factory=dict)
    _calendar_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.engine = Engine(self._engine_deadline, live_cycles=self.config.engine.live_cycles)

    # -- deadlines --------------------------------------------------------------------------
    def deadline(
        self,
        step: StepDefinition,
        ready_at: datetime,
        timer_due: datetime | None = None,
        *,
        calendar: WorkCalendar | None = None,
    ) -> Deadline:
        """The one deadline rule (``service/deadlines.py``) with this process's config and calendar
        (or the ``calendar`` given: a recount with years about to be loaded)."""
        return step_deadline(
            calendar or self.calendar, self.config.deadlines, self.config.tz, step, ready_at, timer_due
        )

    def _engine_deadline(self, step: StepDefinition, now: datetime, data: Mapping[str, Any]) -> datetime:
        """What a diagram's ``deadline("step")`` returns: the step's due instant if it became ready now."""
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
        except (OperationalError, ProgrammingError) as exc:
            if _missing_table(exc):
                # Never migrated: say so and how to fix it (``duban db upgrade`` itself reads the
                # calendar before it migrates, so this is no warning).
                log.debug("database not initialised: %s", exc.orig)
                raise NotInitialised(NOT_INITIALISED) from exc
            if isinstance(exc, ProgrammingError):
                raise
            # The database went away (a restart) or stayed locked past the busy timeout: the
            # transaction was rolled back; the caller may simply try again.
            log.warning("database unavailable: %s", exc.orig)
            raise Unavailable("数据库暂时不可用(连接中断或繁忙),操作未执行,请稍后重试") from exc

    def dispose(self) -> None:
        self.db.dispose()


def _missing_table(exc: Exception) -> bool:
    """A table the models know is missing: SQLite's "no such table", PostgreSQL's 42P01."""
    orig = getattr(exc, "orig", None)
    return "no such table" in str(orig) or getattr(orig, "sqlstate", None) == "42P01"


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

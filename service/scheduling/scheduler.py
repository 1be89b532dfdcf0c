"""The scheduler: APScheduler running one pass of every due job (``service/scheduling/jobs.py``) at an interval.

One scheduler acts at a time. On PostgreSQL the active one holds a session advisory lock on a
connection of its own; the others try to take it at every interval, so when the holder dies (its
connection closes, or TCP keepalives give up on it within about half a minute) another takes over
within one interval. On a SQLite file the same is done with an OS file lock beside the database.
Jobs are idempotent besides, so even two schedulers acting at once (or ``duban tick`` run by hand)
never do anything twice.

``duban scheduler`` runs it as its own process (production: never one per web worker);
``duban serve`` runs it in a thread beside the development server.

Time: jobs read the runtime's clock. ``duban scheduler --now ISO [--speed N] [--anchor UNIX-TIME]`` replaces it
with a clock that reads that instant at the anchor (default: when the process starts) and runs N
times as fast as real time: to run "as of" a given day, or to rehearse a quarter in a minute. Given
the same anchor, several scheduler processes agree on the simulated time.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from ..runtime import Runtime
from .jobs import TickReport, run_due_jobs

log = logging.getLogger(__name__)

# An arbitrary constant naming the scheduler's advisory lock (the audit chain uses ...01).
LEADER_LOCK_KEY = 0x6475_6261_6E02


class ShiftedClock:
    """Reads ``start`` at the wall-clock instant ``anchor`` (a Unix time; default: now) and runs
    ``speed`` times as fast as real time from there. Two processes given the same start, speed and
    anchor agree on the time whenever each of them started. Before the anchor the clock stands at
    ``start``: a process that is up early must not act at a time before the one it was given."""

    def __init__(self, start: datetime, speed: float = 1.0, anchor: float | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("ShiftedClock needs a timezone-aware datetime")
        self._start = start
        self._speed = speed
        self._anchor = time.time() if anchor is None else anchor

    def now(self) -> datetime:
        return self._start + timedelta(seconds=max(0.0, time.time() - self._anchor) * self._speed)


# -- who leads ------------------------------------------------------------------------------


class LeaderLock(Protocol):
    def acquire(self) -> bool:
        """True when this process holds the lock (taking it if free); never blocks."""
        ...

    def release(self) -> None: ...


class PostgresLeaderLock:
    """A session advisory lock on a dedicated connection: it dies with the process or the connection."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                "application_name": "duban-scheduler",
                "connect_timeout": 10,
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 3,
            },
        )
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        try:
            if self._connection is not None:
                self._connection.execute(text("SELECT 1"))  # still ours while the connection lives
                return True
            connection = self._engine.connect()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}).scalar()
            if got:
                self._connection = connection
                return True
            connection.close()
            return False
        except SQLAlchemyError as exc:
            log.warning("scheduler leader lock lost or unreachable: %s", exc.__class__.__name__)
            self._drop()
            return False

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._connection.close()
            self._connection = None

    def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LEADER_LOCK_KEY})
        self._drop()
        self._engine.dispose()


class FileLeaderLock:
    """An exclusive ``flock`` on a file beside the SQLite database; the OS drops it with the process."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: IO[str] | None = None

    def acquire(self) -> bool:
        if self._handle is not None:
            return True
        handle = open(self._path, "a+")  # noqa: SIM115 - held open for as long as we lead
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


class NoLock:
    """In-memory databases: there is only this process."""

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass


def leader_lock_for(url: str) -> LeaderLock:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return PostgresLeaderLock(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return FileLeaderLock(Path(parsed.database + ".scheduler.lock"))
    return NoLock()


# -- the loop -------------------------------------------------------------------------------


class SchedulerLoop:
    """One pass per call: as the leader, every due job; otherwise nothing (and try to lead next time)."""

    def __init__(self, runtime: Runtime, lock: LeaderLock, echo: Callable[[str], None] | None = None) -> None:
        self.runtime = runtime
        self.lock = lock
        self.echo = echo or (lambda line: log.info("%s", line))
        self.leading = False
        self._said_waiting = False
        self._guard = threading.Lock()

    def pass_once(self) -> TickReport | None:
        with self._guard:
            if not self.lock.acquire():
                if self.leading or not self._said_waiting:
                    self.echo(f"[{os.getpid()}] 另一个调度器正在运行,本进程等待接替")
                self.leading, self._said_waiting = False, True
                return None
            if not self.leading:
                self.echo(f"[{os.getpid()}] 本进程成为主调度器")
                self.leading = True
            report = run_due_jobs(self.runtime)
            self.echo(f"[{os.getpid()}] {report.now.isoformat()} {report.summary()}")
            return report

    def stop(self) -> None:
        with self._guard:
            self.lock.release()
            self.leading = False


def build_scheduler(loop: SchedulerLoop, *, interval_seconds: float, blocking: bool) -> BaseScheduler:
    scheduler: BaseScheduler = BlockingScheduler(timezone="UTC") if blocking else BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        loop.pass_once,
        "interval",
        seconds=interval_seconds,
        id="duban-pass",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now().astimezone(),  # the first pass at once
        misfire_grace_time=None,
    )
    return scheduler


def start_background_scheduler(runtime: Runtime, *, interval_seconds: int | None = None) -> BackgroundScheduler:
    """The in-process scheduler of the embedded set-up (``duban serve``)."""
    loop = SchedulerLoop(runtime, leader_lock_for(runtime.config.database_url))
    scheduler = build_scheduler(
        loop, interval_seconds=interval_seconds or runtime.config.scheduler.interval_seconds, blocking=False
    )
    assert isinstance(scheduler, BackgroundScheduler)
    scheduler.start()
    return scheduler

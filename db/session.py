"""Database engines and units of work.

A unit of work is one transaction: it commits when its block ends normally and rolls back on any
exception. Only the edges open one (an HTTP request, a scheduler job, a CLI command).

SQLite specifics: WAL mode, foreign keys on, and write transactions begin with ``BEGIN IMMEDIATE``
so that two writers queue on the database lock (for ``busy_timeout``) instead of one of them
failing half-way with "database is locked" when it upgrades a read lock to a write lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

WRITE_OPTION = "duban_write"


def make_engine(url: str, *, sqlite_synchronous: str = "NORMAL", pool_size: int = 10, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})
        _configure_sqlite(engine, sqlite_synchronous)
        return engine
    # No ping before every checkout: it cost a round trip (about a millisecond) on every request.
    # A connection the server dropped fails once, invalidates the pool, and the edge answers 503.
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ValueError(f"unknown sqlite synchronous mode {synchronous!r}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, True)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@dataclass(frozen=True)
class Sessions:
    """Session factories for write and read transactions (SQLite begins them differently)."""

    write: sessionmaker[Session]
    read: sessionmaker[Session]


def session_factory(engine: Engine) -> Sessions:
    def make(write: bool) -> sessionmaker[Session]:
        return sessionmaker(
            bind=engine.execution_options(**{WRITE_OPTION: write}), expire_on_commit=False, autoflush=True
        )

    return Sessions(write=make(True), read=make(False))


@contextmanager
def unit_of_work(sessions: Sessions, *, write: bool = True) -> Iterator[Session]:
    """One transaction: commits when the block ends, rolls back on any exception.
    ``write=False`` lets SQLite readers run beside a writer."""
    session = (sessions.write if write else sessions.read)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

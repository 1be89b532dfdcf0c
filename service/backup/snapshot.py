"""What both ends read of a database: its migration revision, its audit chain, the attachments it refers to."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from db.migrate import alembic_config
from db.models import Attachment

from ..operations.common.audit import Anchor, ChainReport, verify_chain
from .manifest import BackupError


@dataclass(frozen=True)
class State:
    revision: str
    chain: ChainReport
    attachments: tuple[str, ...]  # distinct sha256s the attachment rows name


def read_state(connection: Connection) -> State:
    """Read inside the caller's transaction (so, for a backup, inside its snapshot)."""
    heads = MigrationContext.configure(connection).get_current_heads()
    session = Session(bind=connection)
    try:
        chain = verify_chain(session)
        shas = tuple(session.scalars(select(Attachment.sha256).distinct().order_by(Attachment.sha256)))
    finally:
        session.close()
    return State(",".join(sorted(heads)), chain, shas)


def verify(connection: Connection, anchors: tuple[Anchor, ...]) -> ChainReport:
    session = Session(bind=connection)
    try:
        return verify_chain(session, anchors=anchors)
    finally:
        session.close()


def code_revision(url: str) -> str:
    """The migration revision this code's schema is at (its Alembic heads)."""
    return ",".join(sorted(ScriptDirectory.from_config(alembic_config(url)).get_heads()))


def engine_name(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"不支持备份 {backend} 数据库(只支持 SQLite 和 PostgreSQL)")
    return backend


def sqlite_path(url: str) -> str:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("内存中的 SQLite 数据库无法备份或恢复")
    return database


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"找不到 {name}:请安装与数据库服务器同一主版本的 PostgreSQL 客户端(postgresql-client)")
    return found


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for pg_dump/pg_restore, and the environment that carries the password
    (never on the command line, where `ps` shows it)."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env

"""`restore_backup`: a backup into an empty database, checked before it says done."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, inspect, text

from ..config import Config
from ..operations.common.audit import Anchor
from .manifest import BackupError, Manifest, file_sha256
from .snapshot import code_revision, engine_name, libpq, pg_tool, read_state, sqlite_path, verify


@dataclass(frozen=True)
class RestoreReport:
    manifest: Manifest
    audit_events: int
    attachments: int  # files written into the attachment store (the others were there already)


def restore_backup(config: Config, source: Path, anchors: tuple[Anchor, ...] = ()) -> RestoreReport:
    """Restore the backup in `source` into the configured database, which must be empty (no tables).

    In order, refusing with a BackupError at the first that fails: the manifest is readable; every file
    has the size and sha256 the manifest gives; the backup is of this database engine and of the
    migration revision this code is at; the target is empty. Then the database is restored and its audit
    chain verified up to the manifest's head (and any `anchors` kept elsewhere), its revision and
    attachment rows read back; if that fails the restored tables are dropped again (the target is left
    empty, as found). Only then are the attachments copied into the store."""
    manifest = Manifest.read(source)
    manifest.check_files(source)
    url = config.database_url
    engine = engine_name(url)
    if manifest.engine != engine:
        raise BackupError(f"这是 {manifest.engine} 数据库的备份,目标是 {engine} 数据库:只能恢复到同类数据库")
    revision = code_revision(url)
    if manifest.migration_revision != revision:
        raise BackupError(
            f"备份的数据库结构版本是 {manifest.migration_revision},本程序的是 {revision}:"
            "请用与备份时相同版本的 duban 恢复,恢复后再升级(duban db upgrade)"
        )
    target = create_engine(url)
    try:
        _ensure_empty(target)
        target.dispose()  # pg_restore and sqlite3 write on connections of their own
        database = source / manifest.database_file
        if engine == "sqlite":
            _restore_sqlite(database, sqlite_path(url))
        else:
            _restore_postgresql(database, url)
        try:
            events = _check_restored(target, manifest, anchors)
        except BackupError:
            _drop_everything(target)
            raise
    finally:
        target.dispose()
    written = _copy_attachments(source, manifest, config.path(config.attachments.storage_dir))
    return RestoreReport(manifest, events, written)


def _ensure_empty(engine: Engine) -> None:
    tables = inspect(engine).get_table_names()
    if tables:
        shown = "、".join(sorted(tables)[:5]) + ("等" if len(tables) > 5 else "")
        raise BackupError(
            f"目标数据库不是空的(已有 {len(tables)} 张表:{shown}):只能恢复到新建的空数据库,不会覆盖已有数据"
        )


def _restore_sqlite(backup: Path, path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(path, timeout=30)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=WAL")  # as the service runs it (db/session.py)
        finally:
            target.close()
    finally:
        source.close()


def _restore_postgresql(backup: Path, url: str) -> None:
    pg_restore = pg_tool("pg_restore")
    uri, env = libpq(url)
    command = [pg_restore, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    try:
        done = subprocess.run(
            [*command, f"--dbname={uri}", str(backup)], capture_output=True, text=True, env=env, check=False
        )
    except OSError as exc:
        raise BackupError(f"无法运行 pg_restore:{exc}") from None
    if done.returncode != 0:  # --single-transaction: nothing of it was kept
        raise BackupError(f"pg_restore 失败,目标数据库未改动:{done.stderr.strip()}")


def _check_restored(engine: Engine, manifest: Manifest, anchors: tuple[Anchor, ...]) -> int:
    head = Anchor.parse(manifest.audit_head) if manifest.audit_head else None
    with engine.connect() as connection:
        state = read_state(connection)
        report = verify(connection, (*anchors, *([head] if head else [])))
    if state.revision != manifest.migration_revision:
        raise BackupError(f"恢复出的数据库结构版本是 {state.revision},与清单的 {manifest.migration_revision} 不符")
    if not report.ok:
        raise BackupError(
            f"恢复出的审计日志在第 {report.broken_at} 个事件处不成立:{report.reason};已撤销恢复,目标数据库仍为空"
        )
    if report.checked != manifest.audit_events or str(report.head) != str(manifest.audit_head or None):
        raise BackupError(
            f"恢复出的审计日志止于 {report.head}({report.checked} 个事件),清单记录 {manifest.audit_head}"
            f"({manifest.audit_events} 个事件);已撤销恢复,目标数据库仍为空"
        )
    have = {entry.path.rsplit("/", 1)[-1] for entry in manifest.attachments()} | set(manifest.missing_attachments)
    unlisted = sorted(set(state.attachments) - have)
    if unlisted:
        raise BackupError(f"数据库引用的附件 {unlisted[0]} 等 {len(unlisted)} 个不在备份清单中;已撤销恢复")
    return report.checked


def _drop_everything(engine: Engine) -> None:
    """Leave the target as it was found: empty."""
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for (name,) in connection.execute(
                text(
                    "SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                    "WHERE n.nspname = current_schema() AND t.typtype = 'e'"
                )
            ):
                connection.execute(text(f'DROP TYPE IF EXISTS "{name}" CASCADE'))


def _copy_attachments(source: Path, manifest: Manifest, storage: Path) -> int:
    written = 0
    for entry in manifest.attachments():
        sha = entry.sha256
        destination = storage / sha[:2] / sha
        if destination.is_file() and file_sha256(destination) == sha:
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(f".{sha}.{os.getpid()}")
        shutil.copyfile(source / entry.path, partial)
        os.replace(partial, destination)
        written += 1
    return written

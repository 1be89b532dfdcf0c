"""`make_backup`: a consistent copy while the service runs."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from ..config import Config
from .manifest import ATTACHMENTS, DATABASE_FILES, BackupError, FileEntry, Manifest, entry_for, file_sha256
from .snapshot import State, engine_name, libpq, pg_tool, read_state, sqlite_path


def make_backup(config: Config, target: Path, now: datetime) -> Manifest:
    """Write a backup of the configured database and its attachments into `target` (a new or empty
    directory). The database is copied from one snapshot (SQLite: the online backup API; PostgreSQL:
    ``pg_dump --format=custom`` on a snapshot exported by the transaction that also reads the manifest's
    facts), so writes during the backup are either wholly in it or not at all. The backup is written
    beside `target` and renamed into place at the end: no half-written backup is left under its name.
    `now` (aware) is recorded as the manifest's ``created_at`` in UTC. Raises BackupError."""
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} 已存在且不是空目录:备份不会覆盖已有文件,请换一个路径")
    url = config.database_url
    engine = engine_name(url)
    work = target.parent / f".{target.name}.partial-{os.getpid()}"
    target.parent.mkdir(parents=True, exist_ok=True)
    _clear_abandoned(target)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        database = work / DATABASE_FILES[engine]
        state = _sqlite(url, database) if engine == "sqlite" else _postgresql(url, database)
        files = [entry_for(work, database)]
        copied, missing = _attachments(config.path(config.attachments.storage_dir), work / ATTACHMENTS, state)
        files += copied
        manifest = Manifest(
            engine=engine,
            migration_revision=state.revision,
            audit_head=str(state.chain.head) if state.chain.head else None,
            audit_events=state.chain.checked,
            created_at=now.astimezone(UTC).isoformat(timespec="seconds"),
            files=tuple(files),
            missing_attachments=tuple(missing),
        )
        if not state.chain.ok:
            raise BackupError(
                f"审计日志在第 {state.chain.broken_at} 个事件处断裂({state.chain.reason}):"
                "这样的备份无法通过恢复时的核验。请先用 duban audit verify 查明原因"
            )
        manifest.write(work)
        if target.exists():
            target.rmdir()
        work.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def _clear_abandoned(target: Path) -> None:
    """Partial copies of the same backup left by a run that was killed (its process is gone)."""
    for stale in target.parent.glob(f".{target.name}.partial-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(stale, ignore_errors=True)
        except PermissionError:
            continue  # another user's live process


def _sqlite(url: str, database: Path) -> State:
    source = sqlite3.connect(sqlite_path(url), timeout=30)
    try:
        copy = sqlite3.connect(database)
        try:
            source.backup(copy)  # one step: the copy is the database as of one read transaction
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            copy.close()
    finally:
        source.close()
    reader = create_engine(f"sqlite:///{database}")
    try:
        with reader.connect() as connection:
            return read_state(connection)
    finally:
        reader.dispose()


def _postgresql(url: str, database: Path) -> State:
    pg_dump = pg_tool("pg_dump")
    reader = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with reader.connect() as connection:
            connection.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            state = read_state(connection)
            uri, env = libpq(url)
            with _running("pg_dump"):
                done = subprocess.run(
                    [
                        pg_dump,
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        "--no-owner",
                        "--no-privileges",
                        f"--file={database}",
                        f"--dbname={uri}",
                    ],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=False,
                )
            if done.returncode != 0:
                raise BackupError(f"pg_dump 失败:{done.stderr.strip()}")
            connection.rollback()
    finally:
        reader.dispose()
    return state


@contextmanager
def _running(tool: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise BackupError(f"无法运行 {tool}:{exc}") from None


def _attachments(storage: Path, into: Path, state: State) -> tuple[list[FileEntry], list[str]]:
    """Copy the files the snapshot's rows refer to (content-addressed: a file is never rewritten, so
    copying after the snapshot is consistent). A file missing or no longer matching its name is
    left out and listed."""
    copied: list[FileEntry] = []
    missing: list[str] = []
    for sha in state.attachments:
        source = storage / sha[:2] / sha
        if not source.is_file() or file_sha256(source) != sha:
            missing.append(sha)
            continue
        destination = into / sha[:2] / sha
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        digest = file_sha256(destination)
        if digest != sha:  # changed under us: never keep a copy that does not match its name
            destination.unlink()
            missing.append(sha)
            continue
        copied.append(FileEntry(destination.relative_to(into.parent).as_posix(), destination.stat().st_size, sha))
    return copied, missing

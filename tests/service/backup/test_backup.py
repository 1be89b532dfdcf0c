"""Backup and restore (issue 15 item 8) on the engine the suite runs on (SQLite, or PostgreSQL with
DUBAN_TEST_DATABASE_URL): a populated database round-trips, row for row and file for file; a restore
refuses a non-empty target, a tampered file, another migration revision and a chain that does not reach
the manifest's head, and leaves the target empty when it refuses."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, inspect, select, update

from db.models import AuditEvent, Base
from service.backup import BackupError, make_backup, restore_backup
from service.backup.manifest import file_sha256


def _rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [tuple(row) for row in connection.execute(table.select().order_by(*table.primary_key))]
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_populated_database_round_trips(attachment_bytes, runtime, config, populated, target, clock, tmp_path):
    backup = tmp_path / "backup"
    manifest = make_backup(config, backup, clock.now())
    with runtime.work(write=False) as work:
        last = work.session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc())).first()
    assert manifest.audit_head == f"{last.seq}:{last.hash}" and manifest.audit_events == last.seq
    written = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert written["audit"]["head"] == manifest.audit_head
    assert [entry["path"] for entry in written["files"]][1:] == [f"attachments/{populated[:2]}/{populated}"]
    assert all(file_sha256(backup / entry["path"]) == entry["sha256"] for entry in written["files"])

    report = restore_backup(target, backup)

    assert report.audit_events == last.seq and report.attachments == 1
    source, restored = _rows(config.database_url), _rows(target.database_url)
    assert all(source[name] for name in ("units", "users", "cycles", "human_tasks", "attachments", "audit_events"))
    assert restored == source
    stored = target.path(target.attachments.storage_dir) / populated[:2] / populated
    assert stored.read_bytes() == attachment_bytes


def test_restore_refuses_a_target_that_is_not_empty(config, populated, target, clock, tmp_path):
    make_backup(config, tmp_path / "backup", clock.now())
    restore_backup(target, tmp_path / "backup")
    with pytest.raises(BackupError, match="目标数据库不是空的"):
        restore_backup(target, tmp_path / "backup")


def test_restore_refuses_a_tampered_file_before_touching_the_target(
    attachment_bytes, config, populated, target, clock, tmp_path
):
    backup = tmp_path / "backup"
    make_backup(config, backup, clock.now())
    attachment = backup / "attachments" / populated[:2] / populated
    attachment.write_bytes(attachment_bytes.replace("已完成".encode(), "未完成".encode()))
    with pytest.raises(BackupError, match=f"备份文件 attachments/{populated[:2]}/{populated} 被改动:sha256"):
        restore_backup(target, backup)
    (backup / "attachments" / populated[:2] / populated).unlink()
    with pytest.raises(BackupError, match="缺失"):
        restore_backup(target, backup)
    assert _tables(target.database_url) == []


def test_restore_refuses_another_migration_revision(config, populated, target, clock, tmp_path):
    backup = tmp_path / "backup"
    make_backup(config, backup, clock.now())
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    manifest["migration_revision"] = "0001"
    (backup / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BackupError, match="备份的数据库结构版本是 0001,本程序的是"):
        restore_backup(target, backup)
    assert _tables(target.database_url) == []


def test_a_chain_that_does_not_reach_the_manifests_head_is_undone(config, populated, target, clock, tmp_path):
    """A manifest rewritten to name another head (or a database rewritten with its manifest): the restore
    verifies the chain it restored, refuses, and drops what it restored."""
    backup = tmp_path / "backup"
    manifest = make_backup(config, backup, clock.now())
    raw = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    seq = manifest.audit_head.split(":")[0]
    raw["audit"]["head"] = f"{seq}:{'0' * 64}"
    (backup / "manifest.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(BackupError, match="已撤销恢复,目标数据库仍为空"):
        restore_backup(target, backup)
    assert _tables(target.database_url) == []
    raw["audit"]["head"] = manifest.audit_head
    (backup / "manifest.json").write_text(json.dumps(raw), encoding="utf-8")
    assert restore_backup(target, backup).audit_events == manifest.audit_events  # the same backup, intact


def test_a_backup_of_a_broken_chain_is_refused_and_leaves_nothing(runtime, config, populated, clock, tmp_path):
    with runtime.work() as work:
        work.session.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(ip="10.0.0.66"))
    with pytest.raises(BackupError, match="审计日志在第 2 个事件处断裂"):
        make_backup(config, tmp_path / "backup", clock.now())
    assert list(tmp_path.glob("*backup*")) == []


def test_a_backup_never_overwrites(config, populated, clock, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "notes.txt").write_text("keep me")
    with pytest.raises(BackupError, match="已存在且不是空目录"):
        make_backup(config, tmp_path / "backup", clock.now())
    assert (tmp_path / "backup" / "notes.txt").read_text() == "keep me"


def test_restore_of_a_directory_that_is_no_backup(target, tmp_path):
    with pytest.raises(BackupError, match=r"没有 manifest\.json:不是 duban 的备份"):
        restore_backup(target, tmp_path)


def test_a_backup_taken_during_a_write_holds_none_of_it(runtime, config, populated, world, target, clock, tmp_path):
    """The service keeps running: a transaction open while the backup is made is not in it, and the
    backup neither waits for it nor blocks it."""
    from service.operations.common import audit

    with runtime.work() as work:
        before = audit.chain_head(work.session)
        audit.record(work, world.supervisor, "test.during_backup")
        work.session.flush()
        manifest = make_backup(config, tmp_path / "backup", clock.now())
    assert manifest.audit_head == str(before)
    with runtime.work(write=False) as work:
        assert audit.chain_head(work.session).seq == before.seq + 1  # the write committed after all
    assert restore_backup(target, tmp_path / "backup").audit_events == before.seq

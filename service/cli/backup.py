"""``duban backup PATH`` and ``duban restore PATH``: see service/backup/."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .audit import _anchor
from .base import main, runtime


@main.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
def backup(path: Path) -> None:
    """Copy the database and its attachments into the new directory PATH while the service runs, with a
    manifest (sizes, sha256, migration revision, audit head). Exit status 1 if it could not."""
    from ..backup import BackupError, make_backup

    run = runtime()
    try:
        manifest = make_backup(run.config, path, run.clock.now())
    except BackupError as exc:
        click.echo(f"备份失败:{exc}", err=True)
        sys.exit(1)
    attachments = manifest.attachments()
    size = sum(entry.size for entry in manifest.files)
    click.echo(
        f"备份完成:{path}({manifest.engine},结构版本 {manifest.migration_revision},"
        f"{len(attachments)} 个附件,共 {size:,} 字节)"
    )
    click.echo(f"审计日志链头(请另行保存):{manifest.audit_head or '(空)'},共 {manifest.audit_events} 个事件")
    if manifest.missing_attachments:
        click.echo(
            f"注意:{len(manifest.missing_attachments)} 个附件在存储目录中缺失或内容不符,未能备份:"
            + "、".join(manifest.missing_attachments[:5]),
            err=True,
        )


@main.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    callback=_anchor,
    metavar="SEQ:HASH",
    help="An audit head kept outside the backup: the restored chain must reach it, unchanged.",
)
def restore(path: Path, anchors: tuple[Any, ...]) -> None:
    """Restore the backup in PATH into the configured database, which must be empty; done only once
    the files match the manifest and the audit chain verifies. Exit status 1 if it could not."""
    from ..backup import BackupError, restore_backup

    run = runtime()
    run.db.dispose()  # the process's own connections stay off the file being restored
    try:
        report = restore_backup(run.config, path, anchors)
    except BackupError as exc:
        click.echo(f"恢复失败:{exc}", err=True)
        sys.exit(1)
    manifest = report.manifest
    click.echo(
        f"恢复完成:{manifest.created_at} 的备份,结构版本 {manifest.migration_revision};"
        f"文件与清单相符,审计日志 {report.audit_events} 个事件完整,链头 {manifest.audit_head or '(空)'} 相符;"
        f"附件 {len(manifest.attachments())} 个"
    )

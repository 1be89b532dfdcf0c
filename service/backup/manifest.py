"""manifest.json: what a backup holds, and the check that it still holds exactly that."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "duban-backup/1"
MANIFEST = "manifest.json"
ATTACHMENTS = "attachments"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup that cannot be made or restored; the message says why and what to do."""


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative to the backup directory, with forward slashes
    size: int  # bytes
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """`created_at` is UTC (ISO 8601); `audit_head` is ``SEQ:HASH`` (None for an empty trail)."""

    engine: str  # "sqlite" | "postgresql"
    migration_revision: str
    audit_head: str | None
    audit_events: int
    created_at: str
    files: tuple[FileEntry, ...] = ()
    missing_attachments: tuple[str, ...] = field(default=())  # referenced rows whose bytes were not on disk

    @property
    def database_file(self) -> str:
        return DATABASE_FILES[self.engine]

    def attachments(self) -> list[FileEntry]:
        return [entry for entry in self.files if entry.path.startswith(ATTACHMENTS + "/")]

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "engine": self.engine,
            "migration_revision": self.migration_revision,
            "audit": {"head": self.audit_head, "events": self.audit_events},
            "created_at": self.created_at,
            "files": [{"path": e.path, "size": e.size, "sha256": e.sha256} for e in self.files],
            "missing_attachments": list(self.missing_attachments),
        }

    def write(self, directory: Path) -> None:
        text = json.dumps(self.as_json(), ensure_ascii=False, indent=2)
        (directory / MANIFEST).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        """Raises BackupError when the directory holds no readable manifest of this format."""
        path = directory / MANIFEST
        if not directory.is_dir():
            raise BackupError(f"备份目录 {directory} 不存在")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BackupError(f"{directory} 中没有 {MANIFEST}:不是 duban 的备份") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise BackupError(f"{path} 无法读取(不是有效的 JSON:{exc}),备份清单已损坏") from None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise BackupError(f"{path} 的格式不是 {FORMAT},无法恢复")
        try:
            audit = raw["audit"]
            manifest = cls(
                engine=str(raw["engine"]),
                migration_revision=str(raw["migration_revision"]),
                audit_head=audit["head"],
                audit_events=int(audit["events"]),
                created_at=str(raw["created_at"]),
                files=tuple(FileEntry(str(f["path"]), int(f["size"]), str(f["sha256"])) for f in raw["files"]),
                missing_attachments=tuple(str(s) for s in raw.get("missing_attachments", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BackupError(f"{path} 缺少或写错了字段 {exc}:备份清单已损坏") from None
        if manifest.engine not in DATABASE_FILES:
            raise BackupError(f"{path}:未知的数据库类型 {manifest.engine!r}")
        if manifest.database_file not in {entry.path for entry in manifest.files}:
            raise BackupError(f"{path} 没有列出数据库文件 {manifest.database_file}:备份清单已损坏")
        return manifest

    def check_files(self, directory: Path) -> None:
        """Every listed file is there with its size and sha256; raises BackupError naming the first
        that is not (a file edited, truncated, replaced or deleted after the backup was made)."""
        root = directory.resolve()
        for entry in self.files:
            path = (root / entry.path).resolve()
            if root not in path.parents:
                raise BackupError(f"备份清单中的路径 {entry.path!r} 指向备份目录之外:备份清单已被改动")
            if not path.is_file():
                raise BackupError(f"备份文件 {entry.path} 缺失:备份不完整,不能恢复")
            size = path.stat().st_size
            if size != entry.size:
                raise BackupError(
                    f"备份文件 {entry.path} 被改动:大小为 {size} 字节,清单记录 {entry.size} 字节;不能恢复"
                )
            digest = file_sha256(path)
            if digest != entry.sha256:
                raise BackupError(f"备份文件 {entry.path} 被改动:sha256 为 {digest},清单记录 {entry.sha256};不能恢复")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def entry_for(directory: Path, path: Path) -> FileEntry:
    return FileEntry(path.relative_to(directory).as_posix(), path.stat().st_size, file_sha256(path))

"""Backups: a consistent copy of the database and the attachments while the service runs, and its restore.

`make_backup` (``duban backup PATH``) writes a directory: the database (SQLite's online backup API, or
``pg_dump --format=custom`` on one exported snapshot), the attachments the copy refers to, and
``manifest.json`` (every file's size and sha256, the migration revision, the audit chain's head
``SEQ:HASH``). `restore_backup` (``duban restore PATH``) restores it into an empty database and says done
only after the files match the manifest and the restored audit chain verifies up to the head the
manifest names. Both raise `BackupError` with a message for the operator (Chinese, like every message).
"""

from .make import make_backup
from .manifest import BackupError, Manifest
from .restore import RestoreReport, restore_backup

__all__ = ["BackupError", "Manifest", "RestoreReport", "make_backup", "restore_backup"]

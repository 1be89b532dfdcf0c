"""A backup killed with SIGKILL while it writes (issue 15 item 10): under its name there is either
nothing or a whole backup that restores; the next run makes a whole one. `duban backup` runs as a
separate process on the test's database, as cron runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from service.backup import restore_backup
from service.config import REPO_ROOT

DUBAN = Path(sys.executable).parent / "duban"


def _config_file(config, tmp_path: Path) -> Path:
    path = tmp_path / "duban.toml"
    path.write_text(
        f'[database]\nurl = "{config.database_url}"\n'
        f'[server]\nsecret_key_file = "{tmp_path / "secret_key"}"\n'
        f'[attachments]\nstorage_dir = "{config.path(config.attachments.storage_dir)}"\n'
        f'[engine]\ndiagram = "{REPO_ROOT / "bpmn" / "key_task_cycle.bpmn"}"\n'
        f'closing_diagram = "{REPO_ROOT / "bpmn" / "key_task_closing.bpmn"}"\n',
        encoding="utf-8",
    )
    return path


def test_a_backup_killed_midway_leaves_no_backup_under_its_name(config, populated, target, tmp_path):
    """`populated` holds an attachment, so the copy has files to write besides the database."""
    env = {**os.environ, "DUBAN_CONFIG": str(_config_file(config, tmp_path))}
    env.pop("DUBAN_DATABASE_URL", None)
    backup = tmp_path / "backups" / "nightly"
    backup.parent.mkdir()
    process = subprocess.Popen(
        [str(DUBAN), "backup", str(backup)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while process.poll() is None and not list(backup.parent.glob(".nightly.partial-*")) and time.monotonic() < deadline:
        time.sleep(0.002)  # waiting for the moment to kill, not for time to pass in the product
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    if backup.exists():  # it had finished: then it is whole
        restore_backup(target, backup)
        return
    again = subprocess.run([str(DUBAN), "backup", str(backup)], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "备份完成" in again.stdout
    assert restore_backup(target, backup).audit_events > 0
    assert list(backup.parent.iterdir()) == [backup]  # the killed run's partial copy is cleared away

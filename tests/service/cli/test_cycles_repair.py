"""`duban cycles repair` and `duban db upgrade`'s data migration step, run as separate processes
on the test's database, which holds cycles genuinely stuck by issue 9 (the ``stuck`` fixture)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import actions, open_tasks

DUBAN = Path(sys.executable).parent / "duban"


def duban(database_url: str, *args: str, expect: int = 0) -> str:
    env = {**os.environ, "DUBAN_DATABASE_URL": database_url, "DUBAN_SECRET_KEY": "test-secret"}
    env.pop("DUBAN_CONFIG", None)
    done = subprocess.run([str(DUBAN), *args], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == expect, (args, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_repair_dry_run_then_repair_then_nothing(runtime, database_url, world, stuck):
    dry = duban(database_url, "cycles", "repair", "--dry-run")
    assert f"办理周期 #{stuck['all_elsewhere']}" in dry and "将开启:汇总报送" in dry
    assert "检查了 3 个办理中的办理周期:需修复 3 个" in dry
    assert open_tasks(runtime, stuck["all_elsewhere"]) == [] and actions(runtime, "cycle.repaired") == []

    done = duban(database_url, "cycles", "repair")
    lines = {line.split(":", 1)[0]: line for line in done.splitlines()}
    task = world.key_task.id
    assert "已补入 2 个未汇入的结果" in lines[f"办理周期 #{stuck['all_elsewhere']}(重点任务 {task},2024-Q2)"]
    assert "已开启:汇总报送" in lines[f"办理周期 #{stuck['all_elsewhere']}(重点任务 {task},2024-Q2)"]
    assert "已补入 1 个未汇入的结果" in lines[f"办理周期 #{stuck['half']}(重点任务 {task},2024-Q4)"]
    assert "已修复 3 个" in done
    assert [t.step_id for t in open_tasks(runtime, stuck["all_elsewhere"])] == ["consolidate"]
    assert len(actions(runtime, "cycle.repaired")) == 3

    again = duban(database_url, "cycles", "repair")
    assert "已修复 0 个" in again and "#" not in again
    assert len(actions(runtime, "cycle.repaired")) == 3
    assert "审计日志完整" in duban(database_url, "audit", "verify")


def test_db_upgrade_repairs_as_its_data_migration_step(runtime, database_url, stuck):
    first = duban(database_url, "db", "upgrade")
    assert "数据库已迁移到最新版本" in first and "数据迁移:修复办理周期(duban cycles repair)" in first
    assert "已修复 3 个" in first and "已开启:汇总报送" in first
    assert [t.step_id for t in open_tasks(runtime, stuck["all_elsewhere"])] == ["consolidate"]
    second = duban(database_url, "db", "upgrade")
    assert "已修复 0 个" in second
    assert len(actions(runtime, "cycle.repaired")) == 3

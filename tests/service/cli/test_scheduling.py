"""`duban tick`, `duban calendar` and `duban scheduler`, run as an operator runs them: separate
processes on a database file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

DUBAN = Path(sys.executable).parent / "duban"

YEAR_2027 = """year = 2027
source = "测试"

[[holidays]]
name = "春节"
off = ["2027-02-05..2027-02-11"]
workdays = ["2027-02-14", "2027-02-20"]
"""


def environment(database: Path) -> dict[str, str]:
    env = {**os.environ, "DUBAN_DATABASE_URL": f"sqlite:///{database}", "DUBAN_SECRET_KEY": "test-secret"}
    env.pop("DUBAN_CONFIG", None)
    return env


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A database migrated and loaded with the demo (units, accounts, the 2024 plan) once."""
    database = tmp_path_factory.mktemp("sched-cli") / "template.sqlite3"
    for args in (("db", "upgrade"), ("demo", "load")):
        done = subprocess.run(
            [str(DUBAN), *args], capture_output=True, text=True, env=environment(database), timeout=300
        )
        assert done.returncode == 0, done.stderr
    return database


@pytest.fixture
def duban(template, tmp_path):
    database = tmp_path / "duban.sqlite3"
    shutil.copy(template, database)
    env = environment(database)

    def run(*args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(DUBAN), *args], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == expect, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    run.env = env  # type: ignore[attr-defined]
    run.database = database  # type: ignore[attr-defined]
    return run


def test_tick_runs_every_due_job_once_as_of_a_time(duban):
    # The demo plays its plan as this year's; this test ticks through 2024, so it makes it 2024's.
    with sqlite3.connect(duban.database) as connection:
        connection.execute("UPDATE plans SET year = 2024")
    first = duban("tick", "--now", "2024-07-01T09:00")
    assert first.stdout.startswith("时间 2024-07-01T09:00:00+08:00: ")
    assert "轮次 2024-Q3: 启动办理周期" in first.stdout and "新启动办理周期 14" in first.stdout
    again = duban("tick", "--now", "2024-07-01T09:00:00+08:00")
    assert "新启动办理周期 0,提醒 0,催办 0,督办 0" in again.stdout
    later = duban("tick", "--now", "2024-07-03T09:30")  # dispatch due 2 July: 催办 on the 3rd
    assert "催办 14" in later.stdout
    bad = duban("tick", "--now", "明天早上", expect=2)
    assert "不是 ISO 时间" in bad.stderr


def test_calendar_load_and_list(duban, tmp_path):
    good = tmp_path / "2027.toml"
    good.write_text(YEAR_2027, encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(YEAR_2027.replace("02-14", "02-15"), encoding="utf-8")
    refused = duban("calendar", "load", str(bad), expect=1)
    assert "第 7 行" in refused.stderr and "星期一" in refused.stderr
    missing = duban("calendar", "load", str(tmp_path / "nope.toml"), expect=1)
    assert "无法读取" in missing.stderr
    loaded = duban("calendar", "load", str(good))
    assert "已导入 2027 年放假安排: 放假 7 天,调休上班 2 天" in loaded.stdout
    listed = json.loads(duban("calendar", "list", "--json").stdout)
    assert {y["year"]: y["basis"] for y in listed["years"]}[2027] == "loaded"
    assert "已替换" in duban("calendar", "load", str(good)).stdout


def wait_for(path: Path, text: str, seconds: float = 60) -> str:
    """Waits for a scheduler process to print ``text`` (the processes run in real time)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        content = path.read_text(encoding="utf-8") if path.exists() else ""
        if text in content:
            return content
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not printed within {seconds}s:\n{path.read_text(encoding='utf-8')}")


def test_one_scheduler_leads_and_another_takes_over(duban, tmp_path):
    """On a SQLite file the leader holds a file lock; the second process waits, then takes over."""
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    command = [str(DUBAN), "scheduler", "--now", "2024-07-01T08:00+08:00", "--interval", "0.2"]
    first = subprocess.Popen(command, stdout=logs[0].open("w"), stderr=subprocess.STDOUT, env=duban.env)
    try:
        wait_for(logs[0], "本进程成为主调度器")
        second = subprocess.Popen(command, stdout=logs[1].open("w"), stderr=subprocess.STDOUT, env=duban.env)
        try:
            wait_for(logs[1], "另一个调度器正在运行,本进程等待接替")
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
            log = wait_for(logs[1], "本进程成为主调度器")
            assert "Traceback" not in log
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=30) == 0
            assert "调度器已停止" in logs[1].read_text(encoding="utf-8")
        finally:
            if second.poll() is None:
                second.kill()
    finally:
        if first.poll() is None:
            first.kill()


def test_a_rehearsal_clock_never_runs_before_its_start():
    """Processes started before the shared anchor stand at the given start, not days before it."""
    import time as wall
    from datetime import datetime, timedelta, timezone

    from service.scheduling.scheduler import ShiftedClock

    start = datetime(2024, 4, 1, tzinfo=timezone.utc)
    assert ShiftedClock(start, speed=150_000, anchor=wall.time() + 60).now() == start
    running = ShiftedClock(start, speed=1000, anchor=wall.time() - 2).now()
    assert running >= start + timedelta(seconds=2000)

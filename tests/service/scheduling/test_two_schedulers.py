"""Two `duban scheduler` processes on PostgreSQL through a simulated quarter with 1,000 overdue steps:
one leads (advisory lock), the other waits; the leader is killed mid-run, the other takes over, and
every escalation still happens exactly once, with its audit event and notices once.

The processes run a clock that starts at 1 April 2024 08:00 and runs 150,000 times as fast as real
time (``--now … --speed … --anchor …``, the same anchor for both), so April to early June passes
in about 40 seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent, Escalation, HumanTask, Notification, Role
from service.operations.cycles.complete import complete_human_task
from service.operations.cycles.start import start_cycle
from tests.helpers import local

DUBAN = Path(sys.executable).parent / "duban"
SPEED = 150_000
KEY_TASKS = 100
CO_UNITS = 10


@pytest.fixture
def thousand_overdue(runtime, make):
    """100 cycles, each with 10 co-unit inputs nobody gives: their deadlines spread over April."""
    supervisor = make.user(Role.SUPERVISOR, username="duchashi")
    make.user(Role.LEADER, username="lingdao")
    lead = make.unit("区牵头局")
    lead_head = make.user(Role.UNIT_HEAD, lead, username="lead_head")
    co_units = [make.unit(f"区配合单位{n}") for n in range(CO_UNITS)]
    for unit in co_units:
        make.user(Role.UNIT_HEAD, unit)
    plan = make.plan("测试方案")
    for n in range(KEY_TASKS):
        key_task = make.key_task([lead], co_units, plan=plan, number=n + 1)
        started = local(2024, 3, 25, 9)
        with runtime.work(now=started) as work:
            dispatch = start_cycle(work, supervisor, key_task.id, "2024-Q2").opened[0]
            sign_for = complete_human_task(work, supervisor, dispatch.id).opened[0]
        # Signed for on one of 20 days from 26 March: the inputs fall due over three weeks of April.
        with runtime.work(
            now=local(2024, 3, 26 + n % 20, 10) if n % 20 < 6 else local(2024, 4, n % 20 - 5, 10)
        ) as work:
            complete_human_task(work, lead_head, sign_for.id)
    with runtime.work(write=False) as work:
        assert (
            work.session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.step_id == "co_input"))
            == 1000
        )


def scheduler(env: dict[str, str], log: Path, anchor: float) -> subprocess.Popen[bytes]:
    command = [
        str(DUBAN),
        "scheduler",
        "--now",
        "2024-04-01T08:00+08:00",
        "--speed",
        str(SPEED),
        "--anchor",
        str(anchor),
        "--interval",
        "0.25",
    ]
    return subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)


def escalation_count(runtime) -> int:
    with runtime.work(write=False) as work:
        return work.session.scalar(select(func.count()).select_from(Escalation)) or 0


def test_two_schedulers_a_killed_leader_and_nothing_doubled(
    runtime, database_url, is_postgres, thousand_overdue, tmp_path
):
    if not is_postgres:
        pytest.skip("the leader lock and real concurrency are PostgreSQL's (set DUBAN_TEST_DATABASE_URL)")
    env = {**os.environ, "DUBAN_DATABASE_URL": database_url, "DUBAN_SECRET_KEY": "test-secret"}
    env.pop("DUBAN_CONFIG", None)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    anchor = time.time() + 3  # both processes are up by then; the simulated quarter starts together
    processes = [scheduler(env, log, anchor) for log in logs]
    try:
        # Wait until one of them leads and has escalated part of the work, then kill it.
        deadline = time.monotonic() + 90
        while escalation_count(runtime) < 400:
            assert time.monotonic() < deadline, [log.read_text() for log in logs]
            time.sleep(0.05)
        texts = [log.read_text(encoding="utf-8") for log in logs]
        leader = next(i for i, text in enumerate(texts) if "本进程成为主调度器" in text)
        follower = 1 - leader
        assert "另一个调度器正在运行" in texts[follower]
        processes[leader].send_signal(signal.SIGKILL)
        processes[leader].wait(timeout=30)
        at_kill = escalation_count(runtime)
        # The follower takes over and carries the quarter to June.
        deadline = time.monotonic() + 120
        while True:
            text = logs[follower].read_text(encoding="utf-8")
            if "本进程成为主调度器" in text and "2024-06" in text.splitlines()[-1]:
                break
            assert processes[follower].poll() is None, text
            assert time.monotonic() < deadline, text
            time.sleep(0.1)
        processes[follower].send_signal(signal.SIGTERM)
        assert processes[follower].wait(timeout=30) == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()

    assert escalation_count(runtime) > at_kill, "the follower went on with the work"
    with runtime.work(write=False) as work:
        session = work.session
        per_step = session.execute(
            select(Escalation.level, func.count())
            .join(HumanTask, HumanTask.id == Escalation.human_task_id)
            .where(HumanTask.step_id == "co_input")
            .group_by(Escalation.level)
        ).all()
        levels = dict(per_step)
        # Every input is 催办ed and 督办ed exactly once (a reminder may fall in the takeover gap).
        assert levels[2] == levels[3] == 1000
        assert levels.get(1, 0) <= 1000
        total = sum(levels.values())
        events = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.in_(["step.reminder", "step.cuiban", "step.duban"]))
        )
        assert events == escalation_count(runtime) and total <= events
        # Notices: every rung notified once, after the pass that reached it (the follower writes
        # what the killed leader reached but had not told yet). A rung's own notice goes to those of
        # its recipients (reminder: the unit's head; 催办: head and supervisor; 督办: leader,
        # supervisor and head) who are not sent a digest of that pass instead.
        assert session.scalar(select(func.count()).where(Escalation.notified_at.is_(None))) == 0
        expected = {1: 1, 2: 2, 3: 3}
        counts = session.execute(
            select(Escalation.level, func.count(Notification.id))
            .outerjoin(Notification, Notification.escalation_id == Escalation.id)
            .group_by(Escalation.id, Escalation.level)
        ).all()
        assert counts and all(n <= expected[level] for level, n in counts)
        digests = session.scalar(select(func.count()).where(Notification.kind == "digest"))
        assert 0 < digests < total
        # Each cycle's diagram timer for the inputs fired once.
        overdue = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "step.overdue", AuditEvent.step_id == "co_input")
        )
        assert overdue == KEY_TASKS

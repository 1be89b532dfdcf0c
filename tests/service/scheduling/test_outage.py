"""The scheduler through a database outage (issue 15 item 10): a tick while the database is away
reports its failures and writes nothing; an outage in the middle of an escalation pass (between two of
its batches) keeps what was committed; once the database is back the next tick does the rest, each
rung exactly once, with its audit event, and the chain holds. The clock moves; nothing sleeps."""

from __future__ import annotations

import contextlib
import dataclasses

from db.models import AuditEvent, Escalation, Role
from service.operations.common.actor import SYSTEM
from service.operations.common.audit import verify_chain
from service.operations.cycles.start import start_cycle
from service.scheduling import loops
from service.scheduling.jobs import run_due_jobs
from tests.helpers import count, local

STEPS = 12
PAST_DUBAN = local(2024, 4, 12, 9, 30)  # the dispatch was due 2 April: 催办 3 April, 督办 11 April


def _overdue(runtime, make) -> None:
    make.user(Role.SUPERVISOR, username="duchashi")
    lead = make.unit("区财政局")
    make.user(Role.UNIT_HEAD, lead, username="head")
    for n in range(STEPS):
        key_task = make.key_task([lead], [], number=n + 1)
        with runtime.work() as work:
            start_cycle(work, SYSTEM, key_task.id, "2024-Q2")


def _settled(runtime) -> None:
    assert count(runtime, Escalation) == 2 * STEPS
    assert count(runtime, AuditEvent, AuditEvent.action == "step.cuiban") == STEPS
    assert count(runtime, AuditEvent, AuditEvent.action == "step.duban") == STEPS
    with runtime.work(write=False) as work:
        assert verify_chain(work.session).ok


def test_a_tick_during_an_outage_fails_cleanly_and_the_next_does_the_work_once(runtime, make, outage):
    _overdue(runtime, make)
    outage.cut()
    down = run_due_jobs(outage.runtime, PAST_DUBAN)
    assert down.failures and not down.escalations
    outage.restore()
    assert count(runtime, Escalation) == 0
    up = run_due_jobs(outage.runtime, PAST_DUBAN)
    assert up.failures == [] and len(up.escalations) == 2 * STEPS
    assert run_due_jobs(outage.runtime, PAST_DUBAN).escalations == []
    _settled(runtime)


def test_an_outage_between_two_batches_of_a_pass_keeps_the_first_and_the_next_pass_does_the_rest(
    runtime, make, outage, monkeypatch
):
    _overdue(runtime, make)
    fragile = outage.runtime
    config = fragile.config
    monkeypatch.setattr(
        fragile, "config", dataclasses.replace(config, scheduler=dataclasses.replace(config.scheduler, batch_size=4))
    )
    batches: list[int] = []
    real_escalate, real_work = loops.escalate, fragile.work

    def escalate_counting(work, rung, candidates):
        fired = real_escalate(work, rung, candidates)
        batches.append(len(fired))
        return fired

    @contextlib.contextmanager
    def work_then_cut(*args, **kwargs):
        with real_work(*args, **kwargs) as work:
            yield work
        if any(batches) and not cut:  # the first batch that escalated has committed: the database goes away
            cut.append(True)
            outage.cut()

    cut: list[bool] = []
    monkeypatch.setattr(loops, "escalate", escalate_counting)
    monkeypatch.setattr(fragile, "work", work_then_cut)
    down = run_due_jobs(outage.runtime, PAST_DUBAN)
    assert down.failures
    outage.restore()
    monkeypatch.setattr(fragile, "work", real_work)
    kept = count(runtime, Escalation)
    assert kept == 4  # the first batch of 催办 (batch size 4), committed before the cut
    up = run_due_jobs(outage.runtime, PAST_DUBAN)
    assert up.failures == [] and len(up.escalations) == 2 * STEPS - kept
    _settled(runtime)

"""The scheduler's loops: each opens its own transactions (one per batch or per item), so that a
long pass never holds locks for long and one item's failure leaves the others done.

The operations they call take a ``Work`` and never commit; only these loops (like the requests and
the CLI commands) open units of work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, DomainError
from ..operations.common.actor import SYSTEM
from ..operations.supervision.escalation_notices import notify_escalations, pending_notices
from ..operations.supervision.escalations import Fired, due_candidates, escalate, ladder
from ..operations.supervision.rounds import (
    current_round,
    missing_key_tasks,
    notify_round_opened,
    report_due_at,
    start_round_cycle,
)
from ..operations.year.closing import carry_over, years_to_carry
from ..runtime import Runtime

log = logging.getLogger(__name__)


def run_escalations(runtime: Runtime, now: datetime, *, batch_size: int | None = None) -> list[Fired]:
    """One pass of the escalation ladder as of ``now``; each batch of steps is its own transaction.

    Then, in one transaction, the notices of every rung not yet notified: one digest for a person
    with many (``escalation_notices.py``). Returns the rungs this pass reached (a rung another
    scheduler wrote first is not among them)."""
    size = batch_size or runtime.config.scheduler.batch_size
    fired: list[Fired] = []
    for rung in ladder(runtime.config):
        after: tuple[datetime, int] | None = None
        while True:
            with runtime.work(now=now) as work:
                batch = due_candidates(work, rung, limit=size, after=after)
                fired += escalate(work, rung, batch)
            if len(batch) < size:
                break
            after = (batch[-1].due_at, batch[-1].id)
    if fired or _unnotified(runtime, now):  # an idle pass opens no write transaction
        with runtime.work(now=now) as work:
            notify_escalations(work)
    return fired


def _unnotified(runtime: Runtime, now: datetime) -> bool:
    """Whether rungs reached earlier still await their notices (a pass that died before writing them)."""
    with runtime.work(write=False, now=now) as work:
        return pending_notices(work)


@dataclass
class RoundReport:
    round: str | None = None
    started: list[int] = field(default_factory=list)  # cycle ids
    already: int = 0
    failures: list[str] = field(default_factory=list)


def open_rounds(runtime: Runtime, now: datetime) -> RoundReport:
    """Opens the current round for every active key task that lacks its cycle, one transaction per
    key task; then tells the supervisors, when it started any."""
    rnd = current_round(runtime, now)
    report = RoundReport(round=rnd.name if rnd else None)
    if rnd is None:
        return report
    with runtime.work(write=False, now=now) as work:
        missing = missing_key_tasks(work, rnd)
    due_at = report_due_at(runtime, rnd)
    for key_task_id in missing:
        try:
            with runtime.work(now=now) as work:
                report.started.append(start_round_cycle(work, rnd, key_task_id, due_at))
        except (Conflict, IntegrityError):
            report.already += 1  # another scheduler (or a person) started it first
        except DomainError as exc:
            log.warning("round %s: key task %s not started: %s", rnd.name, key_task_id, exc.detail)
            report.failures.append(f"重点任务 #{key_task_id}: {exc.detail}")
    if report.started:
        with runtime.work(now=now) as work:
            notify_round_opened(work, rnd, len(report.started), due_at)
    return report


def carry_over_past_years(runtime: Runtime, now: datetime) -> list[int]:
    """挂账 at the turn of the year: carries the key tasks of past years that were neither closed
    (销号) nor carried yet into the next year, one transaction per year. Returns their ids."""
    with runtime.work(write=False, now=now) as work:
        years = years_to_carry(work)
    carried: list[int] = []
    for year in years:
        with runtime.work(now=now) as work:
            carried += carry_over(work, SYSTEM, year)
    return carried

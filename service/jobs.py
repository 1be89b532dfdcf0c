"""Scheduled work, as plain functions. Each due item is its own transaction, so one failure
neither blocks nor rolls back the rest."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from .errors import DomainError
from .operations.cycles import advance_timers, due_timer_cycles
from .runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    now: datetime
    timers_fired: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"时间 {self.now.isoformat()}"]
        out += [f"  定时器: {item}" for item in self.timers_fired]
        out += [f"  失败: {item}" for item in self.failures]
        return out


def run_due_jobs(runtime: Runtime, now: datetime | None = None) -> TickReport:
    now = now or runtime.clock.now()
    report = TickReport(now=now)
    with runtime.work(write=False, now=now) as work:
        due = due_timer_cycles(work)
    for cycle_id in due:
        try:
            with runtime.work(now=now) as work:
                fired = advance_timers(work, cycle_id)
            report.timers_fired += [f"办理周期 #{cycle_id} {t.step_id} 到期" for t in fired]
        except DomainError as exc:
            log.error("timer of cycle %s failed: %s", cycle_id, exc.detail)
            report.failures.append(f"办理周期 #{cycle_id}: {exc.detail}")
    return report

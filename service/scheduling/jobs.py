"""Scheduled work, as plain functions of ``(runtime, now)`` that tests call directly.

One pass runs every job once, in order: refresh the working-day calendar (a year another process
loaded), advance due diagram timers, open the current reporting round, climb the escalation
ladder, then send the outbox, e-mail and group robots (after the transactions that wrote it have
committed). Each
job keeps its own transactions, so one failing neither blocks nor rolls back the others; every
job is idempotent, so a pass may be repeated, retried or run beside another.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import DomainError
from ..mail import send_outbox
from ..operations.cycles.timers import advance_timers, due_timer_cycles
from ..operations.supervision.escalations import Fired
from ..robots import send_robots
from ..runtime import Runtime
from .calendar import refresh_calendar
from .loops import carry_over_past_years, open_rounds, run_escalations

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    now: datetime
    calendar_reloaded: bool = False
    timers_fired: list[str] = field(default_factory=list)
    round: str | None = None
    cycles_started: list[int] = field(default_factory=list)
    escalations: list[Fired] = field(default_factory=list)
    mails_sent: int = 0
    mails_retrying: int = 0
    mails_failed: int = 0
    robots_sent: int = 0
    robots_retrying: int = 0
    robots_failed: int = 0
    carried: list[int] = field(default_factory=list)  # key tasks carried into this year (挂账)
    failures: list[str] = field(default_factory=list)

    def count(self, level: int) -> int:
        return sum(1 for e in self.escalations if e.level == level)

    def summary(self) -> str:
        return (
            f"定时器 {len(self.timers_fired)},新启动办理周期 {len(self.cycles_started)},"
            f"提醒 {self.count(1)},催办 {self.count(2)},督办 {self.count(3)},"
            f"邮件 发出 {self.mails_sent}/待重试 {self.mails_retrying}/失败 {self.mails_failed},"
            f"群机器人 发出 {self.robots_sent}/待重试 {self.robots_retrying}/失败 {self.robots_failed},"
            f"出错 {len(self.failures)}"
        )

    def lines(self) -> list[str]:
        out = [f"时间 {self.now.isoformat()}: {self.summary()}"]
        if self.calendar_reloaded:
            out.append("  已重新读取节假日安排")
        out += [f"  定时器: {item}" for item in self.timers_fired]
        if self.cycles_started:
            out.append(f"  轮次 {self.round}: 启动办理周期 {', '.join(f'#{c}' for c in self.cycles_started)}")
        out += [f"  {e.describe()}" for e in self.escalations]
        if self.carried:
            out.append(f"  年终挂账: {len(self.carried)} 项重点任务结转到本年度")
        out += [f"  失败: {item}" for item in self.failures]
        return out


def advance_due_timers(runtime: Runtime, now: datetime, report: TickReport) -> None:
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


def run_due_jobs(runtime: Runtime, now: datetime | None = None) -> TickReport:
    """Every due job once, as of ``now`` (the runtime's clock when not given)."""
    now = now or runtime.clock.now()
    report = TickReport(now=now)
    report.calendar_reloaded = refresh_calendar(runtime)

    def guarded(name: str, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception as exc:  # one job's fault must not stop the others; the next pass retries
            log.exception("scheduler job %s failed", name)
            report.failures.append(f"{name}: {exc.__class__.__name__}: {exc}")

    def rounds() -> None:
        opened = open_rounds(runtime, now)
        report.round = opened.round
        report.cycles_started = opened.started
        report.failures += opened.failures

    def escalations() -> None:
        report.escalations = run_escalations(runtime, now)

    def mail() -> None:
        sent = send_outbox(runtime, now)
        report.mails_sent, report.mails_retrying = len(sent.sent), len(sent.retrying)
        report.mails_failed = len(sent.failed)

    def robots() -> None:
        sent = send_robots(runtime, now)
        report.robots_sent, report.robots_retrying = len(sent.sent), len(sent.retrying)
        report.robots_failed = len(sent.failed)

    def year_end() -> None:
        report.carried += carry_over_past_years(runtime, now)

    guarded("timers", lambda: advance_due_timers(runtime, now, report))
    guarded("year_end", year_end)
    guarded("rounds", rounds)
    guarded("escalations", escalations)
    guarded("mail", mail)
    guarded("robots", robots)
    return report

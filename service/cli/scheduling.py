"""Scheduler commands: ``duban tick``, ``duban scheduler``, ``duban calendar load|list``."""

from __future__ import annotations

import signal
import sys
from datetime import datetime
from pathlib import Path
from types import FrameType

import click

from .base import echo_json, main, runtime


def _instant(value: str | None) -> datetime | None:
    """An ISO time; without an offset it is read in config.toml's time zone."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} 不是 ISO 时间,应如 2024-04-08T09:30 或 2024-04-08T09:30+08:00") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=runtime().config.tz)


@main.command("tick")
@click.option("--now", "now_text", default=None, help="Run as of this ISO time (default: now).")
def tick(now_text: str | None) -> None:
    """Run every due job once (timers, rounds, escalations, e-mail) and print what was done."""
    from ..scheduling.jobs import run_due_jobs

    report = run_due_jobs(runtime(), _instant(now_text))
    for line in report.lines():
        click.echo(line)
    if report.failures:
        sys.exit(1)


@main.command("scheduler")
@click.option("--now", "now_text", default=None, help="Start the clock at this ISO time (rehearsals).")
@click.option("--speed", type=float, default=1.0, show_default=True, help="With --now: simulated seconds per second.")
@click.option("--anchor", type=float, default=None, help="With --now: the Unix time at which it is --now.")
@click.option("--interval", type=float, default=None, help="Seconds between passes (default: config [scheduler]).")
def scheduler_command(now_text: str | None, speed: float, anchor: float | None, interval: float | None) -> None:
    """Run the scheduler as its own process (one active at a time; others wait to take over)."""
    from ..scheduling.scheduler import SchedulerLoop, ShiftedClock, build_scheduler, leader_lock_for

    rt = runtime()
    start = _instant(now_text)
    if start is not None:
        if speed <= 0:
            raise click.BadParameter("--speed 应大于 0")
        rt.clock = ShiftedClock(start, speed, anchor)
    elif speed != 1.0 or anchor is not None:
        raise click.BadParameter("--speed 和 --anchor 只能与 --now 一起使用")
    seconds = interval or rt.config.scheduler.interval_seconds
    if seconds <= 0:
        raise click.BadParameter("--interval 应大于 0")
    loop = SchedulerLoop(rt, leader_lock_for(rt.config.database_url), echo=lambda line: click.echo(line))
    scheduler = build_scheduler(loop, interval_seconds=seconds, blocking=True)

    def stop(signum: int, _frame: FrameType | None) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"调度器已启动,每 {seconds:g} 秒运行一次" + (f"(模拟时间自 {start.isoformat()} 起)" if start else ""))
    try:
        scheduler.start()
    finally:
        loop.stop()
        click.echo("调度器已停止")


@main.group("calendar")
def calendar_group() -> None:
    """Working-day calendar: official holiday arrangements by year."""


@calendar_group.command("load")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def calendar_load(path: Path) -> None:
    """Load (or replace) a year's official arrangement from a TOML file."""
    from ..errors import DomainError
    from ..operations.common.actor import SYSTEM
    from ..operations.supervision.calendar import load_year, parse_year_file
    from ..scheduling.calendar import refresh_calendar

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"无法读取 {path}: {exc.strerror}") from None
    rt = runtime()
    try:
        parsed = parse_year_file(data)
        with rt.work() as work:
            loaded = load_year(work, SYSTEM, parsed)
    except DomainError as exc:
        click.echo(f"{path}: {exc.detail}", err=True)
        sys.exit(1)
    refresh_calendar(rt)
    verb = "已替换" if loaded.replaced else "已导入"
    click.echo(f"{verb} {loaded.year} 年放假安排: 放假 {loaded.holidays} 天,调休上班 {loaded.workdays} 天")
    if loaded.recounted:
        click.echo(f"按新安排重新计算了 {loaded.recounted} 个待办的期限(原按周末推算的,或跨过 {loaded.year} 年的)")


@calendar_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def calendar_list(as_json: bool) -> None:
    """Which years are known, and how (loaded by an admin, the chinese-calendar package, or weekends only)."""
    from ..operations.supervision.calendar import calendar_status
    from ..scheduling.calendar import refresh_calendar

    rt = runtime()
    refresh_calendar(rt)
    with rt.work(write=False) as work:
        status = calendar_status(work)
    if as_json:
        echo_json(
            {
                "years": [
                    {"year": y.year, "basis": y.basis, "source": y.source, "loaded_at": y.loaded_at}
                    for y in status.years
                ],
                "fallback_steps": status.fallback_steps,
                "warnings": list(status.warnings),
            }
        )
        return
    names = {"loaded": "管理员导入", "official": "内置日历", "fallback": "仅按周末(未覆盖)"}
    for year in status.years:
        extra = f"  {year.source}" if year.source and year.basis == "loaded" else ""
        click.echo(f"{year.year}  {names[year.basis]}{extra}")
    for warning in status.warnings:
        click.echo(f"警告: {warning}")

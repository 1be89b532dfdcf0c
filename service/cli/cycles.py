"""``duban cycles repair``: cycles whose projection and engine state disagree, moved on (issue 9).

``duban cycle`` and ``duban cycles`` are one group. ``duban db upgrade`` runs the repair after
migrating, as its data migration step.
"""

from __future__ import annotations

import sys

import click

from .base import main, runtime
from .core import cycle

main.add_command(cycle, name="cycles")


def repair_all(*, dry_run: bool, quiet: bool = False) -> tuple[int, int]:
    """Checks every running cycle, one transaction each, printing a line per cycle that needed (or
    would need) repair. Returns (cycles repaired or to repair, cycles that failed)."""
    from ..errors import DomainError
    from ..operations.common.actor import SYSTEM
    from ..operations.cycles.repair import repair_cycle, running_cycles

    rt = runtime()
    with rt.work(write=False) as work:
        ids = running_cycles(work)
    repaired = failed = 0
    for cycle_id in ids:
        try:
            with rt.work() as work:
                report = repair_cycle(work, SYSTEM, cycle_id, dry_run=dry_run)
                if dry_run:
                    work.session.rollback()
        except DomainError as exc:
            failed += 1
            click.echo(f"办理周期 #{cycle_id}:无法修复 — {exc.detail}", err=True)
            continue
        if report is None or not report.needed:
            continue
        repaired += 1
        click.echo(report.describe())
    if not quiet or repaired or failed:
        verb = "需修复" if dry_run else "已修复"
        click.echo(
            f"检查了 {len(ids)} 个办理中的办理周期:{verb} {repaired} 个" + (f",失败 {failed} 个" if failed else "")
        )
    return repaired, failed


@cycle.command("repair")
@click.option("--dry-run", is_flag=True, help="Report what would be repaired; write nothing.")
def cycles_repair(dry_run: bool) -> None:
    """Repair running cycles whose human tasks and engine state disagree (inputs never merged, no
    open step): merge, complete from the rows, move on through the engine. Idempotent; audited as
    cycle.repaired; one transaction per cycle. Exit status 1 if a cycle could not be repaired."""
    _repaired, failed = repair_all(dry_run=dry_run)
    if failed:
        sys.exit(1)

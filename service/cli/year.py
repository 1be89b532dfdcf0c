"""The year's commands: 挂账 by hand (the scheduler does it on its first pass of a new year)."""

from __future__ import annotations

import click

from .base import main, runtime


@main.group()
def year() -> None:
    """A key task's year: 办结销号 and 挂账."""


@year.command("carry-over")
@click.argument("year_number", metavar="YEAR", type=click.IntRange(2000, 2100))
def year_carry_over(year_number: int) -> None:
    """Carry the key tasks of YEAR not closed (销号) into YEAR+1 (挂账). Safe to run again."""
    from ..operations.common.actor import SYSTEM
    from ..operations.year.closing import carry_over

    with runtime().work() as work:
        carried = carry_over(work, SYSTEM, year_number)
    if carried:
        click.echo(f"{year_number} 年度未销号的 {len(carried)} 项重点任务已挂账结转到 {year_number + 1} 年度")
    else:
        click.echo(f"{year_number} 年度没有需要挂账结转的重点任务")

"""``duban audit verify``: walk the hash chain; report the first broken link."""

from __future__ import annotations

import sys
from typing import Any

import click

from .base import main, runtime


@main.group()
def audit() -> None:
    """The audit trail (审计日志)."""


def _anchor(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> tuple[Any, ...]:
    from ..operations.common.audit import Anchor

    try:
        return tuple(Anchor.parse(value) for value in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@audit.command("verify")
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    callback=_anchor,
    metavar="SEQ:HASH",
    help="A head printed by an earlier run (or `duban audit head`): the chain must still reach it, unchanged.",
)
def audit_verify(anchors: tuple[Any, ...]) -> None:
    """Check that no event was edited, inserted, reordered or deleted. Exit status 1 if one was.

    On success it prints the chain's head; keep it outside the database and pass it back with
    --anchor, so that deleting the newest events is detected too."""
    from ..operations.common.audit import verify_chain

    with runtime().work(write=False) as work:
        report = verify_chain(work.session, anchors=anchors)
    if report.ok:
        click.echo(f"审计日志完整:共 {report.checked} 个事件,哈希链无断裂")
        if anchors:
            click.echo(f"锚点相符:{len(anchors)} 个")
        if report.head:
            click.echo(f"当前链头(请另行保存,下次用 --anchor 核对):{report.head}")
        return
    click.echo(
        f"审计日志被改动:第 {report.broken_at} 个事件处断裂 — {report.reason}(此前 {report.checked} 个事件完好)",
        err=True,
    )
    sys.exit(1)


@audit.command("head")
def audit_head() -> None:
    """Print the newest event as SEQ:HASH, to keep outside the database (e.g. daily from cron)."""
    from ..operations.common.audit import chain_head

    with runtime().work(write=False) as work:
        head = chain_head(work.session)
    if head is None:
        click.echo("审计日志为空", err=True)
        sys.exit(1)
    click.echo(str(head))

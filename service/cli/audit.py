"""``duban audit verify``: walk the hash chain; report the first broken link."""

from __future__ import annotations

import sys

import click

from .base import main, runtime


@main.group()
def audit() -> None:
    """The audit trail (审计日志)."""


@audit.command("verify")
def audit_verify() -> None:
    """Check that no event was edited, inserted, reordered or deleted. Exit status 1 if one was."""
    from ..operations.audit import verify_chain

    with runtime().work(write=False) as work:
        report = verify_chain(work.session)
    if report.ok:
        click.echo(f"审计日志完整:共 {report.checked} 个事件,哈希链无断裂")
        return
    click.echo(
        f"审计日志被改动:第 {report.broken_at} 个事件处断裂 — {report.reason}(此前 {report.checked} 个事件完好)",
        err=True,
    )
    sys.exit(1)

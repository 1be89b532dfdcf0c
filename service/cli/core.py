"""Core commands: database, demo data, units, plans, cycles, serving."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from werkzeug.serving import run_simple

from .base import echo_json, main, runtime

# -- database -------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@click.option("--skip-repair", is_flag=True, help="Do not run the data migration step (cycles repair).")
def db_upgrade(revision: str, skip_repair: bool) -> None:
    """Migrate the database to the latest schema, then run the data migration step: ``duban cycles
    repair`` (running cycles stuck by issue 9 moved on; idempotent). Exit status 1 if a cycle
    could not be repaired (the schema stays migrated)."""
    from db.migrate import upgrade

    from .cycles import repair_all

    url = runtime().config.database_url
    upgrade(url, revision)
    click.echo(f"数据库已迁移到最新版本 ({_safe_url(url)})")
    if skip_repair or revision != "heads":
        return
    click.echo("数据迁移:修复办理周期(duban cycles repair)")
    _repaired, failed = repair_all(dry_run=False)
    if failed:
        sys.exit(1)


@db.command("current")
def db_current() -> None:
    from db.migrate import current

    click.echo(current(runtime().config.database_url) or "(空数据库)")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# -- demo -----------------------------------------------------------------------------------


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
def demo_load() -> None:
    """Load the district's units, demo accounts and the 2024 plan (idempotent)."""
    from ..demo.seed import load_demo

    with runtime().work() as work:
        summary = load_demo(work)
    click.echo(summary.describe())


# -- units ----------------------------------------------------------------------------------


@main.group()
def units() -> None:
    """Units (单位)."""


@units.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def units_list(as_json: bool) -> None:
    from ..operations.directory.units import list_units

    with runtime().work(write=False) as work:
        found = list_units(work.session)
    if as_json:
        echo_json(
            [
                {
                    "id": u.id,
                    "name": u.name,
                    "kind": u.kind,
                    "parent_id": u.parent_id,
                    "aliases": list(u.aliases),
                    "groups": list(u.groups),
                }
                for u in found
            ]
        )
        return
    for u in found:
        click.echo(f"{u.id:>4}  {u.kind_name:<6} {u.name}")


# -- plans ----------------------------------------------------------------------------------


@main.group()
def plan() -> None:
    """Plans (行动方案)."""


@plan.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Parse and report; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the parsed plan as JSON.")
@click.option("--create-units", is_flag=True, help="Create units the directory does not know.")
@click.option("--title", default=None, help="The plan's title, when the file has none (or another).")
@click.option("--revision-of", type=int, default=None, help="Import as a revision of this plan.")
@click.option("--as-new", is_flag=True, help="A new plan even when one has the same title and year.")
@click.option("--apply-to-running", is_flag=True, help="A revision also moves running cycles to the new units.")
def plan_import(
    path: Path,
    dry_run: bool,
    as_json: bool,
    create_units: bool,
    title: str | None,
    revision_of: int | None,
    as_new: bool,
    apply_to_running: bool,
) -> None:
    """Import a plan from a .txt, .docx or .xlsx file (a draft; or a revision of the plan with the
    same title and year: the changes per key task are listed)."""
    from ..errors import DomainError
    from ..operations.common.actor import SYSTEM
    from ..operations.directory.plan_import import import_plan

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"无法读取 {path}: {exc.strerror}") from None
    try:
        with runtime().work() as work:
            result = import_plan(
                work,
                SYSTEM,
                data,
                path.name,
                dry_run=dry_run,
                create_units=create_units,
                title=title,
                revision_of=revision_of,
                as_new=as_new,
                apply_to_running=apply_to_running,
            )
    except DomainError as exc:
        click.echo(f"导入失败: {exc.detail}", err=True)
        sys.exit(1)
    if as_json:
        echo_json(result.as_json())
    else:
        click.echo(result.describe())
    if not result.ok:
        sys.exit(1)


@plan.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plan_list(as_json: bool) -> None:
    """Every plan with its status (草稿/已发布/已归档), revision and active key tasks."""
    from ..operations.directory.plan_status import list_plans

    with runtime().work(write=False) as work:
        rows = list_plans(work.session)
    if as_json:
        echo_json([row.as_json() for row in rows])
        return
    for row in rows:
        click.echo(
            f"{row.id:>4}  {row.status.label:<4} 第{row.revision}版  {row.year or '----'}  "
            f"{row.key_tasks:>3} 项  {row.title}"
        )


@plan.command("publish")
@click.argument("plan_id", type=int)
@click.option("--force", is_flag=True, help="Publish although some lead units have no account to sign.")
@click.option("--reason", default="", help="Why (required with --force; kept in the audit trail).")
def plan_publish(plan_id: int, force: bool, reason: str) -> None:
    """Publish a plan: the rounds open for its key tasks from now on."""
    from ..errors import DomainError
    from ..operations.common.actor import SYSTEM
    from ..operations.directory.plan_status import publish_plan

    try:
        with runtime().work() as work:
            row = publish_plan(work, SYSTEM, plan_id, force=force, reason=reason)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"已发布计划 #{row.id}《{row.title}》({row.key_tasks} 项重点任务)")


@plan.command("archive")
@click.argument("plan_id", type=int)
@click.option("--reason", default="", help="Kept in the audit trail.")
def plan_archive(plan_id: int, reason: str) -> None:
    """Archive a plan: no more rounds; it stays readable."""
    from ..errors import DomainError
    from ..operations.common.actor import SYSTEM
    from ..operations.directory.plan_status import archive_plan

    try:
        with runtime().work() as work:
            row = archive_plan(work, SYSTEM, plan_id, reason=reason)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"已归档计划 #{row.id}《{row.title}》")


# -- cycles ---------------------------------------------------------------------------------


@main.group()
def cycle() -> None:
    """Cycles (办理周期)."""


@cycle.command("start")
@click.argument("key_task_id", type=int)
@click.option("--round", "round_name", required=True, help="e.g. 2024-Q2")
def cycle_start(key_task_id: int, round_name: str) -> None:
    from ..errors import DomainError
    from ..operations.common.actor import SYSTEM
    from ..operations.cycles.start import start_cycle

    try:
        with runtime().work() as work:
            started = start_cycle(work, SYSTEM, key_task_id, round_name)
            cycle_id = started.id
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"已启动办理周期 #{cycle_id}")


# -- serving --------------------------------------------------------------------------------


@main.command("serve")
@click.option("--host", default=None, help="Default: config.toml [server] host.")
@click.option("--port", type=int, default=None, help="Default: config.toml [server] port.")
@click.option("--no-scheduler", is_flag=True, help="Do not run the scheduler in this process.")
def serve(host: str | None, port: int | None, no_scheduler: bool) -> None:
    """Serve the web pages and the API (development server), with the scheduler beside it."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = runtime().config
    host = host or config.server.host
    port = port or config.server.port
    scheduler = None
    if not no_scheduler:
        from ..scheduling.scheduler import start_background_scheduler

        scheduler = start_background_scheduler(runtime())
    click.echo(f"duban 已启动: http://{host}:{port}/" + ("" if scheduler else " (未运行调度器)"))
    from ..app import freeze_startup_objects

    freeze_startup_objects()
    try:
        # Werkzeug's server directly: Flask refuses app.run() inside its own CLI.
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)

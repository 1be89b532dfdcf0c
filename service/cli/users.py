"""``duban user …``: accounts from the command line (as the system, so no login is needed)."""

from __future__ import annotations

import sys

import click

from .base import echo_json, main, runtime


def _password(confirm: bool) -> str:
    """From the terminal: asked twice, hidden. Otherwise: the first line of standard input."""
    if sys.stdin.isatty():
        value: str = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码" if confirm else False)
        return value
    line = sys.stdin.readline()
    if not line:
        raise click.ClickException("请从标准输入提供密码(一行)")
    return line.rstrip("\r\n")


def _run(action: object) -> object:
    from ..errors import DomainError

    try:
        return action() if callable(action) else action
    except DomainError as exc:
        where = f"({exc.field})" if exc.field else ""
        raise click.ClickException(f"{exc.detail}{where}") from None


@main.group()
def user() -> None:
    """Accounts (用户)."""


@user.command("add")
@click.argument("username")
@click.option("--unit", "unit_name", required=True, help="The unit's name, as in `duban units list`.")
@click.option("--role", required=True, type=click.Choice(["unit_staff", "unit_head", "supervisor", "leader", "admin"]))
@click.option("--name", "display_name", default=None, help="Display name (default: unit and username).")
@click.option("--email", default=None)
def user_add(username: str, unit_name: str, role: str, display_name: str | None, email: str | None) -> None:
    """Add an account; the password comes from standard input."""
    from ..operations.common.actor import SYSTEM
    from ..operations.directory.users import add_user

    password = _password(confirm=True)

    def act() -> object:
        with runtime().work() as work:
            return add_user(
                work,
                SYSTEM,
                username,
                unit_name=unit_name,
                role=role,
                password=password,
                display_name=display_name,
                email=email,
            )

    created = _run(act)
    click.echo(f"已新建账号 {created.username}({created.role_name},{created.unit})")  # type: ignore[attr-defined]


@user.command("disable")
@click.argument("username")
def user_disable(username: str) -> None:
    """Disable an account: its sessions and tokens stop working at once."""
    from ..operations.common.actor import SYSTEM
    from ..operations.directory.users import disable_user

    def act() -> object:
        with runtime().work() as work:
            return disable_user(work, SYSTEM, username)

    _run(act)
    click.echo(f"已停用账号 {username}")


@user.command("enable")
@click.argument("username")
def user_enable(username: str) -> None:
    """Enable a disabled account again."""
    from ..operations.common.actor import SYSTEM
    from ..operations.directory.users import enable_user

    def act() -> object:
        with runtime().work() as work:
            return enable_user(work, SYSTEM, username)

    _run(act)
    click.echo(f"已启用账号 {username}")


@user.command("reset-password")
@click.argument("username")
def user_reset_password(username: str) -> None:
    """Set a new password (from standard input); the user's sessions and tokens end."""
    from ..operations.common.actor import SYSTEM
    from ..operations.directory.users import reset_password

    password = _password(confirm=True)

    def act() -> object:
        with runtime().work() as work:
            return reset_password(work, SYSTEM, username, password)

    _run(act)
    click.echo(f"已重设 {username} 的密码(原有登录和访问令牌已失效)")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def user_list(as_json: bool) -> None:
    """List accounts."""
    from ..operations.common.actor import SYSTEM
    from ..operations.directory.users import list_users

    with runtime().work(write=False) as work:
        found = list_users(work, SYSTEM)
    if as_json:
        echo_json(
            [
                {
                    "id": u.id,
                    "username": u.username,
                    "display_name": u.display_name,
                    "role": u.role,
                    "unit": u.unit,
                    "email": u.email,
                    "active": u.active,
                }
                for u in found
            ]
        )
        return
    for u in found:
        state = "" if u.active else "  (已停用)"
        click.echo(f"{u.id:>4}  {u.username:<20} {u.role_name:<8} {u.unit}{state}")

"""The ``duban`` command group. Every command is one unit of work: it commits when it succeeds."""

from __future__ import annotations

import json
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

from ..app import create_app, runtime_of
from ..runtime import Runtime


def _make_app() -> Flask:
    return create_app()


class _Group(FlaskGroup):
    """Refusals (``service.errors``) end a command with their message and exit status 1, never a
    traceback: a database not yet migrated says to run ``duban db upgrade``.

    Flask's own options (``--env-file``, ``--app``, ``--debug``) are not duban's: the app is always
    ``create_app`` and its settings come from config.toml and ``DUBAN_*``, so they are left off the help.
    A group registered under two names (``cycle`` and ``cycles``) is listed once, under its plural.
    """

    _FLASK_OPTIONS = frozenset({"env_file", "app", "debug"})
    _ALIASES = frozenset({"cycle"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params = [param for param in self.params if param.name not in self._FLASK_OPTIONS]

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in super().list_commands(ctx) if name not in self._ALIASES]

    def invoke(self, ctx: click.Context) -> Any:
        from ..errors import DomainError

        try:
            return super().invoke(ctx)
        except DomainError as refused:
            raise click.ClickException(refused.detail) from None


@click.group(cls=_Group, create_app=_make_app, add_default_commands=False, add_version_option=False)
def main() -> None:
    """duban 督办: key tasks of an action plan, dispatched, supervised and signed off."""


def runtime() -> Runtime:
    return runtime_of(current_app)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))

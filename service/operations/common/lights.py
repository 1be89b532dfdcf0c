"""Traffic lights: green, yellow (within ``yellow_before`` working days of the deadline), red (overdue)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from db.models import HumanTask, HumanTaskState

from ...vocabulary import Light

GREEN, YELLOW, RED = Light.GREEN, Light.YELLOW, Light.RED
LIGHTS = tuple(Light)


def light_of(now: datetime, due_at: datetime, yellow_at: datetime, completed_at: datetime | None = None) -> str:
    """The light of a step; a finished step keeps the light it finished with."""
    at = completed_at or now
    if at > due_at:
        return RED
    if at >= yellow_at:
        return YELLOW
    return GREEN


def worst(lights: list[str] | tuple[str, ...]) -> str | None:
    return max(lights, key=lambda light: Light(light).rank) if lights else None


def light_clause(light: str, now: datetime) -> ColumnElement[bool]:
    """The WHERE clause selecting open steps of one light at ``now``."""
    if light == RED:
        return HumanTask.due_at < now
    if light == YELLOW:
        return and_(HumanTask.yellow_at <= now, HumanTask.due_at >= now)
    if light == GREEN:
        return HumanTask.yellow_at > now
    raise ValueError(light)


def _open_light_rank(now: datetime) -> ColumnElement[int]:
    """0 green, 1 yellow, 2 red for an open step at ``now`` (the order of ``LIGHTS``)."""
    return case((HumanTask.due_at < now, 2), (HumanTask.yellow_at <= now, 1), else_=0)


def rolled_up(session: Session, now: datetime, by: Any, ids: Iterable[int]) -> dict[int, str | None]:
    """The worst light of the open steps of each id, grouped by ``by`` (``HumanTask.cycle_id`` or
    ``HumanTask.key_task_id``); None for an id with no open step. One grouped query."""
    wanted = list(dict.fromkeys(ids))
    result: dict[int, str | None] = dict.fromkeys(wanted)
    if not wanted:
        return result
    rows = session.execute(
        select(by, func.max(_open_light_rank(now)))
        .where(by.in_(wanted), HumanTask.state == HumanTaskState.OPEN)
        .group_by(by)
    ).all()
    for key, rank in rows:
        result[key] = LIGHTS[rank]
    return result


def cycle_lights(session: Session, now: datetime, cycle_ids: Iterable[int]) -> dict[int, str | None]:
    """A cycle's light: the worst of its open steps."""
    return rolled_up(session, now, HumanTask.cycle_id, cycle_ids)


def key_task_lights(session: Session, now: datetime, key_task_ids: Iterable[int]) -> dict[int, str | None]:
    """A key task's light: the worst of the open steps of all its cycles."""
    return rolled_up(session, now, HumanTask.key_task_id, key_task_ids)

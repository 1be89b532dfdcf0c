"""Traffic lights: green, yellow (within ``yellow_before`` working days of the deadline), red (overdue)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_

from db.models import HumanTask

GREEN, YELLOW, RED = "green", "yellow", "red"
LIGHTS = (GREEN, YELLOW, RED)
_RANK = {GREEN: 0, YELLOW: 1, RED: 2}
LIGHT_NAMES = {GREEN: "绿灯", YELLOW: "黄灯", RED: "红灯"}


def light_of(now: datetime, due_at: datetime, yellow_at: datetime, completed_at: datetime | None = None) -> str:
    """The light of a step; a finished step keeps the light it finished with."""
    at = completed_at or now
    if at > due_at:
        return RED
    if at >= yellow_at:
        return YELLOW
    return GREEN


def worst(lights: list[str] | tuple[str, ...]) -> str | None:
    return max(lights, key=_RANK.__getitem__) if lights else None


def light_clause(light: str, now: datetime) -> ColumnElement[bool]:
    """The WHERE clause selecting open steps of one light at ``now``."""
    if light == RED:
        return HumanTask.due_at < now
    if light == YELLOW:
        return and_(HumanTask.yellow_at <= now, HumanTask.due_at >= now)
    if light == GREEN:
        return HumanTask.yellow_at > now
    raise ValueError(light)

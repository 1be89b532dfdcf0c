"""A small world for operation tests: a key task with a lead unit and co-units, and people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from db.models import KeyTask, Role, Unit
from service.operations.common.actor import Actor
from service.operations.cycles.complete import Completion, complete_human_task
from service.operations.cycles.start import start_cycle


@dataclass
class World:
    supervisor: Actor
    leader: Actor
    admin: Actor
    lead_unit: Unit
    lead_head: Actor
    lead_staff: Actor
    co_units: list[Unit]
    co_heads: list[Actor]
    key_task: KeyTask


@pytest.fixture
def world(make: Any) -> World:
    lead = make.unit("区发展改革和经济信息化局")
    co_units = [make.unit("区财政局"), make.unit("凤凰街道"), make.unit("泽林镇")]
    return World(
        supervisor=make.user(Role.SUPERVISOR, username="duchashi"),
        leader=make.user(Role.LEADER, username="lingdao"),
        admin=make.user(Role.ADMIN, username="admin"),
        lead_unit=lead,
        lead_head=make.user(Role.UNIT_HEAD, lead, username="lead_head"),
        lead_staff=make.user(Role.UNIT_STAFF, lead, username="lead_staff"),
        co_units=co_units,
        co_heads=[make.user(Role.UNIT_HEAD, u, username=f"co_head_{i}") for i, u in enumerate(co_units)],
        key_task=make.key_task([lead], co_units, title="推行产业链长制"),
    )


@pytest.fixture
def start(runtime: Any, world: World) -> Any:
    def _start(round_name: str = "2024-Q2", key_task: KeyTask | None = None, actor: Actor | None = None) -> int:
        with runtime.work() as work:
            return start_cycle(work, actor or world.supervisor, (key_task or world.key_task).id, round_name).id

    return _start


@pytest.fixture
def act(runtime: Any) -> Any:
    def _act(actor: Actor, task_id: int, **form: Any) -> Completion:
        with runtime.work() as work:
            return complete_human_task(
                work, actor, task_id, data=form.get("data"), decision=form.get("decision"), comment=form.get("comment")
            )

    return _act

"""Helpers for the year's tests: indicators made through the operation, cycles walked to a step."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from db.models import HumanTask, HumanTaskState
from service.operations.cycles.complete import complete_human_task
from service.operations.year.indicators import IndicatorFields, add_indicator


@pytest.fixture
def indicator(runtime: Any, world: Any) -> Any:
    """``indicator(name, target, measure, comparator="≥", key_task=None, schedule=None)`` → its id."""

    def _make(name: str, target: float, measure: str, comparator: str = "≥", key_task: Any = None, **more: Any) -> int:
        fields = IndicatorFields(name=name, comparator=comparator, target=target, measure=measure, **more)
        with runtime.work() as work:
            return add_indicator(work, world.supervisor, fields, key_task_id=(key_task or world.key_task).id).id

    return _make


def open_step(runtime: Any, cycle_id: int, step: str, unit_id: int | None = None) -> int:
    with runtime.work(write=False) as work:
        query = select(HumanTask.id).where(
            HumanTask.cycle_id == cycle_id, HumanTask.step_id == step, HumanTask.state == HumanTaskState.OPEN
        )
        if unit_id is not None:
            query = query.where(HumanTask.unit_id == unit_id)
        found = work.session.scalar(query)
        assert found is not None, (cycle_id, step)
        return found


@pytest.fixture
def walk(runtime: Any, world: Any) -> Any:
    """``walk(cycle_id, to="consolidate", shares={unit_id: progress})``: completes the steps before
    ``to`` as the right people would (co-units giving ``shares`` with their inputs when given)."""

    def do(actor: Any, task_id: int, **form: Any) -> None:
        with runtime.work() as work:
            complete_human_task(work, actor, task_id, **form)

    def _walk(cycle_id: int, to: str = "consolidate", shares: dict[int, Any] | None = None) -> int:
        do(world.supervisor, open_step(runtime, cycle_id, "dispatch"))
        if to == "sign_for":
            return open_step(runtime, cycle_id, "sign_for")
        do(world.lead_head, open_step(runtime, cycle_id, "sign_for"))
        for unit, head in zip(world.co_units, world.co_heads, strict=True):
            progress = (shares or {}).get(unit.id)
            do(head, open_step(runtime, cycle_id, "co_input", unit.id), data={"text": "已落实"}, progress=progress)
        return open_step(runtime, cycle_id, to)

    return _walk


@pytest.fixture
def report(runtime: Any, world: Any) -> Any:
    """``report(task_id, progress, actor=lead head)``: the 汇总报送 with a progress report."""

    def _report(task_id: int, progress: Any, actor: Any = None, text: str = "本季度推进情况") -> Any:
        with runtime.work() as work:
            return complete_human_task(
                work, actor or world.lead_head, task_id, data={"report": text}, progress=progress
            )

    return _report

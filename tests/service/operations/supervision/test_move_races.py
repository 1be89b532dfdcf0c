"""A race has one winner and a clear 409 (issue 11): the office's moves against a unit's
completion, and against each other, at the same moment, each in its own transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable

from service.errors import Conflict
from service.operations.cycles.complete import complete_human_task
from service.operations.cycles.moves import cancel_cycle
from service.operations.supervision.step_moves import urge_human_task, waive_human_task
from tests.helpers import actions, open_tasks, task_row


def _at_once(runtime, *moves: Callable) -> list[object]:
    results: list[object] = []
    barrier = threading.Barrier(len(moves))

    def run(move):
        barrier.wait()
        try:
            with runtime.work() as work:
                results.append(move(work))
        except Conflict as exc:
            results.append(exc)

    threads = [threading.Thread(target=run, args=(m,)) for m in moves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _inputs(world, start, act, runtime):
    cycle_id = start()
    act(world.supervisor, open_tasks(runtime, cycle_id, "dispatch")[0].id)
    act(world.lead_head, open_tasks(runtime, cycle_id, "sign_for")[0].id)
    return cycle_id, open_tasks(runtime, cycle_id, "co_input")[0]


def test_a_waiver_and_the_units_input_at_once(runtime, world, start, act):
    _cycle, task = _inputs(world, start, act, runtime)
    results = _at_once(
        runtime,
        lambda work: waive_human_task(work, world.supervisor, task.id, comment="不涉及"),
        lambda work: complete_human_task(work, world.co_heads[0], task.id, data={"text": "意见"}),
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1
    row = task_row(runtime, task.id)
    waived = [r for r in results if isinstance(r, tuple)]  # waive_human_task's answer
    assert (row.outcome, row.state.value) == (("waived", "cancelled") if waived else (None, "done"))
    assert len(actions(runtime, "step.waived")) == len(waived)


def test_a_cancel_and_a_completion_at_once(runtime, world, start, act):
    cycle_id, task = _inputs(world, start, act, runtime)
    results = _at_once(
        runtime,
        lambda work: cancel_cycle(work, world.supervisor, cycle_id, comment="撤销"),
        lambda work: complete_human_task(work, world.co_heads[0], task.id, data={"text": "意见"}),
    )
    # The completion may come first (then the cancel ends the rest) or lose to the cancel.
    assert sum(isinstance(r, Conflict) for r in results) <= 1
    assert open_tasks(runtime, cycle_id) == []
    assert actions(runtime, "cycle.cancelled") == ["cycle.cancelled"]


def test_two_urges_at_once_one_notice(runtime, world, start, act, make):
    from db.models import Role

    other = make.user(Role.SUPERVISOR, username="duchashi2")
    _cycle, task = _inputs(world, start, act, runtime)
    results = _at_once(
        runtime,
        lambda work: urge_human_task(work, world.supervisor, task.id),
        lambda work: urge_human_task(work, other, task.id),
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert task_row(runtime, task.id).urge_count == 1
    assert actions(runtime, "step.urged") == ["step.urged"]

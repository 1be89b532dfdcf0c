"""转办 of the lead unit's own step (a single-instance step: the engine's lead_units list changes):
the new unit signs for it and consolidates; the cycle's lead unit follows; with scope key_task the
next round is led by the new unit too."""

from __future__ import annotations

from db.models import Cycle
from tests.helpers import open_tasks, task_row


def test_the_sign_for_goes_to_another_lead_unit(world, start, act, api, runtime, make, clock):
    other = make.unit("区商务局")
    head = make.user("unit_head", other, username="shangwu")
    cycle_id = start()
    act(world.supervisor, open_tasks(runtime, cycle_id, "dispatch")[0].id)
    (sign_for,) = open_tasks(runtime, cycle_id, "sign_for")
    moved = api(world.supervisor).post(
        f"/api/v1/human-tasks/{sign_for.id}/reassign",
        json={"unit_id": other.id, "comment": "牵头单位调整", "scope": "key_task"},
    )
    assert moved.status_code == 200, moved.get_json()
    (new,) = moved.get_json()["opened"]
    assert task_row(runtime, new["id"]).unit_id == other.id
    with runtime.work(write=False) as work:
        assert work.session.get(Cycle, cycle_id).lead_unit_id == other.id
    assert api(world.lead_head).get(f"/api/v1/human-tasks/{new['id']}").status_code == 404
    act(head, new["id"])
    for task in open_tasks(runtime, cycle_id, "co_input"):
        act(next(h for h in world.co_heads if h.unit_id == task.unit_id), task.id, data={"text": "意见"})
    (consolidate,) = open_tasks(runtime, cycle_id, "consolidate")
    assert consolidate.unit_id == other.id
    later = start("2024-Q3")
    with runtime.work(write=False) as work:
        assert work.session.get(Cycle, later).lead_unit_id == other.id

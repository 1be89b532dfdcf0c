"""Done when (issue 11): a co-unit is disabled (机构改革) with its input open — the admin is told
which steps are open and says what becomes of each; the cycle goes on and ends closed; every
person who had to act was told, once, in words that name the key task; the next round does not
give the disabled unit a step."""

from __future__ import annotations

from db.models import Cycle, CycleStatus
from tests.helpers import notified, open_tasks, task_row


def test_a_co_unit_disabled_with_its_input_open_ends_with_the_cycle_closed(world, start, act, api, runtime):
    cycle_id = start()
    act(world.supervisor, open_tasks(runtime, cycle_id, "dispatch")[0].id)
    act(world.lead_head, open_tasks(runtime, cycle_id, "sign_for")[0].id)
    street = world.co_units[1]
    inputs = {t.unit_id: t for t in open_tasks(runtime, cycle_id, "co_input")}
    act(world.co_heads[0], inputs[world.co_units[0].id].id, data={"text": "财政意见"})
    act(world.co_heads[2], inputs[world.co_units[2].id].id, data={"text": "泽林镇意见"})
    admin = api(world.admin)

    refused = admin.post(f"/api/v1/units/{street.id}/disable", json={})
    assert refused.status_code == 409
    problem = refused.get_json()
    assert [s["id"] for s in problem["open_steps"]] == [inputs[street.id].id]
    assert problem["open_steps"][0]["waivable"] is True and "重点任务1“配合单位意见”" in problem["detail"]
    assert api(world.supervisor).post(f"/api/v1/units/{street.id}/disable", json={}).status_code == 403
    bad = admin.post(f"/api/v1/units/{street.id}/disable", json={"steps": {str(inputs[street.id].id): "later"}})
    assert bad.status_code == 422 and bad.get_json()["field"] == f"steps.{inputs[street.id].id}"

    done = admin.post(
        f"/api/v1/units/{street.id}/disable",
        json={"steps": {str(inputs[street.id].id): "waive"}, "comment": "机构改革,职能划转"},
    )
    assert done.status_code == 200, done.get_json()
    assert task_row(runtime, inputs[street.id].id).outcome == "waived"
    (consolidate,) = open_tasks(runtime, cycle_id, "consolidate")
    lead = api(world.lead_head)
    shown = lead.get(f"/api/v1/human-tasks/{consolidate.id}").get_json()["shown"]
    (inputs_shown,) = [s for s in shown if s["per_unit"]]
    assert [(i["unit"], i["outcome_label"], i["comment"]) for i in inputs_shown["items"]][1] == (
        "凤凰街道",
        "免报",
        "机构改革,职能划转",
    )
    assert (
        lead.post(f"/api/v1/human-tasks/{consolidate.id}/complete", json={"data": {"report": "汇总"}}).status_code
        == 200
    )
    (review,) = open_tasks(runtime, cycle_id, "review")
    api(world.supervisor).post(f"/api/v1/human-tasks/{review.id}/complete", json={"decision": "pass"})
    (approve,) = open_tasks(runtime, cycle_id, "approve")
    approved = api(world.leader).post(f"/api/v1/human-tasks/{approve.id}/complete", json={"decision": "approve"})
    assert approved.get_json()["cycle_closed"] is True
    with runtime.work(write=False) as work:
        assert work.session.get(Cycle, cycle_id).status == CycleStatus.CLOSED

    # Told once, naming the key task: the street (its input is waived) and the lead unit.
    for username in ("co_head_1", "lead_head"):
        (notice,) = notified(runtime, username, "waived")
        assert "重点任务1「推行产业链长制」" in notice.title
    # The next round gives the disabled street no input.
    later = start("2024-Q3")
    act(world.supervisor, open_tasks(runtime, later, "dispatch")[0].id)
    act(world.lead_head, open_tasks(runtime, later, "sign_for")[0].id)
    assert street.id not in {t.unit_id for t in open_tasks(runtime, later, "co_input")}
    assert len(open_tasks(runtime, later, "co_input")) == 2

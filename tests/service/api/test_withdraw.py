"""撤回 (issue 11, item 6): a unit takes back its own report while the next step has not acted on
it, and its own pending extension request at any time; what was written stays for the form."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers import actions, open_tasks, task_row


def test_the_lead_unit_withdraws_its_report_until_the_review_acts(world, to_consolidate, act, api, runtime):
    cycle_id = to_consolidate()
    (consolidate,) = open_tasks(runtime, cycle_id, "consolidate")
    act(world.lead_head, consolidate.id, data={"report": "报告初稿"})
    (review,) = open_tasks(runtime, cycle_id, "review")
    assert api(world.lead_staff).post(f"/api/v1/human-tasks/{consolidate.id}/withdraw").status_code == 403
    back = api(world.lead_head).post(f"/api/v1/human-tasks/{consolidate.id}/withdraw")
    assert back.status_code == 200 and back.get_json()["state"] == "open"
    assert task_row(runtime, review.id).outcome == "withdrawn"
    assert [t.id for t in open_tasks(runtime, cycle_id)] == [consolidate.id]
    got = api(world.lead_head).get(f"/api/v1/human-tasks/{consolidate.id}").get_json()
    assert got["data"] == {"report": "报告初稿"} and got["can_act"] is True
    act(world.lead_head, consolidate.id, data={"report": "报告定稿"})
    (again,) = open_tasks(runtime, cycle_id, "review")
    act(world.supervisor, again.id, decision="pass")
    late = api(world.lead_head).post(f"/api/v1/human-tasks/{consolidate.id}/withdraw")
    assert late.status_code == 409 and "审核" in late.get_json()["detail"]
    assert actions(runtime, "step.withdrawn") == ["step.withdrawn"]


def test_a_unit_withdraws_its_pending_extension_request(world, start, act, api, runtime):
    cycle_id = start()
    act(world.supervisor, open_tasks(runtime, cycle_id, "dispatch")[0].id)
    (sign_for,) = open_tasks(runtime, cycle_id, "sign_for")
    asked = api(world.lead_head).post(
        f"/api/v1/human-tasks/{sign_for.id}/extensions",
        json={"new_due_date": (sign_for.due_at + timedelta(days=7)).date().isoformat(), "reason": "资料未齐"},
    )
    assert asked.status_code == 201, asked.get_json()
    extension = asked.get_json()["id"]
    assert api(world.co_heads[0]).post(f"/api/v1/extensions/{extension}/withdraw").status_code == 404
    gone = api(world.lead_staff).post(f"/api/v1/extensions/{extension}/withdraw")
    assert gone.status_code == 200 and gone.get_json()["status"] == "withdrawn"
    pending = api(world.supervisor).get("/api/v1/extensions?status=pending").get_json()
    assert pending["total"] == 0
    assert api(world.lead_head).post(f"/api/v1/extensions/{extension}/withdraw").status_code == 409
    decided = api(world.supervisor).post(f"/api/v1/extensions/{extension}/decision", json={"decision": "grant"})
    assert decided.status_code == 409 and "已撤回" in decided.get_json()["detail"]

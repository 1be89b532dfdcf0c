"""Batches through the API: each item in its own transaction with its own result (issue 14 item 10)."""

from __future__ import annotations

from tests.helpers import task_row


def test_batch_complete_goes_item_by_item(runtime, world, make, start, open_steps, api, act):
    other = make.key_task([world.co_units[0]], [], plan=world.plan, number=2, title="第二项")
    first, second = start(), start(key_task=other)
    dispatch_1, dispatch_2 = open_steps(first, "dispatch")[0].id, open_steps(second, "dispatch")[0].id
    act(world.supervisor, dispatch_2)  # already done: that item alone is refused
    body = {"ids": [dispatch_1, dispatch_2, 2_000_000, dispatch_1], "comment": "请按期办理"}
    answer = api(world.supervisor).post("/api/v1/human-tasks/batch-complete", json=body)
    assert answer.status_code == 200
    got = answer.get_json()
    assert [(r["id"], r["ok"], r["status"]) for r in got["results"]] == [
        (dispatch_1, True, 200),
        (dispatch_2, False, 409),
        (2_000_000, False, 404),
    ]
    assert (got["done"], got["refused"]) == (1, 2)
    assert open_steps(first, "sign_for")  # the first went on
    assert task_row(runtime, dispatch_1).comment == "请按期办理"


def test_batch_review_passes_and_refuses_steps_with_fields(world, to_consolidate, open_steps, api, act):
    cycle_id = to_consolidate()
    consolidate = open_steps(cycle_id, "consolidate")[0].id
    refused = api(world.supervisor).post("/api/v1/human-tasks/batch-complete", json={"ids": [consolidate]})
    assert refused.get_json()["results"][0]["status"] == 422  # a step with fields needs its own page
    act(world.lead_head, consolidate, data={"report": "汇总"})
    review = open_steps(cycle_id, "review")[0].id
    passed = api(world.supervisor).post("/api/v1/human-tasks/batch-complete", json={"ids": [review], "comment": "同意"})
    assert passed.get_json()["results"][0]["ok"] is True
    assert "通过" in passed.get_json()["results"][0]["detail"]
    assert open_steps(cycle_id, "approve")


def test_batch_start_and_its_refusals(world, make, api, start):
    other = make.key_task([world.co_units[0]], [], plan=world.plan, number=2, title="第二项")
    start()
    body = {"key_task_ids": [world.key_task.id, other.id], "round": "2024-Q2"}
    got = api(world.supervisor).post("/api/v1/cycles/batch-start", json=body).get_json()
    assert [(r["id"], r["status"]) for r in got["results"]] == [(world.key_task.id, 409), (other.id, 200)]
    assert "第二项" in got["results"][1]["detail"]
    units = api(world.lead_head).post("/api/v1/cycles/batch-start", json=body)
    assert units.status_code == 403  # may start none of them: the whole request
    empty = api(world.supervisor).post("/api/v1/cycles/batch-start", json={"key_task_ids": [], "round": "2024-Q2"})
    assert empty.status_code == 422


def test_each_item_is_decided_by_authz_as_alone(world, start, open_steps, api):
    """A batch is no way around who may act: an item says what the single request would have."""
    statuses = {}
    for role in ("leader", "supervisor"):
        dispatch = open_steps(start(f"{2030 + len(statuses)}"), "dispatch")[0].id
        answer = api(world.by_role[role]).post("/api/v1/human-tasks/batch-complete", json={"ids": [dispatch]})
        statuses[role] = answer.get_json()["results"][0]["status"]
    assert statuses == {"leader": 403, "supervisor": 200}


def test_one_who_may_do_none_of_a_batch_hears_403_before_the_body(world, to_consolidate, open_steps, api):
    """A unit may batch-complete nothing (the office's and the leaders' move): 403 for the whole
    request, before the body is read — not a 422 about a step's content, nor one about the body."""
    consolidate = open_steps(to_consolidate(), "consolidate")[0].id
    for role in ("unit_head", "unit_staff", "outsider", "admin"):
        head = api(world.by_role[role])
        answer = head.post("/api/v1/human-tasks/batch-complete", json={"ids": [consolidate]})
        assert answer.status_code == 403, (role, answer.get_json())
        assert "批量办理" in answer.get_json()["detail"]
        assert head.post("/api/v1/human-tasks/batch-complete", json={"ids": []}).status_code == 403
    for role in ("unit_head", "leader"):
        empty = api(world.by_role[role]).post("/api/v1/cycles/batch-start", json={"key_task_ids": []})
        assert empty.status_code == 403, role
    assert api(world.supervisor).post("/api/v1/human-tasks/batch-complete", json={"ids": []}).status_code == 422

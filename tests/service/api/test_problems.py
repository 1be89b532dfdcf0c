"""Bad requests get problem details naming what was wrong, with the right status; nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent, HumanTask, HumanTaskState


def problem_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["type"].startswith("urn:duban:problem:")
    assert body["title"] and body["detail"]
    return body


def open_step(runtime, cycle_id, step):
    with runtime.work(write=False) as work:
        return work.session.scalar(
            select(HumanTask.id).where(
                HumanTask.cycle_id == cycle_id, HumanTask.step_id == step, HumanTask.state == HumanTaskState.OPEN
            )
        )


def events(runtime):
    with runtime.work(write=False) as work:
        return work.session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.fixture
def at_review(api, world, runtime, start):
    """A cycle standing at review, completed through the API."""
    cycle_id = start()
    sup, lead = api(world.supervisor), api(world.lead_head)
    assert (
        sup.post(f"/api/v1/human-tasks/{open_step(runtime, cycle_id, 'dispatch')}/complete", json={}).status_code == 200
    )
    assert (
        lead.post(f"/api/v1/human-tasks/{open_step(runtime, cycle_id, 'sign_for')}/complete", json={}).status_code
        == 200
    )
    for head in world.co_heads:
        with runtime.work(write=False) as work:
            task = work.session.scalar(
                select(HumanTask.id).where(HumanTask.cycle_id == cycle_id, HumanTask.unit_id == head.unit_id)
            )
        assert api(head).post(f"/api/v1/human-tasks/{task}/complete", json={"data": {"text": "好"}}).status_code == 200
    consolidate = open_step(runtime, cycle_id, "consolidate")
    assert lead.post(f"/api/v1/human-tasks/{consolidate}/complete", json={"data": {"report": "稿"}}).status_code == 200
    return cycle_id, open_step(runtime, cycle_id, "review")


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"decision": "maybe"}, "decision", "无效的决定"),
        ({"decision": "return"}, "comment", "必须填写意见"),
        ({"decision": "return", "comment": "   "}, "comment", "必须填写意见"),
        ({}, "decision", "请选择"),
        ({"decision": 7}, "decision", "应为文本"),
        ({"decision": "pass", "comment": ["x"]}, "comment", "应为文本"),
        ({"decision": "pass", "data": "text"}, "data", "应为对象"),
        ({"decision": "pass", "data": {"text": "x"}}, "data.text", "没有这个字段"),
        ({"decision": "pass", "extra": 1}, "extra", "未知字段"),
        ({"decision": "pass\u0000"}, "decision", "空字符"),
    ],
)
def test_an_invalid_completion_is_422_naming_the_field_and_writes_nothing(
    api, world, runtime, at_review, body, field, words
):
    _cycle, review = at_review
    before = events(runtime)
    body_ = problem_of(api(world.supervisor).post(f"/api/v1/human-tasks/{review}/complete", json=body), 422)
    assert body_["field"] == field and words in body_["detail"]
    assert events(runtime) == before and open_step(runtime, _cycle, "review") == review


def test_wrong_field_types_in_a_unit_form_are_named(api, world, runtime, start):
    cycle_id = start()
    api(world.supervisor).post(f"/api/v1/human-tasks/{open_step(runtime, cycle_id, 'dispatch')}/complete", json={})
    api(world.lead_head).post(f"/api/v1/human-tasks/{open_step(runtime, cycle_id, 'sign_for')}/complete", json={})
    with runtime.work(write=False) as work:
        task = work.session.scalar(
            select(HumanTask.id).where(HumanTask.cycle_id == cycle_id, HumanTask.unit_id == world.co_heads[0].unit_id)
        )
    co = api(world.co_heads[0])
    assert (
        problem_of(co.post(f"/api/v1/human-tasks/{task}/complete", json={"data": {"text": 5}}), 422)["field"]
        == "data.text"
    )
    assert problem_of(co.post(f"/api/v1/human-tasks/{task}/complete", json={"data": {}}), 422)["field"] == "data.text"
    done = co.post(f"/api/v1/human-tasks/{task}/complete", json={"data": {"text": "同意"}})
    assert done.status_code == 200
    again = problem_of(co.post(f"/api/v1/human-tasks/{task}/complete", json={"data": {"text": "同意"}}), 409)
    assert "已经办理过了" in again["detail"]


def test_malformed_requests_are_problems_not_500s(api, world):
    sup = api(world.supervisor)
    assert problem_of(
        sup.post("/api/v1/human-tasks/1/complete", data="{not json", content_type="application/json"), 400
    )
    assert problem_of(sup.post("/api/v1/human-tasks/1/complete", data="a=b", content_type="text/plain"), 415)
    assert problem_of(sup.post("/api/v1/human-tasks/1/complete", json=[1, 2]), 422)["detail"] == "请求体应为 JSON 对象"
    assert problem_of(sup.get("/api/v1/human-tasks/99999999999999999999"), 404)
    assert problem_of(sup.get("/api/v1/human-tasks/2147483647"), 404)["detail"].startswith("待办 2147483647")
    assert problem_of(sup.get("/api/v1/key-tasks?plan=abc"), 422)["field"] == "plan"
    assert problem_of(sup.get("/api/v1/key-tasks?limit=100000"), 422)["field"] == "limit"
    assert problem_of(sup.get("/api/v1/inbox?cursor=%00%01"), 422)["field"] == "cursor"
    assert problem_of(sup.get("/api/v1/inbox?round=%00"), 422)["field"] == "round"
    assert problem_of(sup.get("/api/v1/nothing-here"), 404)
    not_allowed = problem_of(sup.request("PUT", "/api/v1/inbox"), 405)
    assert not_allowed["detail"] == "该地址不支持 PUT 请求"
    huge = sup.post("/api/v1/human-tasks/1/complete", data=b"x" * (3 * 1024 * 1024), content_type="application/json")
    assert problem_of(huge, 413)
    assert problem_of(sup.post("/api/v1/key-tasks/999999/cycles", json={"round": "2024-Q2"}), 404)


def test_starting_a_cycle_twice_or_with_a_bad_round_says_why(api, world):
    sup = api(world.supervisor)
    url = f"/api/v1/key-tasks/{world.key_task.id}/cycles"
    assert problem_of(sup.post(url, json={"round": "下季度"}), 422)["field"] == "round"
    assert problem_of(sup.post(url, json={}), 422)["field"] == "round"
    assert sup.post(url, json={"round": "2024-Q2"}).status_code == 201
    assert "已有办理周期" in problem_of(sup.post(url, json={"round": "2024-Q2"}), 409)["detail"]


def test_numbers_beyond_what_the_columns_hold_are_refused_not_500(api, world):
    sup = api(world.supervisor)
    assert problem_of(sup.get("/api/v1/audit?after=4611686018427387903"), 422)["field"] == "after"
    assert problem_of(sup.get("/api/v1/key-tasks?offset=99999999999"), 422)["field"] == "offset"
    assert problem_of(sup.get("/api/v1/inbox?key_task=2147483648"), 422)["field"] == "key_task"
    assert sup.get("/api/v1/audit?after=2147483647").status_code == 200

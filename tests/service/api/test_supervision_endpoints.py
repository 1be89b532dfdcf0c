"""The scheduling endpoints over the app (real tokens, real database): extensions, notifications,
escalations, the holiday calendar; bad input gets a Chinese problem naming the field, never a 500."""

from __future__ import annotations

from datetime import datetime

import pytest

from service.operations.cycles.start import start_cycle
from service.scheduling.jobs import run_due_jobs
from tests.helpers import PASSWORD, TZ, local, open_tasks


@pytest.fixture
def as_user(app):
    tokens: dict[str, str] = {}
    client = app.test_client()

    def call(actor, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        if actor is not None:
            if actor.username not in tokens:
                got = client.post("/api/v1/auth/token", json={"username": actor.username, "password": PASSWORD})
                assert got.status_code == 201, got.get_data(as_text=True)
                tokens[actor.username] = got.get_json()["token"]
            headers["Authorization"] = f"Bearer {tokens[actor.username]}"
        response = client.open(path, method=method, headers=headers, **kwargs)
        assert response.status_code < 500, response.get_data(as_text=True)
        return response

    return call


@pytest.fixture
def consolidate(consolidating, clock):
    """Consolidation of the lead unit, ready 8 April, due 15 April 2024; the clock at 10 April."""
    clock.set(local(2024, 4, 10, 10))
    return consolidating


def test_an_extension_asked_and_granted_over_the_api(as_user, world, consolidate):
    d = world
    path = f"/api/v1/human-tasks/{consolidate.id}/extensions"
    asked = as_user(d.lead_head, "POST", path, json={"new_due_date": "2024-04-18", "reason": "数据待核实"})
    assert asked.status_code == 201, asked.get_json()
    body = asked.get_json()
    assert (body["status"], body["stage"], body["working_days"], body["needs_leader"]) == (
        "pending",
        "supervisor",
        3,
        False,
    )
    listed = as_user(d.supervisor, "GET", "/api/v1/extensions?awaiting_me=true").get_json()
    assert [e["id"] for e in listed["items"]] == [body["id"]]
    decided = as_user(d.supervisor, "POST", f"/api/v1/extensions/{body['id']}/decision", json={"decision": "grant"})
    assert decided.status_code == 200 and decided.get_json()["status"] == "granted"
    again = as_user(d.supervisor, "POST", f"/api/v1/extensions/{body['id']}/decision", json={"decision": "grant"})
    assert again.status_code == 409 and "不能再次审批" in again.get_json()["detail"]
    step = as_user(d.lead_head, "GET", "/api/v1/inbox").get_json()["items"][0]
    assert datetime.fromisoformat(step["due_at"]).astimezone(TZ).date().isoformat() == "2024-04-18"
    assert step["light"] == "green"


def test_extension_mistakes_are_problems_with_the_field(as_user, world, consolidate):
    d = world
    path = f"/api/v1/human-tasks/{consolidate.id}/extensions"
    cases = [
        (d.lead_head, {"new_due_date": "2024-04-20", "reason": "x"}, 422, "new_due_date"),
        (d.lead_head, {"new_due_date": "明天", "reason": "x"}, 422, "new_due_date"),
        (d.lead_head, {"new_due_date": "2024-04-18"}, 422, "reason"),
        (d.lead_head, {"new_due_date": "2024-04-18", "reason": "x", "extra": 1}, 422, "extra"),
        (d.lead_head, {"new_due_date": 5, "reason": "x"}, 422, "new_due_date"),
        (d.lead_staff, {"new_due_date": "2024-04-18", "reason": "x"}, 403, None),
        (None, {"new_due_date": "2024-04-18", "reason": "x"}, 401, None),
    ]
    for who, payload, status, field in cases:
        response = as_user(who, "POST", path, json=payload)
        problem = response.get_json()
        assert response.status_code == status, (payload, problem)
        assert response.mimetype == "application/problem+json"
        if field:
            assert problem.get("field") == field, (payload, problem)
    assert as_user(d.lead_head, "POST", path, data="{oops", content_type="application/json").status_code == 400
    assert as_user(d.lead_head, "POST", "/api/v1/human-tasks/99999999999/extensions", json={}).status_code == 404
    decision = as_user(d.supervisor, "POST", "/api/v1/extensions/1/decision", json={"decision": "maybe"})
    assert decision.status_code in (404, 422)


def test_after_the_deadline_the_api_says_why(as_user, world, consolidate, clock):
    clock.set(local(2024, 4, 16, 9))
    response = as_user(
        world.lead_head,
        "POST",
        f"/api/v1/human-tasks/{consolidate.id}/extensions",
        json={"new_due_date": "2024-04-22", "reason": "来不及"},
    )
    assert response.status_code == 409
    assert "超过期限后不能再申请延期" in response.get_json()["detail"]


def test_notifications_and_escalations_over_the_api(as_user, runtime, world, consolidate, clock):
    d = world
    clock.set(local(2024, 4, 16, 9, 30))
    run_due_jobs(runtime)  # 催办 of the consolidation (due 15 April), as of the clock
    head = as_user(d.lead_head, "GET", "/api/v1/notifications").get_json()
    # Newest first: the 催办, then the hand-offs that opened 汇总报送 and 签收 for the lead unit.
    assert [n["kind"] for n in head["items"]] == ["cuiban", "step_opened", "step_opened"] and head["unread"] == 3
    assert as_user(d.lead_head, "GET", "/api/v1/notifications/unread-count").get_json() == {"unread": 3}
    marked = as_user(d.lead_head, "POST", "/api/v1/notifications/read", json={"ids": [head["items"][0]["id"]]})
    assert marked.get_json() == {"marked": 1, "unread": 2}
    everything = as_user(d.supervisor, "POST", "/api/v1/notifications/read", json={"all": True}).get_json()
    assert everything["unread"] == 0 and everything["marked"] >= 1
    bad = as_user(d.lead_head, "POST", "/api/v1/notifications/read", json={"ids": ["x"]})
    assert bad.status_code == 422 and bad.get_json()["field"].startswith("ids")

    listed = as_user(d.supervisor, "GET", "/api/v1/escalations?kind=cuiban&open=true").get_json()
    assert listed["total"] == 1
    (item,) = listed["items"]
    assert (item["kind_name"], item["step"], item["unit"], item["light"]) == (
        "催办",
        "consolidate",
        "区发展改革和经济信息化局",
        "red",
    )
    assert as_user(d.lead_staff, "GET", "/api/v1/escalations").get_json()["total"] == 1
    assert as_user(d.co_heads[0], "GET", "/api/v1/escalations").get_json()["total"] == 0
    assert as_user(d.supervisor, "GET", "/api/v1/escalations?since=2024-04-17T00:00").get_json()["total"] == 0
    for query in ("level=9", "kind=shout", "limit=0", "since=yesterday", "cursor=%%%"):
        response = as_user(d.supervisor, "GET", f"/api/v1/escalations?{query}")
        assert response.status_code == 422, (query, response.get_json())


CALENDAR_2027 = """
year = 2027
source = "测试用安排"

[[holidays]]
name = "元旦"
off = ["2027-01-01"]

[[holidays]]
name = "春节"
off = ["2027-02-05..2027-02-11"]
workdays = ["2027-02-14", "2027-02-20"]
"""


def test_an_admin_loads_a_year_and_deadlines_follow_it(as_user, runtime, world, clock):
    d = world
    assert as_user(d.supervisor, "POST", "/api/v1/calendar/years", json={"content": CALENDAR_2027}).status_code == 403
    bad = as_user(d.admin, "POST", "/api/v1/calendar/years", json={"content": CALENDAR_2027.replace("02-14", "02-15")})
    assert bad.status_code == 422 and "第 12 行" in bad.get_json()["detail"] and "星期一" in bad.get_json()["detail"]
    before = as_user(d.admin, "GET", "/api/v1/calendar").get_json()
    assert any("2027" in w for w in before["warnings"]) or all(y["year"] != 2027 for y in before["years"])
    loaded = as_user(d.admin, "POST", "/api/v1/calendar/years", json={"content": CALENDAR_2027})
    assert loaded.status_code == 201 and loaded.get_json() == {
        "year": 2027,
        "holidays": 8,
        "workdays": 2,
        "replaced": False,
        "recounted": 0,
    }
    years = {y["year"]: y["basis"] for y in as_user(d.admin, "GET", "/api/v1/calendar").get_json()["years"]}
    assert years[2027] == "loaded"
    # A cycle started on Thursday 4 February 2027: dispatch (1 working day) skips the Spring Festival.
    with runtime.work(now=datetime(2027, 2, 4, 10, tzinfo=TZ)) as work:
        start_cycle(work, d.supervisor, d.key_task.id, "2027-Q1")
    (dispatch,) = open_tasks(runtime, step="dispatch")
    assert dispatch.due_basis == "loaded"
    assert dispatch.due_at.astimezone(TZ).date().isoformat() == "2027-02-12"


def test_every_instant_in_an_answer_is_in_one_zone(as_user, world, consolidate):
    """The API writes every date-time in UTC (README: Times in the API): an extension's old
    deadline (read from its row) and new one (computed in local time) alike."""
    path = f"/api/v1/human-tasks/{consolidate.id}/extensions"
    body = as_user(
        world.lead_head, "POST", path, json={"new_due_date": "2024-04-18", "reason": "数据待核实"}
    ).get_json()
    instants = {k: v for k, v in body.items() if k.endswith("_at") and v}
    assert {"old_due_at", "new_due_at"} <= set(instants)
    assert all(v.endswith("+00:00") for v in instants.values()), instants
    assert datetime.fromisoformat(body["new_due_at"]).astimezone(TZ).date().isoformat() == "2024-04-18"
    step = as_user(world.lead_head, "GET", f"/api/v1/human-tasks/{consolidate.id}").get_json()
    assert all(step[k].endswith("+00:00") for k in ("ready_at", "due_at")), step
    inbox = as_user(world.lead_head, "GET", "/api/v1/inbox").get_json()["items"]  # written without marshmallow
    assert inbox and all(i["due_at"].endswith("+00:00") for i in inbox)

"""The read side: key tasks with filters and lights, cycles, diagrams, step pages, plans, the docs."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from db.models import HumanTask, HumanTaskState
from service.demo.seed import PLAN_FILE


def open_step(runtime, cycle_id, step):
    with runtime.work(write=False) as work:
        return work.session.scalar(
            select(HumanTask.id).where(
                HumanTask.cycle_id == cycle_id, HumanTask.step_id == step, HumanTask.state == HumanTaskState.OPEN
            )
        )


def test_key_tasks_filter_by_state_light_unit_and_plan(api, world, runtime, start, make, clock):
    idle = make.key_task([world.co_units[1]], [], title="未启动的任务")
    other_plan = make.plan("另一计划")
    elsewhere = make.key_task([world.lead_unit], [], plan=other_plan, title="另一计划的任务")
    running = start()
    closed_task = make.key_task([world.lead_unit], [], title="办结的任务")
    closed = start("2024-Q2", key_task=closed_task)
    sup = api(world.supervisor)
    for step, actor, form in (
        ("dispatch", world.supervisor, {}),
        ("sign_for", world.lead_head, {}),
        ("consolidate", world.lead_head, {"data": {"report": "报告"}}),
        ("review", world.supervisor, {"decision": "pass"}),
        ("approve", world.leader, {"decision": "approve"}),
    ):
        assert (
            api(actor).post(f"/api/v1/human-tasks/{open_step(runtime, closed, step)}/complete", json=form).status_code
            == 200
        )
    start("2024-Q2", key_task=elsewhere)

    def ids(**query):
        response = sup.get("/api/v1/key-tasks", query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return sorted(t["id"] for t in response.get_json()["items"])

    assert ids(state="not_started") == [idle.id]
    assert ids(state="closed") == [closed_task.id]
    assert ids(state="running") == sorted([world.key_task.id, elsewhere.id])
    assert ids(plan=other_plan.id) == [elsewhere.id]
    assert ids(unit=world.co_units[1].id) == sorted([world.key_task.id, idle.id])
    assert ids(light="green") == sorted([world.key_task.id, elsewhere.id])
    assert ids(light="red") == []
    # The dispatch step is due in one working day: two days later both running tasks are red.
    clock.advance(timedelta(days=2))
    assert ids(light="red") == sorted([world.key_task.id, elsewhere.id])
    assert ids(light="green") == []
    detail = sup.get(f"/api/v1/key-tasks/{world.key_task.id}").get_json()
    assert detail["light"] == "red" and detail["state"] == "running" and detail["current_cycle_id"] == running
    assert [u["name"] for u in detail["lead_units"]] == ["区发展改革和经济信息化局"]
    assert [u["name"] for u in detail["co_units"]] == ["区财政局", "凤凰街道", "泽林镇"]
    assert detail["cycles"][0]["open_steps"][0]["step"] == "dispatch"
    assert detail["cycles"][0]["open_steps"][0]["light"] == "red"

    states = sup.get(f"/api/v1/cycles/{running}/diagram").get_json()
    assert states["element_states"]["dispatch"] == "overdue" and states["xml"].startswith("<?xml")
    assert "bpmndi:BPMNDiagram" in states["xml"] or "BPMNDiagram" in states["xml"]


def test_the_step_page_shows_what_doing_it_needs_and_hides_other_units_content(api, world, runtime, start):
    cycle_id = start()
    api(world.supervisor).post(f"/api/v1/human-tasks/{open_step(runtime, cycle_id, 'dispatch')}/complete", json={})
    sign_for = open_step(runtime, cycle_id, "sign_for")
    page = api(world.lead_staff).get(f"/api/v1/human-tasks/{sign_for}").get_json()
    assert page["key_task"]["title"] == "推行产业链长制" and page["key_task"]["body"] == "正文"
    assert page["can_act"] is False  # sign-for needs the unit head (config [permissions])
    assert api(world.lead_head).get(f"/api/v1/human-tasks/{sign_for}").get_json()["can_act"] is True
    api(world.lead_head).post(f"/api/v1/human-tasks/{sign_for}/complete", json={})
    tasks = {}
    for i, head in enumerate(world.co_heads):
        with runtime.work(write=False) as work:
            tasks[i] = work.session.scalar(
                select(HumanTask.id).where(HumanTask.cycle_id == cycle_id, HumanTask.unit_id == head.unit_id)
            )
        api(head).post(
            f"/api/v1/human-tasks/{tasks[i]}/complete", json={"data": {"text": f"意见{i}"}, "comment": f"备注{i}"}
        )
    mine = api(world.co_heads[0]).get(f"/api/v1/human-tasks/{tasks[0]}").get_json()
    assert mine["data"] == {"text": "意见0"} and mine["state"] == "done" and mine["shown"] == []
    history = {h["id"]: h for h in mine["history"]}
    assert history[tasks[0]]["comment"] == "备注0" and history[tasks[1]]["comment"] is None
    assert history[tasks[1]]["content_visible"] is False
    assert api(world.co_heads[0]).get(f"/api/v1/human-tasks/{tasks[1]}").status_code == 404
    cycle = api(world.co_heads[0]).get(f"/api/v1/cycles/{cycle_id}").get_json()
    assert [s["step"] for s in cycle["steps_open"]] == ["consolidate"]
    assert {s["comment"] for s in cycle["steps_done"] if s["step"] == "co_input"} == {"备注0", None}


def test_plans_import_through_the_api_like_the_cli(api, world, runtime):
    sup = api(world.supervisor)
    before = sup.get("/api/v1/plans").get_json()  # the world fixture's own plan
    data = PLAN_FILE.read_bytes()
    dry = sup.post(
        "/api/v1/plans/import",
        data={"file": (io.BytesIO(data), PLAN_FILE.name), "dry_run": "true", "create_units": "true"},
    )
    assert dry.status_code == 200, dry.get_data(as_text=True)
    body = dry.get_json()
    assert body["dry_run"] is True and body["plan_id"] is None and len(body["tasks"]) == 14
    assert set(body) >= {"title", "sections", "tasks", "problems", "ok", "unknown_units", "blockers"}
    assert sup.get("/api/v1/plans").get_json() == before
    blocked = sup.post("/api/v1/plans/import", data={"file": (io.BytesIO(data), PLAN_FILE.name)})
    assert blocked.status_code == 422 and blocked.headers["Content-Type"] == "application/problem+json"
    assert blocked.get_json()["result"]["unknown_units"] and "单位名录" in blocked.get_json()["detail"]
    created = sup.post(
        "/api/v1/plans/import", data={"file": (io.BytesIO(data), PLAN_FILE.name), "create_units": "true"}
    )
    assert created.status_code == 201 and created.get_json()["plan_id"]
    again = sup.post("/api/v1/plans/import", data={"file": (io.BytesIO(data), PLAN_FILE.name)})
    assert again.status_code == 200 and again.get_json()["already_imported"] is True
    plans = sup.get("/api/v1/plans").get_json()[len(before) :]
    assert [(p["id"], p["key_tasks"]) for p in plans] == [(created.get_json()["plan_id"], 14)]
    nonsense = sup.post("/api/v1/plans/import", data={"file": (io.BytesIO(b"\x00\x01binary"), "x.txt"), "dry_run": "1"})
    assert nonsense.status_code == 200 and nonsense.get_json()["ok"] is False
    missing = sup.post("/api/v1/plans/import", data={"dry_run": "true"})
    assert missing.status_code == 422 and missing.get_json()["field"] == "file"


def test_the_document_and_its_page(app):
    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    complete = spec["paths"]["/api/v1/human-tasks/{task_id}/complete"]["post"]
    assert set(complete["responses"]) >= {"200", "403", "409", "422"}
    conflict = complete["responses"]["409"]
    if "$ref" in conflict:
        conflict = spec["components"]["responses"][conflict["$ref"].rsplit("/", 1)[1]]
    assert list(conflict["content"]) == ["application/problem+json"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert (
        page.status_code == 200
        and "swagger-ui-bundle.js" in html
        and "http" not in html.split("<body>")[1].split("data-spec")[0].replace("https://", "X")
    )
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "duban-docs.js"):
        assert client.get(f"/api/v1/docs/assets/{name}").status_code == 200
    assert client.get("/api/v1/docs/assets/..%2Fsecret").status_code == 404


def test_the_inbox_json_is_what_its_schema_says(api, world, runtime, start):
    from service.api.schemas.human_tasks import InboxSchema
    from service.operations.queries.inbox import inbox

    for round_name in ("2024-Q2", "2024-Q3", "2024-Q4"):
        start(round_name)
    response = api(world.supervisor).get("/api/v1/inbox?limit=2")
    with runtime.work(write=False) as work:
        expected = InboxSchema().dump(inbox(work, world.supervisor, limit=2))
    assert response.get_json() == expected
    assert expected["total"] == 3 and len(expected["items"]) == 2 and expected["next_cursor"]
    rest = api(world.supervisor).get(f"/api/v1/inbox?limit=2&cursor={expected['next_cursor']}").get_json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None


def test_the_inbox_pages_the_same_steps_in_either_direction(api, world, start):
    for round_name in ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1"):
        start(round_name)
    client = api(world.supervisor)

    def walk(order: str) -> list[dict]:
        items, cursor = [], None
        while True:
            query = f"/api/v1/inbox?limit=2&order={order}" + (f"&cursor={cursor}" if cursor else "")
            page = client.get(query).get_json()
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items

    ascending, descending = walk("asc"), walk("desc")
    assert len(ascending) == 5 and [i["id"] for i in descending] == [i["id"] for i in reversed(ascending)]
    keys = [(i["due_at"], i["id"]) for i in ascending]
    assert keys == sorted(keys)
    # The default for open steps is the most urgent first.
    assert [i["id"] for i in client.get("/api/v1/inbox?limit=5").get_json()["items"]] == [i["id"] for i in ascending]
    # A cursor belongs to its direction: reusing it the other way round is a clear 422, not a wrong page.
    cursor = client.get("/api/v1/inbox?limit=2&order=asc").get_json()["next_cursor"]
    mixed = client.get(f"/api/v1/inbox?limit=2&order=desc&cursor={cursor}")
    assert mixed.status_code == 422 and mixed.get_json()["field"] == "cursor"
    bad = client.get("/api/v1/inbox?order=sideways")
    assert bad.status_code == 422 and bad.get_json()["field"] == "order"


def test_an_id_past_the_database_s_integers_is_not_found(api, world):
    """A 32-bit key on PostgreSQL: 4817995333609 used to reach the database and come back a 500 there
    (schemathesis found it); every <int:…> route now stops at 2^31-1, and the document says so."""
    sup = api(world.supervisor)
    for path in ("/api/v1/plans/4817995333609", "/api/v1/cycles/2147483648", "/api/v1/human-tasks/99999999999"):
        answer = sup.get(path)
        assert answer.status_code == 404, (path, answer.get_data(as_text=True)[:200])
    assert sup.get("/api/v1/plans/2147483647").status_code == 404  # the largest key: asked, and not there
    spec = sup.get("/api/v1/openapi.json").get_json()
    (param,) = spec["paths"]["/api/v1/plans/{plan_id}"]["parameters"]
    assert param["schema"]["maximum"] == 2**31 - 1

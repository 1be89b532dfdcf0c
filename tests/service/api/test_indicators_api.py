"""/api/v1/…/indicators over the API: the shapes, the office's changes, and clear problems for bad input."""

from __future__ import annotations


def test_add_read_correct_and_retire_over_the_api(api, world):
    office = api(world.supervisor)
    path = f"/api/v1/key-tasks/{world.key_task.id}/indicators"
    made = office.post(path, json={"name": "技改项目", "comparator": "≥", "target": "20", "measure": "个"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["target_text"], body["responsible_unit"], body["source"]) == (
        "≥ 20 个",
        world.lead_unit.name,
        "manual",
    )

    listed = api(world.co_heads[0]).get(path).get_json()
    assert [i["name"] for i in listed["indicators"]] == ["技改项目"]
    assert listed["progress"]["light"] is None and listed["round"] is None  # no round, nothing reported

    fixed = office.request("PATCH", f"/api/v1/indicators/{body['id']}", json={"target": 25, "measure": "项"})
    assert fixed.status_code == 200 and fixed.get_json()["target_text"] == "≥ 25 项"
    retired = office.post(f"/api/v1/indicators/{body['id']}/retire", json={"reason": "并入任务3"})
    assert retired.get_json()["active"] is False and retired.get_json()["retire_reason"] == "并入任务3"
    again = office.post(f"/api/v1/indicators/{body['id']}/retire", json={"reason": "再次"})
    assert again.status_code == 409 and "已停用" in again.get_json()["detail"]


def test_bad_input_is_a_problem_naming_the_field(api, world):
    office = api(world.supervisor)
    path = f"/api/v1/key-tasks/{world.key_task.id}/indicators"
    cases = [
        ({"name": "项目", "comparator": "≥", "target": "很多"}, "target", "应为数字"),
        ({"name": "项目", "comparator": "大于", "target": 1}, "comparator", "应为"),
        ({"comparator": "≥", "target": 1}, "name", "缺少"),
        (
            {"name": "项目", "comparator": "≥", "target": 1, "schedule": [{"by": "六月", "share": 50}]},
            "schedule[0].by",
            "日期",
        ),
    ]
    for body, field, says in cases:
        response = office.post(path, json=body)
        problem = response.get_json()
        assert response.status_code == 422, problem
        assert problem["field"] == field and says in problem["detail"], problem
    assert office.get(path).get_json()["indicators"] == []
    assert office.get("/api/v1/plans/99999/indicators").status_code == 404


def test_a_progress_report_through_the_complete_endpoint(api, world, start, runtime):
    from sqlalchemy import select

    from db.models import HumanTask, HumanTaskState
    from service.operations.cycles.complete import complete_human_task

    office = api(world.supervisor)
    made = office.post(
        f"/api/v1/key-tasks/{world.key_task.id}/indicators",
        json={"name": "新签约亿元以上项目", "comparator": "≥", "target": 80, "measure": "个"},
    ).get_json()
    cycle = start("2024-Q2")

    def open_ids(step):
        with runtime.work(write=False) as work:
            return list(
                work.session.scalars(
                    select(HumanTask.id).where(
                        HumanTask.cycle_id == cycle, HumanTask.step_id == step, HumanTask.state == HumanTaskState.OPEN
                    )
                )
            )

    for step, actors in (
        ("dispatch", [world.supervisor]),
        ("sign_for", [world.lead_head]),
        ("co_input", world.co_heads),
    ):
        for task_id, actor in zip(open_ids(step), actors, strict=False):
            with runtime.work() as work:
                complete_human_task(work, actor, task_id, data={"text": "意见"} if step == "co_input" else None)
    (consolidate,) = open_ids("consolidate")
    lead = api(world.lead_head)
    bad = lead.post(
        f"/api/v1/human-tasks/{consolidate}/complete",
        json={"data": {"report": "进展"}, "progress": {"values": {str(made["id"]): 40.5}}},
    )
    assert bad.status_code == 422 and bad.get_json()["field"] == f"progress.values.{made['id']}"
    good = lead.post(
        f"/api/v1/human-tasks/{consolidate}/complete",
        json={"data": {"report": "进展"}, "progress": {"percent": 50, "values": {str(made["id"]): 41}}},
    )
    assert good.status_code == 200, good.get_json()
    read = api(world.co_heads[1]).get(f"/api/v1/key-tasks/{world.key_task.id}/indicators").get_json()
    assert read["round"] == "2024-Q2" and read["progress"]["percent"] == 50
    assert (read["indicators"][0]["value"], read["indicators"][0]["completion"]) == (41, 51.2)

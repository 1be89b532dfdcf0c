"""/api/v1/…/indicators over the API: the shapes, the office's changes, and clear problems for bad input."""

from __future__ import annotations


def test_add_read_correct_and_retire_over_the_api(api, people):
    office = api(people.supervisor)
    path = f"/api/v1/key-tasks/{people.key_task.id}/indicators"
    made = office.post(path, json={"name": "技改项目", "comparator": "≥", "target": "20", "measure": "个"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["target_text"], body["responsible_unit"], body["source"]) == (
        "≥ 20 个",
        people.lead_unit.name,
        "manual",
    )

    listed = api(people.co_heads[0]).get(path).get_json()
    assert [i["name"] for i in listed["indicators"]] == ["技改项目"]
    assert listed["progress"]["light"] is None and listed["round"] is None  # no round, nothing reported

    fixed = office.request("PATCH", f"/api/v1/indicators/{body['id']}", json={"target": 25, "measure": "项"})
    assert fixed.status_code == 200 and fixed.get_json()["target_text"] == "≥ 25 项"
    retired = office.post(f"/api/v1/indicators/{body['id']}/retire", json={"reason": "并入任务3"})
    assert retired.get_json()["active"] is False and retired.get_json()["retire_reason"] == "并入任务3"
    again = office.post(f"/api/v1/indicators/{body['id']}/retire", json={"reason": "再次"})
    assert again.status_code == 409 and "已停用" in again.get_json()["detail"]


def test_bad_input_is_a_problem_naming_the_field(api, people):
    office = api(people.supervisor)
    path = f"/api/v1/key-tasks/{people.key_task.id}/indicators"
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

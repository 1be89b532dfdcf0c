"""/api/v1/plans over the API: status in the list, publish (409 naming the units nobody can sign
for, forced with a reason), archive; the OpenAPI document names the endpoints."""

from __future__ import annotations

import io

from sqlalchemy import update

from db.models import Plan, User
from service.vocabulary import PlanStatus


def test_publish_refuses_with_the_units_then_forced_then_archived(api, world, runtime):
    with runtime.work() as work:
        work.session.execute(update(Plan).where(Plan.id == world.plan.id).values(status=PlanStatus.DRAFT))
        work.session.execute(update(User).where(User.username == "lead_head").values(active=False))
    office = api(world.supervisor)
    listed = office.get("/api/v1/plans").get_json()
    assert [(p["id"], p["status"], p["status_label"], p["revision"]) for p in listed] == [
        (world.plan.id, "draft", "草稿", 1)
    ]
    path = f"/api/v1/plans/{world.plan.id}"
    refused = office.post(f"{path}/publish", json={})
    assert refused.status_code == 409
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert refused.get_json()["units"] == [world.lead_unit.name] and refused.get_json()["field"] == "units"
    no_reason = office.post(f"{path}/publish", json={"force": True})
    assert no_reason.status_code == 422 and no_reason.get_json()["field"] == "reason"
    forced = office.post(f"{path}/publish", json={"force": True, "reason": "账号本周开设"})
    assert forced.status_code == 200 and forced.get_json()["status"] == "published"
    assert forced.get_json()["published_at"]
    assert office.post(f"{path}/publish", json={}).status_code == 409
    archived = office.post(f"{path}/archive", json={"reason": "年度结束"})
    assert archived.status_code == 200 and archived.get_json()["status"] == "archived"
    assert api(world.lead_staff).get(path).get_json()["status_label"] == "已归档"  # still readable
    assert office.get("/api/v1/plans/999999").status_code == 404


def test_the_openapi_document_describes_publishing(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    publish = spec["paths"]["/api/v1/plans/{plan_id}/publish"]["post"]
    assert {"200", "403", "404", "409", "422"} <= set(publish["responses"])
    assert "409" in spec["paths"]["/api/v1/plans/{plan_id}/archive"]["post"]["responses"]


REVISED = """鄂城区2024年“三新三强”行动方案
1.推行产业链长制。全面推行链长制。(牵头单位:区统计局;责任单位:区财政局、凤凰街道)
2.建设智慧园区。力争新增企业10家以上。(牵头单位:区财政局;责任单位:泽林镇)
"""


def test_a_revision_over_the_api_and_a_racing_confirm(api, world):
    office = api(world.supervisor)

    def send(text=REVISED, **form):
        data = {"file": (io.BytesIO(text.encode()), "v2.txt"), **form}
        return office.post("/api/v1/plans/import", data=data, content_type="multipart/form-data")

    preview = send(dry_run="true")
    assert preview.status_code == 200
    revision = preview.get_json()["revision"]
    assert revision["plan_id"] == world.plan.id and revision["revision"] == 1 and revision["recognised"] is True
    assert revision["counts"] == {"changed": 1, "added": 1, "removed": 0, "same": 0}
    first = revision["tasks"][0]
    assert first["key_task_id"] == world.key_task.id and first["lead_units"]["added"] == ["区统计局"]
    done = send(expected_revision="1")
    assert done.status_code == 200 and done.get_json()["revised"] is True
    late = send(REVISED.replace("10家", "12家"), expected_revision="1")  # confirmed against version 1 too
    assert late.status_code == 409 and "已被修订" in late.get_json()["detail"]
    assert office.get(f"/api/v1/plans/{world.plan.id}").get_json()["revision"] == 2
    # Chosen as a new plan instead: a draft of its own (201).
    apart = send(REVISED + "\n", as_new="true")
    assert apart.status_code == 201 and apart.get_json()["plan_id"] != world.plan.id
    assert send(REVISED.replace("10家", "15家"), revision_of="999999", dry_run="true").status_code == 422

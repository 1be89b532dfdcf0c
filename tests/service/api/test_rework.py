"""Rework keeps the work (issue 11, item 10): after a 退回 or 驳回 the consolidation opens again
pre-filled with the previous report, its attachments carried over unless removed, and the step
(page and API) shows the versions v1, v2 … with who sent each back and why."""

from __future__ import annotations

from service.operations.cycles.attachments import upload_attachment
from tests.helpers import open_tasks

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_returned_report_comes_back_prefilled_with_its_files_and_versions(world, to_consolidate, act, api, runtime):
    cycle_id = to_consolidate()
    (v1,) = open_tasks(runtime, cycle_id, "consolidate")
    with runtime.work() as work:
        upload_attachment(work, world.lead_head, v1.id, "台账.pdf", PDF)
    act(world.lead_head, v1.id, data={"report": "第一稿"})
    (review,) = open_tasks(runtime, cycle_id, "review")
    act(world.supervisor, review.id, decision="return", comment="数据不全")
    (v2,) = open_tasks(runtime, cycle_id, "consolidate")
    lead = api(world.lead_head)
    got = lead.get(f"/api/v1/human-tasks/{v2.id}").get_json()
    assert got["prefill"] == {"report": "第一稿"}
    assert [a["filename"] for a in got["attachments"]] == ["台账.pdf"]
    (first,) = got["versions"]
    assert (first["number"], first["data"], first["completed_by"] is not None) == (1, {"report": "第一稿"}, True)
    ((returned,),) = [first["sent_back"]]
    assert (returned["party"], returned["decision_label"], returned["comment"]) == ("区政府督查室", "退回", "数据不全")

    # Removed from the new version only: v1 keeps its file.
    carried = got["attachments"][0]["id"]
    assert api(world.co_heads[0]).delete(f"/api/v1/attachments/{carried}").status_code == 404
    assert lead.delete(f"/api/v1/attachments/{carried}").status_code == 204
    got = lead.get(f"/api/v1/human-tasks/{v2.id}").get_json()
    assert got["attachments"] == [] and [a["filename"] for a in got["versions"][0]["attachments"]] == ["台账.pdf"]

    act(world.lead_head, v2.id, data={"report": "第二稿"})
    act(world.supervisor, open_tasks(runtime, cycle_id, "review")[0].id, decision="pass")
    act(world.leader, open_tasks(runtime, cycle_id, "approve")[0].id, decision="reject", comment="措施不实")
    act(world.supervisor, open_tasks(runtime, cycle_id, "review")[0].id, decision="return", comment="按领导意见修改")
    (v3,) = open_tasks(runtime, cycle_id, "consolidate")
    got = lead.get(f"/api/v1/human-tasks/{v3.id}").get_json()
    assert got["prefill"] == {"report": "第二稿"}
    assert [v["number"] for v in got["versions"]] == [1, 2]
    assert [(b["decision_label"], b["comment"]) for b in got["versions"][1]["sent_back"]] == [
        ("驳回", "措施不实"),
        ("退回", "按领导意见修改"),
    ]
    # Done, the step is its own last version; a step never sent back shows no versions.
    act(world.lead_head, v3.id, data={"report": "第三稿"})
    assert [v["number"] for v in lead.get(f"/api/v1/human-tasks/{v3.id}").get_json()["versions"]] == [1, 2, 3]

"""The moves off the happy path on the pages (issue 11): the buttons are where authz allows them,
each form does its move, and the done-when scenario runs through the pages: the admin disables a
co-unit with its input open, chooses 免报 for it, and the cycle is finished to its close."""

from __future__ import annotations

import re
from datetime import timedelta

from db.models import Cycle, CycleStatus
from service.operations.cycles.attachments import upload_attachment
from tests.helpers import notified, open_tasks, task_row

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _signed(world, start, act, runtime) -> int:
    cycle_id = start()
    act(world.supervisor, open_tasks(runtime, cycle_id, "dispatch")[0].id)
    act(world.lead_head, open_tasks(runtime, cycle_id, "sign_for")[0].id)
    return cycle_id


def test_the_step_page_offers_each_person_their_moves(world, start, act, runtime, web):
    cycle_id = _signed(world, start, act, runtime)
    street = next(t for t in open_tasks(runtime, cycle_id, "co_input") if t.unit_id == world.co_units[1].id)
    office = web("duchashi").get(f"/human-tasks/{street.id}").get_data(as_text=True)
    for form in ("urge-form", "waive-form", "reassign-form"):
        assert f'id="{form}"' in office
    assert 'id="decline-form"' not in office
    unit = web("co_head_1").get(f"/human-tasks/{street.id}").get_data(as_text=True)
    assert 'id="decline-form"' in unit and 'id="waive-form"' not in unit and 'id="urge-form"' not in unit

    head = web("co_head_1")
    declined = head.post(f"/human-tasks/{street.id}/decline", {"comment": "不属于街道职责"})
    assert declined.status_code == 302
    inbox = web("duchashi").get("/inbox").get_data(as_text=True)
    assert 'id="declines"' in inbox and "不属于街道职责" in inbox
    assert 'id="declines-tile"' in web("duchashi").get("/").get_data(as_text=True)
    urged = web("duchashi").post(f"/human-tasks/{street.id}/urge", {"comment": "请抓紧"})
    assert urged.status_code == 302
    page = web("duchashi").get(f"/human-tasks/{street.id}").get_data(as_text=True)
    assert "催办 1 次" in page and "待督查室处理" in page
    again = web("duchashi")
    again.post(f"/human-tasks/{street.id}/urge", {})
    assert "本工作日已经催办过" in again.get("/inbox").get_data(as_text=True)  # the refusal is flashed
    ledger = web("duchashi").get("/ledger?round=2024-Q2").get_data(as_text=True)
    assert "催办 1 次" in ledger


def test_close_inputs_and_cancel_on_the_cycle_page(world, start, act, runtime, web, clock):
    cycle_id = _signed(world, start, act, runtime)
    town = open_tasks(runtime, cycle_id, "co_input")[-1]
    lead = web("lead_head")
    assert 'id="close-inputs-form"' in lead.get(f"/cycles/{cycle_id}").get_data(as_text=True)
    assert 'id="cancel-form"' not in lead.get(f"/cycles/{cycle_id}").get_data(as_text=True)
    early = lead.post(f"/cycles/{cycle_id}/close-inputs", {})
    assert early.status_code == 302 and "尚未到" in lead.get(f"/cycles/{cycle_id}").get_data(as_text=True)
    clock.set(town.due_at + timedelta(minutes=5))
    lead = web("lead_head")  # a session of its own: the one above is days old now
    assert lead.post(f"/cycles/{cycle_id}/close-inputs", {"comment": "按期汇总"}).status_code == 302
    assert [t.step_id for t in open_tasks(runtime, cycle_id)] == ["consolidate"]
    assert task_row(runtime, town.id).outcome == "missed"
    office = web("duchashi")
    assert 'id="cancel-form"' in office.get(f"/cycles/{cycle_id}").get_data(as_text=True)
    office.post(f"/cycles/{cycle_id}/cancel", {"comment": "任务调整"})
    page = office.get(f"/cycles/{cycle_id}").get_data(as_text=True)
    assert 'id="cycle-cancelled"' in page
    assert "已撤销" in office.get("/ledger?round=2024-Q2").get_data(as_text=True)


def test_a_disabled_co_unit_with_its_input_open_through_the_pages(world, start, act, runtime, web):
    cycle_id = _signed(world, start, act, runtime)
    street = world.co_units[1]
    inputs = {t.unit_id: t for t in open_tasks(runtime, cycle_id, "co_input")}
    admin = web("admin")
    asked = admin.post(f"/admin/units/{street.id}/disable", {})
    assert asked.status_code == 303 and asked.headers["Location"].endswith(f"/admin/units/{street.id}/disable")
    choose = admin.get(f"/admin/units/{street.id}/disable").get_data(as_text=True)
    assert f'name="step.{inputs[street.id].id}"' in choose and "重点任务1「推行产业链长制」" in choose
    saved = admin.post(
        f"/admin/units/{street.id}/disable", {f"step.{inputs[street.id].id}": "waive", "comment": "机构改革"}
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:300]
    assert task_row(runtime, inputs[street.id].id).outcome == "waived"
    web("co_head_0").post(f"/human-tasks/{inputs[world.co_units[0].id].id}", {"data.text": "财政意见"})
    web("co_head_2").post(f"/human-tasks/{inputs[world.co_units[2].id].id}", {"data.text": "泽林镇意见"})
    (consolidate,) = open_tasks(runtime, cycle_id, "consolidate")
    page = web("lead_head").get(f"/human-tasks/{consolidate.id}").get_data(as_text=True)
    assert "免报" in page and "机构改革" in page
    web("lead_head").post(f"/human-tasks/{consolidate.id}", {"data.report": "汇总报告"})
    (review,) = open_tasks(runtime, cycle_id, "review")
    web("duchashi").post(f"/human-tasks/{review.id}", {"decision": "pass"})
    (approve,) = open_tasks(runtime, cycle_id, "approve")
    web("lingdao").post(f"/human-tasks/{approve.id}", {"decision": "approve"})
    with runtime.work(write=False) as work:
        assert work.session.get(Cycle, cycle_id).status == CycleStatus.CLOSED
    assert len(notified(runtime, "co_head_1", "waived")) == 1


def test_the_returned_report_comes_back_prefilled_on_the_page(world, to_consolidate, act, runtime, web):
    cycle_id = to_consolidate()
    (v1,) = open_tasks(runtime, cycle_id, "consolidate")
    with runtime.work() as work:
        upload_attachment(work, world.lead_head, v1.id, "台账.pdf", PDF)
    act(world.lead_head, v1.id, data={"report": "第一稿"})
    act(world.supervisor, open_tasks(runtime, cycle_id, "review")[0].id, decision="return", comment="数据不全")
    (v2,) = open_tasks(runtime, cycle_id, "consolidate")
    lead = web("lead_head")
    page = lead.get(f"/human-tasks/{v2.id}").get_data(as_text=True)
    assert 'id="versions"' in page and "v1" in page and "数据不全" in page
    assert "第一稿</textarea>" in page and 'id="current-files"' in page and "台账.pdf" in page
    (attachment,) = re.findall(r'action="/attachments/(\d+)/remove"', page)
    removed = lead.post(f"/attachments/{attachment}/remove", {"task": str(v2.id)})
    assert removed.status_code == 302, removed.get_data(as_text=True)[:400]
    after = lead.get(f"/human-tasks/{v2.id}").get_data(as_text=True)
    assert "附件已移除" in after, after[after.find('class="flash') :][:300]
    assert 'id="current-files"' not in after


def test_a_unit_withdraws_its_extension_request_from_the_list(world, start, act, runtime, web):
    from datetime import timedelta as days

    from service.operations.supervision.extensions import request_extension

    cycle_id = start()
    act(world.supervisor, open_tasks(runtime, cycle_id, "dispatch")[0].id)
    (sign_for,) = open_tasks(runtime, cycle_id, "sign_for")
    with runtime.work() as work:
        asked = request_extension(
            work, world.lead_head, sign_for.id, new_due_date=(sign_for.due_at + days(days=7)).date(), reason="忙"
        )
    lead = web("lead_staff")
    page = lead.get("/extensions").get_data(as_text=True)
    assert 'class="withdraw-extension"' in page
    assert 'class="withdraw-extension"' not in web("duchashi").get("/extensions?view=all").get_data(as_text=True)
    assert "退回交办待处理" not in web("duchashi").get("/").get_data(as_text=True)
    lead.post(f"/extensions/{asked.id}/withdraw", {})
    assert "已撤回" in lead.get("/extensions").get_data(as_text=True)


def test_the_reassign_form_refuses_a_unit_already_giving_its_input(world, start, act, runtime, web):
    cycle_id = _signed(world, start, act, runtime)
    town = next(t for t in open_tasks(runtime, cycle_id, "co_input") if t.unit_id == world.co_units[2].id)
    office = web("duchashi")
    sent = office.post(
        f"/human-tasks/{town.id}/reassign", {"unit_id": str(world.co_units[0].id), "comment": "职责调整"}
    )
    assert sent.status_code == 302
    page = office.get(f"/human-tasks/{town.id}").get_data(as_text=True)
    assert f"“{world.co_units[0].name}”在本轮已有待办" in page
    # The form offers neither: the co-units giving their input, nor the lead unit.
    offered = page[page.index('id="reassign-unit"') :]
    offered = offered[: offered.index("</select>")]
    for unit in (world.co_units[0], world.co_units[1], world.lead_unit):
        assert f'value="{unit.id}"' not in offered, unit.name
    assert f'value="{world.outsider.unit_id}"' in offered
    assert len(open_tasks(runtime, cycle_id, "co_input")) == 3


def test_the_cycle_page_counts_and_shows_steps_ended_by_a_move(world, start, act, runtime, web, make):
    cycle_id = _signed(world, start, act, runtime)
    other = make.unit("区商务局")
    inputs = {t.unit_id: t for t in open_tasks(runtime, cycle_id, "co_input")}
    office = web("duchashi")
    office.post(f"/human-tasks/{inputs[world.co_units[1].id].id}/waive", {"comment": "街道不涉及"})
    office.post(
        f"/human-tasks/{inputs[world.co_units[2].id].id}/reassign", {"unit_id": str(other.id), "comment": "职责调整"}
    )
    page = office.get(f"/cycles/{cycle_id}").get_data(as_text=True)
    assert "已办理(4)" in page and "待办理(2)" in page
    assert "免报" in page and "理由:街道不涉及" in page and "已转办" in page and "理由:职责调整" in page
    step = office.get(f"/human-tasks/{inputs[world.co_units[0].id].id}").get_data(as_text=True)
    assert "理由:街道不涉及" in step and "理由:职责调整" in step


def test_a_returned_report_leads_with_the_return_before_the_inputs(world, to_consolidate, act, runtime, web):
    cycle_id = to_consolidate()
    (v1,) = open_tasks(runtime, cycle_id, "consolidate")
    act(world.lead_head, v1.id, data={"report": "第一稿"})
    act(world.supervisor, open_tasks(runtime, cycle_id, "review")[0].id, decision="return", comment="数据不全")
    (v2,) = open_tasks(runtime, cycle_id, "consolidate")
    page = web("lead_head").get(f"/human-tasks/{v2.id}").get_data(as_text=True)
    banner = page[page.index('id="returned"') :]
    banner = banner[: banner.index("</div>")]
    assert "本环节被退回" in banner and "督查室" in banner and "数据不全" in banner and "2024" in banner
    assert page.index('id="returned"') < page.index('id="shown-co_input"') < page.index('id="work"')

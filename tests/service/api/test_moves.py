"""The moves off the happy path through the API (issue 11): 催办, 免报, 转办, 退回交办, 截止汇总,
撤回, 撤销 — each changes the engine's process, the rows, the audit trail, and tells someone."""

from __future__ import annotations

from datetime import timedelta

from db.models import Cycle, Extension, HumanTask
from service.operations.queries.scores import _counts
from service.operations.supervision.extensions import request_extension
from service.vocabulary import ScoreRule
from tests.helpers import actions, local, notified, open_tasks, task_row


def _row(runtime, model, id_):
    with runtime.work(write=False) as work:
        return work.session.get(model, id_)


def _signed(world, start, act, open_steps) -> int:
    cycle_id = start()
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
    act(world.lead_head, open_steps(cycle_id, "sign_for")[0].id)
    return cycle_id


def test_urge_once_a_day_counts_and_tells_the_unit_and_the_lead(world, start, act, open_steps, api, clock, runtime):
    cycle_id = _signed(world, start, act, open_steps)
    first = open_steps(cycle_id, "co_input")[0]
    urged = api(world.lead_head).post(f"/api/v1/human-tasks/{first.id}/urge", json={"comment": "请尽快报送"})
    assert urged.status_code == 200, urged.get_json()
    assert urged.get_json()["urge_count"] == 1
    again = api(world.supervisor).post(f"/api/v1/human-tasks/{first.id}/urge", json={})
    assert again.status_code == 409 and "本工作日已经催办过" in again.get_json()["detail"]
    clock.advance(timedelta(days=1))
    assert api(world.supervisor).post(f"/api/v1/human-tasks/{first.id}/urge", json={}).get_json()["urge_count"] == 2
    first_urge, second_urge = notified(runtime, "co_head_0", "urged")
    assert first_urge.title == "重点任务1「推行产业链长制」2024年第二季度:配合单位意见催办"
    assert second_urge.title.endswith("配合单位意见催办(第 2 次)") and "请尽快报送" in first_urge.body
    assert len(notified(runtime, "co_staff_0", "urged")) == 2
    assert len(notified(runtime, "lead_staff", "urged")) == 2  # copied to the lead unit for inputs
    # A co-unit may not urge; the lead unit's head may not urge its own step.
    assert api(world.co_heads[1]).post(f"/api/v1/human-tasks/{first.id}/urge", json={}).status_code == 404
    assert actions(runtime, "step.urged") == ["step.urged", "step.urged"]


def test_urge_once_per_working_day_a_weekend_belongs_to_the_friday(world, start, act, open_steps, api, clock, runtime):
    clock.set(local(2024, 4, 19, 10))  # a Friday; 20–21 April 2024 are a weekend, 22 a Monday
    cycle_id = _signed(world, start, act, open_steps)
    step = open_steps(cycle_id, "co_input")[0]
    urge = f"/api/v1/human-tasks/{step.id}/urge"
    assert api(world.supervisor).post(urge, json={}).status_code == 200
    clock.set(local(2024, 4, 21, 9))  # Sunday: still Friday's working day
    assert api(world.supervisor).post(urge, json={}).status_code == 409
    clock.set(local(2024, 4, 22, 8))  # Monday
    assert api(world.supervisor).post(urge, json={}).get_json()["urge_count"] == 2


def test_waive_and_close_inputs_open_the_consolidation_with_what_arrived(
    world, start, act, open_steps, api, clock, runtime
):
    cycle_id = _signed(world, start, act, open_steps)
    inputs = {t.unit_id: t for t in open_steps(cycle_id, "co_input")}
    finance, street, town = (inputs[u.id] for u in world.co_units)
    act(world.co_heads[0], finance.id, data={"text": "财政意见"})
    no_reason = api(world.supervisor).post(f"/api/v1/human-tasks/{street.id}/waive", json={"comment": " "})
    assert no_reason.status_code == 422 and no_reason.get_json()["field"] == "comment"
    waived = api(world.supervisor).post(f"/api/v1/human-tasks/{street.id}/waive", json={"comment": "街道不涉及"})
    assert waived.status_code == 200 and waived.get_json()["outcome"] == "waived"
    assert open_steps(cycle_id, "consolidate") == []  # the town's input is still open
    early = api(world.lead_head).post(f"/api/v1/cycles/{cycle_id}/close-inputs", json={})
    assert early.status_code == 409 and "尚未到" in early.get_json()["detail"]
    clock.set(town.due_at + timedelta(hours=1))
    assert api(world.supervisor).post(f"/api/v1/cycles/{cycle_id}/close-inputs", json={}).status_code == 403
    closed = api(world.lead_head).post(f"/api/v1/cycles/{cycle_id}/close-inputs", json={"comment": "按期汇总"})
    assert closed.status_code == 200 and closed.get_json()["ended"] == [town.id]
    assert task_row(runtime, town.id).outcome == "missed"
    (consolidate,) = open_steps(cycle_id, "consolidate")
    late = api(world.co_heads[2]).post(f"/api/v1/human-tasks/{town.id}/complete", json={"data": {"text": "迟到"}})
    assert late.status_code == 409 and "逾期未报" in late.get_json()["detail"]
    page = api(world.lead_head).get(f"/api/v1/human-tasks/{consolidate.id}").get_json()
    (shown,) = [s for s in page["shown"] if s["per_unit"]]
    assert {i["unit"]: i["outcome"] for i in shown["items"]} == {
        "区财政局": None,
        "凤凰街道": "waived",
        "泽林镇": "missed",
    }
    assert actions(runtime, "step.")[-2:] == ["step.waived", "step.missed"] or "step.missed" in actions(runtime)
    assert notified(runtime, "co_head_2", "inputs_closed")
    # 逾期未报 stays against the town in 考评 (an overdue step); 免报 is held against nobody.
    with runtime.work(write=False) as work:
        counted = _counts(work, "2024-Q2")
    assert counted[ScoreRule.OVERDUE_STEP][world.co_units[2].id] == 1
    assert counted[ScoreRule.OVERDUE_STEP][world.co_units[1].id] == 0


def test_cancel_ends_every_open_step_and_lapses_pending_extensions(world, start, act, open_steps, api, runtime):
    cycle_id = start()
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
    (sign_for,) = open_steps(cycle_id, "sign_for")
    with runtime.work() as work:
        extension = request_extension(
            work, world.lead_head, sign_for.id, new_due_date=(sign_for.due_at + timedelta(days=7)).date(), reason="忙"
        )
    assert api(world.lead_head).post(f"/api/v1/cycles/{cycle_id}/cancel", json={"comment": "x"}).status_code == 403
    cancelled = api(world.supervisor).post(f"/api/v1/cycles/{cycle_id}/cancel", json={"comment": "任务调整"})
    assert cancelled.status_code == 200 and cancelled.get_json() == {
        "cycle_id": cycle_id,
        "status": "cancelled",
        "ended": [sign_for.id],
    }
    assert open_tasks(runtime, cycle_id) == []
    assert task_row(runtime, sign_for.id).outcome == "cancelled"
    assert _row(runtime, Extension, extension.id).status.value == "expired"
    assert _row(runtime, Cycle, cycle_id).timer_due_at is None
    twice = api(world.supervisor).post(f"/api/v1/cycles/{cycle_id}/cancel", json={"comment": "再撤销"})
    assert twice.status_code == 409
    assert notified(runtime, "lead_staff", "cycle_cancelled")


def test_reassign_gives_the_step_a_fresh_deadline_and_scope_key_task_changes_later_rounds(
    world, start, act, open_steps, api, runtime, make, clock
):
    cycle_id = _signed(world, start, act, open_steps)
    other = make.unit("区商务局")
    make.user("unit_head", other, username="shangwu")
    town = next(t for t in open_steps(cycle_id, "co_input") if t.unit_id == world.co_units[2].id)
    clock.advance(timedelta(days=3))
    moved = api(world.supervisor).post(
        f"/api/v1/human-tasks/{town.id}/reassign",
        json={"unit_id": other.id, "comment": "职责调整", "scope": "key_task"},
    )
    assert moved.status_code == 200, moved.get_json()
    (new,) = moved.get_json()["opened"]
    assert task_row(runtime, town.id).outcome == "reassigned"
    row = task_row(runtime, new["id"])
    assert row.unit_id == other.id and row.ready_at == clock.now() and row.due_at > town.due_at
    assert notified(runtime, "shangwu", "reassigned")
    assert notified(runtime, "co_head_2", "reassigned_away")  # the unit it no longer waits for
    # The new unit does it and the cycle goes on; the next round asks the new unit, not the town.
    assert (
        api(world.supervisor)
        .post(
            f"/api/v1/human-tasks/{new['id']}/reassign",
            json={"unit_id": world.co_units[2].id, "comment": "x", "scope": "bad"},
        )
        .status_code
        == 422
    )
    next_cycle = start("2024-Q3")
    act(world.supervisor, open_steps(next_cycle, "dispatch")[0].id)
    act(world.lead_head, open_steps(next_cycle, "sign_for")[0].id)
    units = {t.unit_id for t in open_steps(next_cycle, "co_input")}
    assert other.id in units and world.co_units[2].id not in units


def test_decline_waits_for_the_office_which_reassigns_or_insists(world, start, act, open_steps, api, runtime, make):
    cycle_id = _signed(world, start, act, open_steps)
    inputs = {t.unit_id: t for t in open_steps(cycle_id, "co_input")}
    street = inputs[world.co_units[1].id]
    town = inputs[world.co_units[2].id]
    declined = api(world.co_heads[1]).post(f"/api/v1/human-tasks/{street.id}/decline", json={"comment": "非本街道职责"})
    assert declined.status_code == 201, declined.get_json()
    again = api(world.co_heads[1]).post(f"/api/v1/human-tasks/{street.id}/decline", json={"comment": "再说一次"})
    assert again.status_code == 409
    assert task_row(runtime, street.id).state.value == "open"  # it stays open, its deadline running
    pending = api(world.supervisor).get("/api/v1/declines?pending=true").get_json()["items"]
    assert [d["id"] for d in pending] == [declined.get_json()["id"]]
    assert notified(runtime, "duchashi", "declined")
    insisted = api(world.supervisor).post(
        f"/api/v1/declines/{pending[0]['id']}/decision", json={"decision": "insist", "comment": "属于街道职责"}
    )
    assert insisted.status_code == 200 and insisted.get_json()["status"] == "insisted"
    assert notified(runtime, "co_staff_1", "decline_insisted")
    town_decline = api(world.co_heads[2]).post(f"/api/v1/human-tasks/{town.id}/decline", json={"comment": "不涉及"})
    other = make.unit("区农业农村局")
    decided = api(world.supervisor).post(
        f"/api/v1/declines/{town_decline.get_json()['id']}/decision",
        json={"decision": "reassign", "comment": "转农业农村局", "unit_id": other.id},
    )
    assert decided.status_code == 200 and decided.get_json()["status"] == "reassigned"
    assert task_row(runtime, town.id).outcome == "reassigned"
    assert [t.unit_id for t in open_steps(cycle_id, "co_input") if t.unit_id == other.id] == [other.id]
    twice = api(world.supervisor).post(
        f"/api/v1/declines/{town_decline.get_json()['id']}/decision", json={"decision": "insist", "comment": "x"}
    )
    assert twice.status_code == 409
    # The lead unit signed for the work: its later steps cannot be declined.
    finance = inputs[world.co_units[0].id]
    act(world.co_heads[0], finance.id, data={"text": "意见"})
    act(world.co_heads[1], street.id, data={"text": "意见"})
    for t in open_steps(cycle_id, "co_input"):
        assert (
            api(world.supervisor).post(f"/api/v1/human-tasks/{t.id}/waive", json={"comment": "免报"}).status_code == 200
        )
    (consolidate,) = open_steps(cycle_id, "consolidate")
    late = api(world.lead_head).post(f"/api/v1/human-tasks/{consolidate.id}/decline", json={"comment": "不是我们的"})
    assert late.status_code == 409 and "已接受交办" in late.get_json()["detail"]


def test_withdraw_reopens_the_input_until_the_next_step_acts(world, to_consolidate, open_steps, api, act, runtime):
    cycle_id = to_consolidate()
    (consolidate,) = open_steps(cycle_id, "consolidate")
    with runtime.work(write=False) as work:
        done = (
            work.session.query(HumanTask)
            .filter_by(cycle_id=cycle_id, step_id="co_input", unit_id=world.co_units[0].id)
            .one()
        )
    assert api(world.co_heads[1]).post(f"/api/v1/human-tasks/{done.id}/withdraw").status_code == 404
    back = api(world.co_heads[0]).post(f"/api/v1/human-tasks/{done.id}/withdraw")
    assert back.status_code == 200, back.get_json()
    assert back.get_json()["state"] == "open"
    assert task_row(runtime, consolidate.id).outcome == "withdrawn"
    assert task_row(runtime, done.id).data == {"text": "区财政局的意见"}  # the form opens filled in
    # The lead unit, whose 汇总报送 ended, is told why.
    (told,) = notified(runtime, "lead_staff", "withdrawn")
    assert told.title == "重点任务1「推行产业链长制」2024年第二季度:区财政局撤回了配合单位意见"
    act(world.co_heads[0], done.id, data={"text": "修改后的意见"})
    (again,) = open_steps(cycle_id, "consolidate")
    act(world.lead_head, again.id, data={"report": "报告"})
    late = api(world.co_heads[0]).post(f"/api/v1/human-tasks/{done.id}/withdraw")
    assert late.status_code == 409 and "已经办理" in late.get_json()["detail"]


def test_reassign_refuses_a_unit_with_the_same_step_open_and_the_lead_unit_for_an_input(
    world, start, act, open_steps, api, runtime
):
    """转办 to a co-unit already giving its input would open a second input for it; a co-unit's
    input to the cycle's own lead unit makes the lead unit give itself input: both are 409s
    naming the unit, and nothing opens."""
    cycle_id = _signed(world, start, act, open_steps)
    inputs = {t.unit_id: t for t in open_steps(cycle_id, "co_input")}
    town = inputs[world.co_units[2].id]
    twice = api(world.supervisor).post(
        f"/api/v1/human-tasks/{town.id}/reassign",
        json={"unit_id": world.co_units[0].id, "comment": "职责调整"},
    )
    assert twice.status_code == 409, twice.get_json()
    assert world.co_units[0].name in twice.get_json()["detail"] and "已有待办" in twice.get_json()["detail"]
    to_lead = api(world.supervisor).post(
        f"/api/v1/human-tasks/{town.id}/reassign",
        json={"unit_id": world.lead_unit.id, "comment": "职责调整"},
    )
    assert to_lead.status_code == 409, to_lead.get_json()
    assert world.lead_unit.name in to_lead.get_json()["detail"] and "牵头单位" in to_lead.get_json()["detail"]
    assert len(open_steps(cycle_id, "co_input")) == 3
    assert task_row(runtime, town.id).outcome is None
    assert actions(runtime, "step.reassigned") == []


def test_steps_ended_by_waive_and_reassign_stay_in_the_cycle_record(world, start, act, open_steps, api, runtime, make):
    """免报 and 转办 end a step without a submission; the cycle's record (API, page, and the
    history of a step) keeps it, with the outcome's label and the reason."""
    cycle_id = _signed(world, start, act, open_steps)
    other = make.unit("区商务局")
    inputs = {t.unit_id: t for t in open_steps(cycle_id, "co_input")}
    street, town = inputs[world.co_units[1].id], inputs[world.co_units[2].id]
    office = api(world.supervisor)
    assert office.post(f"/api/v1/human-tasks/{street.id}/waive", json={"comment": "街道不涉及"}).status_code == 200
    moved = office.post(f"/api/v1/human-tasks/{town.id}/reassign", json={"unit_id": other.id, "comment": "职责调整"})
    assert moved.status_code == 200
    cycle = office.get(f"/api/v1/cycles/{cycle_id}").get_json()
    ended = {s["id"]: s for s in cycle["steps_done"]}
    assert (ended[street.id]["outcome"], ended[street.id]["outcome_label"], ended[street.id]["comment"]) == (
        "waived",
        "免报",
        "街道不涉及",
    )
    assert (ended[town.id]["outcome_label"], ended[town.id]["comment"]) == ("已转办", "职责调整")
    assert len(cycle["steps_done"]) == 4 and len(cycle["steps_open"]) == 2  # dispatch, sign_for + the two ended
    history = {h["id"]: h for h in office.get(f"/api/v1/human-tasks/{street.id}").get_json()["history"]}
    assert history[town.id]["outcome_label"] == "已转办" and history[street.id]["outcome_label"] == "免报"

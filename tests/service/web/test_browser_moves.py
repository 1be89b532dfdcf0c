"""The moves off the happy path clicked through in a real browser (issue 11, item 15): a unit
declines and the office insists from its inbox, the office waives one input and reassigns another,
the lead unit closes the inputs at the deadline, and the returned report comes back pre-filled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.helpers import open_tasks, task_row

pytestmark = pytest.mark.browser


def confirming(person):
    """Accepts the forms' confirm() questions (data-confirm) as a person would."""
    person.page.on("dialog", lambda dialog: dialog.accept())
    return person


def test_the_office_and_the_units_move_a_cycle_off_the_happy_path(people, world, runtime, clock, act, start, make):
    other = make.unit("区商务局")
    make.user("unit_head", other, username="shangwu")
    cycle_id = start()
    act(world.supervisor, open_tasks(runtime, cycle_id, "dispatch")[0].id)
    act(world.lead_head, open_tasks(runtime, cycle_id, "sign_for")[0].id)
    inputs = {t.unit_id: t for t in open_tasks(runtime, cycle_id, "co_input")}
    finance, street, town = (inputs[u.id] for u in world.co_units)

    # A unit says the input is not its business (退回交办).
    unit = people("co_head_0")
    unit.open(f"/human-tasks/{finance.id}")
    unit.page.locator("#decline summary").click()
    unit.page.fill("#decline-comment", "产业链资金不归财政局统筹")
    unit.page.locator("#decline-form button[type=submit]").click()
    expect(unit.page.locator(".flash.success")).to_contain_text("已退回交办")

    # The office answers in its inbox: 维持交办.
    office = confirming(people("duchashi"))
    office.open("/inbox")
    declines = office.page.locator("#declines")
    expect(declines).to_contain_text("产业链资金不归财政局统筹")
    declines.locator("select[name=decision]").select_option("insist")
    declines.locator("input[name=comment]").fill("资金统筹属财政局职责")
    declines.locator("button[type=submit]").click()
    expect(office.page.locator(".flash.success")).to_contain_text("退回交办已处理")

    # The office waives the street's input and reassigns the town's to 区商务局.
    office.open(f"/human-tasks/{street.id}")
    office.page.fill("#waive-comment", "街道不涉及产业链")
    office.page.locator("#waive-form button[type=submit]").click()
    expect(office.page.locator(".flash.success")).to_contain_text("已免报")
    expect(office.page.locator("#step-outcome")).to_have_text("免报")
    office.open(f"/human-tasks/{town.id}")
    office.page.locator("#reassign-unit").select_option(label="区商务局")
    office.page.fill("#reassign-comment", "职能划转至商务局")
    office.page.locator("#reassign-form button[type=submit]").click()
    expect(office.page.locator(".flash.success")).to_contain_text("已转办")
    assert task_row(runtime, town.id).outcome == "reassigned"

    # Past the inputs' deadline the lead unit closes them (截止汇总): 汇总报送 opens.
    clock.set(max(t.due_at for t in open_tasks(runtime, cycle_id, "co_input")) + timedelta(minutes=5))
    lead = confirming(people("lead_head"))
    lead.open(f"/cycles/{cycle_id}")
    lead.page.locator("#close-inputs-form button[type=submit]").click()
    expect(lead.page.locator(".flash.success")).to_contain_text("已截止汇总")
    (consolidate,) = open_tasks(runtime, cycle_id, "consolidate")
    lead.open(f"/human-tasks/{consolidate.id}")
    shown = lead.page.locator("#shown-co_input")
    expect(shown).to_contain_text("免报")
    expect(shown).to_contain_text("逾期未报")
    lead.page.fill("textarea[name='data.report']", "第一稿:产业链长制已覆盖 12 条产业链。")
    lead.page.locator("#step-form button[type=submit]").click()
    expect(lead.page.locator(".flash.success")).to_contain_text("「汇总报送」已办理完毕")

    # The office returns it; the report comes back pre-filled, with the version and the reason.
    act(world.supervisor, open_tasks(runtime, cycle_id, "review")[0].id, decision="return", comment="请补充资金数据")
    (again,) = open_tasks(runtime, cycle_id, "consolidate")
    lead.open(f"/human-tasks/{again.id}")
    expect(lead.page.locator("textarea[name='data.report']")).to_have_value("第一稿:产业链长制已覆盖 12 条产业链。")
    expect(lead.page.locator("#versions")).to_contain_text("请补充资金数据")
    expect(lead.page.locator("#versions")).to_contain_text("v1")
    lead.shot("rework-prefilled")

"""A key task's year in a real browser: the office manages indicators on the key task's page; the lead
unit reports values on 汇总报送 and the progress light moves on the ledger, 统计 and the step page; the
office adds 加减分 and publishes 打擂台, which a unit then reads; the bulletin and the .xlsx exports
download; the lead unit applies for 销号. Desktop (1280 px) and phone (375 px)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from db.models import Cycle, HumanTask, HumanTaskState
from service.operations.cycles.complete import complete_human_task
from service.operations.cycles.start import start_cycle

pytestmark = pytest.mark.browser


def step_id(runtime, cycle_id, step, unit_id=None):
    with runtime.work(write=False) as work:
        query = select(HumanTask.id).where(
            HumanTask.cycle_id == cycle_id, HumanTask.step_id == step, HumanTask.state == HumanTaskState.OPEN
        )
        if unit_id:
            query = query.where(HumanTask.unit_id == unit_id)
        return work.session.scalar(query)


@pytest.fixture
def at_consolidate(runtime, world):
    """A 2024-Q2 cycle standing at 汇总报送 (dispatched, signed for, both inputs given)."""
    with runtime.work() as work:
        cycle = start_cycle(work, world.supervisor, world.key_task.id, "2024-Q2").id
    with runtime.work() as work:
        complete_human_task(work, world.supervisor, step_id(runtime, cycle, "dispatch"))
    with runtime.work() as work:
        complete_human_task(work, world.lead_head, step_id(runtime, cycle, "sign_for"))
    for unit, head in zip(world.co_units, world.co_heads, strict=True):
        with runtime.work() as work:
            complete_human_task(work, head, step_id(runtime, cycle, "co_input", unit.id), data={"text": "已配合"})
    return cycle


def add_indicator_through_the_page(office, world):
    office.open(f"/key-tasks/{world.key_task.id}")
    office.page.locator("#add-indicator summary").click()
    form = office.page.locator("#add-indicator form")
    form.locator("input[name=name]").fill("技改项目")
    form.locator("input[name=target]").fill("二十")
    form.locator("input[name=measure]").fill("个")
    form.locator("button[type=submit]").click()
    # Refused beside its field, what was typed kept.
    expect(office.page.locator("#err-new-target")).to_contain_text("应为数字")
    expect(office.page.locator("#add-indicator input[name=name]")).to_have_value("技改项目")
    office.page.locator("#add-indicator input[name=target]").fill("20")
    office.page.locator("#add-indicator button[type=submit]").click()
    expect(office.page.locator(".flash.success")).to_contain_text("已添加指标“技改项目”")
    expect(office.page.locator("#indicators tbody tr")).to_contain_text("≥ 20 个")


def test_the_office_manages_indicators_and_a_report_moves_the_lights(people, world, runtime, at_consolidate):
    office = people("duchashi")
    add_indicator_through_the_page(office, world)
    office.shot("01-indicator-added")

    # The lead unit reports on 汇总报送: a bad value first, then 4 of 20 (red against 序时 ≈ 55 %).
    lead = people("lead_head")
    lead.open(f"/human-tasks/{step_id(runtime, at_consolidate, 'consolidate')}")
    expect(lead.page.locator("#progress-form")).to_be_visible()
    lead.page.fill("textarea[name='data.report']", "本季度完成技改项目 4 个。")
    value = lead.page.locator("#progress-form input[name^='progress.values.']")
    value.fill("4.5")
    lead.page.fill("#p-percent", "20")
    lead.page.fill("#p-problems", "项目审批进度偏慢")
    lead.page.locator("#step-form button[type=submit]").click()
    expect(lead.page.locator("#progress-form .error")).to_contain_text("整数")
    expect(lead.page.locator("#p-problems")).to_have_value("项目审批进度偏慢")
    lead.page.locator("#progress-form input[name^='progress.values.']").fill("4")
    lead.page.locator("#step-form button[type=submit]").click()
    expect(lead.page.locator(".flash.success")).to_be_visible()

    office.open("/ledger")
    row = office.page.locator("#ledger tbody tr", has_text="推行产业链长制")
    expect(row.locator(".progress-light")).to_contain_text("红灯")
    expect(row.locator(".progress-light")).to_contain_text("20%")
    office.open("/dashboard")
    expect(office.page.locator("#progress .progress-light").first).to_contain_text("红灯")
    office.open(f"/human-tasks/{step_id(runtime, at_consolidate, 'review')}")
    expect(office.page.locator("#step-progress-light")).to_contain_text("红灯")
    expect(office.page.locator("#reviewed-progress")).to_contain_text("项目审批进度偏慢")
    office.shot("02-review-with-progress")
    office.open(f"/key-tasks/{world.key_task.id}")
    expect(office.page.locator("#chart-progress[data-ready=true]")).to_be_visible()
    expect(office.page.locator("#progress-light")).to_contain_text("红灯")
    office.shot("03-key-task")

    # Corrected and retired on the page (audited by the operations, tested there).
    office.page.locator("#indicators details summary").first.click()
    correct = office.page.locator("#indicators form").first
    correct.locator("input[name=target]").fill("5")
    correct.locator("button[type=submit]").click()
    expect(office.page.locator(".flash.success")).to_contain_text("已更正")
    # 4 of 5 is 80 %: the light turns green.
    expect(office.page.locator("#progress-light")).to_contain_text("绿灯")
    office.page.locator("#indicators details summary").first.click()
    retire = office.page.locator("#indicators form").nth(1)
    retire.locator("button[type=submit]").click()
    expect(office.page.locator("#indicators .error")).to_contain_text("停用理由")
    office.page.locator("#indicators form").nth(1).locator("input[name=reason]").fill("与其他任务重复")
    office.page.locator("#indicators form").nth(1).locator("button[type=submit]").click()
    expect(office.page.locator("#indicators tbody tr").first).to_contain_text("已停用")

    phone = people("lead_head", phone=True)
    phone.open(f"/key-tasks/{world.key_task.id}")
    expect(phone.page.locator("#chart-progress[data-ready=true]")).to_be_visible()
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 375
    phone.shot("04-key-task-phone")


def test_the_league_is_published_and_read_and_the_files_download(people, world, runtime, at_consolidate):
    with runtime.work() as work:
        complete_human_task(
            work, world.lead_head, step_id(runtime, at_consolidate, "consolidate"), data={"report": "报告"}
        )
    office = people("duchashi")
    office.open("/league")
    expect(office.page.locator("#unpublished")).to_be_visible()
    office.page.select_option("#adj-unit", label="凤凰街道")
    office.page.fill("#adj-points", "3")
    office.page.locator("form.adjust button").click()
    expect(office.page.locator("#err-reason")).to_be_visible()
    office.page.fill("#adj-reason", "主动对接,成效明显")
    office.page.locator("form.adjust button").click()
    expect(office.page.locator("#adjustments")).to_contain_text("主动对接")
    with office.page.expect_download() as download:
        office.page.locator("#league-export").click()
    book = load_workbook(BytesIO(Path(download.value.path()).read_bytes()))
    assert set(book.sheetnames) == {"镇街组", "区直部门组"}
    office.page.on("dialog", lambda dialog: dialog.accept())
    office.page.locator("#publish").click()
    expect(office.page.locator("#published")).to_be_visible()
    office.shot("01-published")

    unit = people("co_head_1")
    unit.open("/league")
    expect(unit.page.locator("#published")).to_be_visible()
    mine = unit.page.locator("tr.mine")
    expect(mine).to_contain_text("凤凰街道")
    expect(mine).to_contain_text("加减分")
    # Another unit's row shows its score, not its breakdown.
    other = unit.page.locator("#league-departments tbody tr", has_text="区财政局")
    expect(other.locator("details")).to_have_count(0)
    expect(unit.page.locator("#publish")).to_have_count(0)
    unit.shot("02-unit-reads")
    phone = people("co_head_1", phone=True)
    phone.open("/league")
    expect(phone.page.locator("#published")).to_be_visible()
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 375
    phone.shot("03-phone")

    office.open("/dashboard")
    with office.page.expect_download() as download:
        office.page.locator("#bulletin").click()
    document = Document(download.value.path())
    assert document.paragraphs[0].text.startswith("关于2024年第二季度")
    assert any("凤凰街道" in cell.text for table in document.tables for row in table.rows for cell in row.cells)
    with office.page.expect_download() as download:
        office.page.locator("#statistics-export").click()
    sheets = load_workbook(BytesIO(Path(download.value.path()).read_bytes())).sheetnames
    assert sheets == ["分板块", "重点任务", "超期清单"]


def test_the_lead_unit_applies_for_closing(people, world, runtime):
    lead = people("lead_head")
    lead.open(f"/key-tasks/{world.key_task.id}")
    lead.page.on("dialog", lambda dialog: dialog.accept())
    lead.page.locator("#apply-closing").click()
    expect(lead.page.locator("#work h2")).to_contain_text("销号申请")
    lead.page.fill("textarea[name='data.summary']", "全年目标已完成,佐证材料见附件。")
    lead.page.fill("#p-percent", "100")
    lead.page.locator("#step-form button[type=submit]").click()
    expect(lead.page.locator(".flash.success")).to_be_visible()
    lead.open(f"/key-tasks/{world.key_task.id}")
    expect(lead.page.locator("#year-status")).to_contain_text("销号中")
    expect(lead.page.locator("#apply-closing")).to_have_count(0)
    with runtime.work(write=False) as work:
        closing = work.session.scalars(select(Cycle).where(Cycle.round == "2024-销号")).one()
    assert step_id(runtime, closing.id, "review") is not None
    lead.shot("01-closing-applied")

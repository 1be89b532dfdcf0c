"""Pages a 督查室 works with, in Chromium at 1366 px and on a 375 px phone: the header's search box,
batch work on 待办 and the ledger, the diagram (issue 14 items 2, 9, 10)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.helpers import local

DESKTOP = {"width": 1366, "height": 900}


def _fits(person: Any, width: int) -> None:
    assert person.page.evaluate("document.documentElement.scrollWidth") <= width


def test_search_from_the_header_box(people, world, start, open_steps, act):
    cycle_id = start()
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id, comment="请抓紧落实链长制")
    desk = people("duchashi")
    desk.page.set_viewport_size(DESKTOP)
    desk.open("/inbox")
    box = desk.page.locator("header .search-box input[name=q]")
    box.fill("链长制")
    box.press("Enter")
    expect(desk.page.locator("#key_task li")).to_have_count(1)
    expect(desk.page.locator("#key_task li a")).to_have_text("推行产业链长制")
    expect(desk.page.locator("#human_task .snippet")).to_contain_text("请抓紧落实链长制")
    expect(desk.page.locator("h1")).to_contain_text("链长制")
    expect(box).to_have_value("链长制")  # the results page keeps the words in the box, legible
    assert box.evaluate("e => getComputedStyle(e).color") != box.evaluate("e => getComputedStyle(e).backgroundColor")
    _fits(desk, 1366)
    desk.shot("search")

    phone = people("co_head_0", phone=True)
    phone.open("/")
    box = phone.page.locator("header .search-box input[name=q]")
    expect(box).to_be_visible()
    box.fill("产业")  # two characters
    box.press("Enter")
    expect(phone.page.locator("#key_task li")).to_have_count(1)
    expect(phone.page.locator("#human_task")).to_have_count(0)  # the supervisor's step is not the unit's
    _fits(phone, 375)
    phone.shot("search")


def test_batch_dispatch_on_the_inbox_and_batch_start_on_the_ledger(people, world, make, start, open_steps, act):
    others = [make.key_task([world.lead_unit], [], plan=world.plan, number=n, title=f"批量任务{n}") for n in (2, 3, 4)]
    first, second = start(), start(key_task=others[0])
    act(world.supervisor, open_steps(second, "dispatch")[0].id)
    desk = people("duchashi")
    desk.page.set_viewport_size(DESKTOP)
    desk.open("/inbox")
    expect(desk.page.locator("#inbox tbody tr")).to_have_count(1)
    desk.page.locator("#inbox tbody input[type=checkbox]").check()
    desk.page.fill("#batch-comment", "请按期办理")
    desk.page.locator("#batch button[type=submit]").click()
    expect(desk.page.locator("#batch-results li.ok")).to_have_count(1)
    expect(desk.page.locator("#batch-results")).to_contain_text("「交办」已办理")
    _fits(desk, 1366)
    desk.shot("batch-results")
    assert open_steps(first, "sign_for")

    desk.open("/ledger")
    boxes = desk.page.locator("#ledger tbody input[type=checkbox]")
    expect(boxes).to_have_count(2)  # the key tasks not yet started this round
    desk.page.locator("#ledger thead input[data-select-all]").check()
    expect(boxes.nth(1)).to_be_checked()
    desk.page.locator("#batch-start button[type=submit]").click()
    expect(desk.page.locator("#batch-results li.ok")).to_have_count(2)
    desk.shot("batch-start")

    phone = people("duchashi", phone=True)
    phone.open("/inbox")
    expect(phone.page.locator("#inbox tbody input[type=checkbox]")).to_have_count(2)
    expect(phone.page.locator("#batch button[type=submit]")).to_be_visible()
    _fits(phone, 375)
    phone.shot("batch")


def test_an_overdue_step_offers_its_notice(people, world, consolidating, clock, tick):
    tick(local(2024, 4, 18, 10))
    clock.set(local(2024, 4, 18, 10))
    desk = people("duchashi")
    desk.page.set_viewport_size(DESKTOP)
    desk.open(f"/human-tasks/{consolidating.id}")
    with desk.page.expect_download() as download:
        desk.page.locator("#overdue a#notice").click()
    assert download.value.suggested_filename == f"督办通知单-区发展改革和经济信息化局-{consolidating.id}.docx"
    desk.open("/dashboard")
    expect(desk.page.locator("#overdue a", has_text="通知单")).to_have_count(1)
    unit = people("lead_head", phone=True)
    unit.open(f"/human-tasks/{consolidating.id}")
    expect(unit.page.locator("#overdue")).to_be_visible()
    expect(unit.page.locator("#overdue a#notice")).to_have_count(0)
    _fits(unit, 375)


def test_the_ledger_prints_on_a4_landscape_with_dates_on_one_line(people, world, make, start):
    for n in range(2, 8):
        make.key_task([world.lead_unit], world.co_units, plan=world.plan, number=n, title=f"打印任务{n}" * 4)
    start()
    desk = people("duchashi")
    # A4 landscape less the page's margins: 277 mm ≈ 1047 CSS px.
    desk.page.set_viewport_size({"width": 1047, "height": 740})
    desk.page.emulate_media(media="print")
    desk.open("/ledger/print")
    dates = desk.page.locator("table.print td.date, table.print .date")
    assert dates.count() >= 1
    lines = desk.page.evaluate(
        """() => [...document.querySelectorAll('table.print .date')].filter(e => e.textContent.trim())
              .map(e => { const r = document.createRange(); r.selectNodeContents(e);
                          return r.getClientRects().length; })"""
    )
    assert lines and set(lines) == {1}
    assert "landscape" in desk.page.evaluate(
        "[...document.styleSheets].flatMap(s => [...s.cssRules]).map(r => r.cssText).join(' ')"
    )
    _fits(desk, 1047)
    desk.page.pdf(path=str(desk.shot("ledger-print").with_suffix(".pdf")), landscape=True, format="A4")


def test_the_diagram_reads_at_1366_and_is_a_list_on_a_phone(people, world, to_consolidate, open_steps, act):
    cycle_id = to_consolidate()
    act(world.lead_head, open_steps(cycle_id, "consolidate")[0].id, data={"report": "初稿"})
    act(world.supervisor, open_steps(cycle_id, "review")[0].id, decision="return", comment="请补充数据")
    desk = people("duchashi")
    desk.page.set_viewport_size(DESKTOP)
    desk.open(f"/cycles/{cycle_id}")
    holder = desk.page.locator("#diagram[data-ready=true]")
    expect(holder).to_be_visible()
    assert float(holder.get_attribute("data-zoom")) >= 0.9  # labels at 12 px × zoom: legible
    # the path taken, the return with its count
    assert desk.page.locator(".djs-connection.taken").count() >= 5
    expect(desk.page.locator(".flow-count.back")).to_have_text("退回 1 次")
    # boundary timers hidden until asked for
    hidden = desk.page.locator(".djs-element.timer-hidden")
    assert hidden.count() > 0
    assert desk.page.evaluate("getComputedStyle(document.querySelector('.timer-hidden')).display") == "none"
    desk.page.locator("[data-diagram=timers]").check()
    expect(hidden).to_have_count(0)
    desk.page.locator("[data-diagram=fit]").click()
    fitted = float(holder.get_attribute("data-zoom"))
    desk.page.locator("[data-diagram=in]").click()
    assert float(holder.get_attribute("data-zoom")) > fitted
    expect(desk.page.locator("#step-list")).to_be_hidden()
    _fits(desk, 1366)
    desk.shot("diagram")

    phone = people("lead_head", phone=True)
    phone.open(f"/cycles/{cycle_id}")
    expect(phone.page.locator("#diagram")).to_be_hidden()
    steps = phone.page.locator("#step-list li")
    expect(steps.first).to_contain_text("交办")
    expect(phone.page.locator("#step-list li.step-open")).to_contain_text("办理 2 次")
    _fits(phone, 375)
    phone.shot("diagram")


def test_the_file_picker_speaks_chinese_and_the_icon_is_found(people, world, tmp_path):
    plan = tmp_path / "计划.txt"
    plan.write_text("1.任务(牵头单位:区财政局)\n", encoding="utf-8")
    for phone, width in ((False, 1366), (True, 375)):
        desk = people("duchashi", phone=phone)
        if not phone:
            desk.page.set_viewport_size(DESKTOP)
        desk.open("/plans/import")
        picker = desk.page.locator(".file-picker")
        expect(picker.locator(".file-button")).to_have_text("选择文件")
        expect(picker.locator(".file-names")).to_have_text("未选择文件")
        assert picker.locator("input[type=file]").bounding_box()["width"] <= 1  # the browser's English control hidden
        picker.locator("input[type=file]").set_input_files(str(plan))
        expect(picker.locator(".file-names")).to_have_text("计划.txt")
        _fits(desk, width)
        desk.shot("file-picker")
    icon = desk.page.request.get(desk.base + "/favicon.ico")
    assert icon.status == 200 and "svg" in icon.headers["content-type"]

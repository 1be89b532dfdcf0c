"""The plan pages in Chromium: a changed version of a published plan previewed as a revision (what
changes per key task), confirmed with the running cycles moved; a new plan imported as a draft and
published from the 计划 page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

TITLE = "鄂城区2024年“三新三强”行动方案"
REVISED = f"""{TITLE}
1.推行产业链长制。全面推行链长制。(牵头单位:区统计局;责任单位:区财政局、凤凰街道)
2.建设智慧园区。力争新增企业10家以上。(牵头单位:区财政局;责任单位:泽林镇)
"""
NEW_PLAN = """2024年优化营商环境工作方案
1.推进一网通办。(牵头单位:区财政局;责任单位:凤凰街道)
"""


def upload(person, name: str, text: str) -> None:
    person.open("/plans/import")
    person.page.set_input_files("#file", files=[{"name": name, "mimeType": "text/plain", "buffer": text.encode()}])
    person.page.click("form[action$='/plans/import'] button[type=submit]")


def test_revision_preview_and_publish(people, world, start, open_steps, act):
    cycle_id = start("2024-Q2")
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
    office = people("duchashi")
    office.page.on("dialog", lambda dialog: dialog.accept())

    upload(office, "方案(修订).txt", REVISED)
    revision = office.page.locator("#revision")
    expect(revision).to_contain_text(f"按标题和年度识别为计划 #{world.plan.id}")
    expect(revision).to_contain_text("修改 1 项")
    expect(revision).to_contain_text("新增 1 项")
    changed = office.page.locator("#revision-changes tr.change-changed")
    expect(changed).to_contain_text("牵头单位增加:区统计局")
    expect(changed).to_contain_text("牵头单位减少:区发展改革和经济信息化局")
    expect(changed).to_contain_text("责任单位减少:泽林镇")
    expect(office.page.locator("#revision-changes tr.change-added")).to_contain_text("建设智慧园区")
    office.shot("01-revision-preview")
    office.page.check("input[name=apply_to_running]")
    office.page.click("button[value=confirm]")
    expect(office.page.locator(".flash.success")).to_contain_text("已修订")
    expect(office.page.locator(f"#plan-{world.plan.id}")).to_contain_text("第 2 版")
    (sign_for,) = open_steps(cycle_id, "sign_for")
    assert sign_for.unit_id == world.outsider.unit_id

    upload(office, "营商环境.txt", NEW_PLAN)
    expect(office.page.locator("#revision_of")).to_have_value("new")
    office.page.click("button[value=confirm]")
    expect(office.page.locator(".flash.success")).to_contain_text("现为草稿")
    row = office.page.locator("#plans tr", has_text="2024年优化营商环境工作方案")
    expect(row.locator(".plan-status")).to_have_text("草稿")
    row.locator("button.publish").click()
    expect(office.page.locator(".flash.success")).to_contain_text("已发布《2024年优化营商环境工作方案》")
    expect(row.locator(".plan-status")).to_have_text("已发布")
    office.shot("02-published")
    assert re.search(r"/plans$", office.page.url)

"""In Chromium: the admin sets a unit's 钉钉 robot from the units page (the secret is not shown back),
and a unit reads a digest on its notifications page and follows a step's link."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from service.operations.common import notice_texts as texts
from service.operations.common.notifications import Notice, Recipients, notify
from tests.helpers import open_tasks

pytestmark = pytest.mark.browser

SECRET = "SEC" + "ef56" * 16


def test_the_admin_sets_a_robot_and_a_unit_follows_a_digest_link(people, world, runtime, start, act):
    admin = people("admin")
    admin.open("/admin/units")
    admin.page.locator(f"#unit-{world.lead_unit.id} a", has_text="群机器人").click()
    expect(admin.page.locator("#robot h2")).to_contain_text("区发展改革和经济信息化局 · 群机器人")
    admin.page.select_option("#channel", "dingtalk")
    admin.page.fill("#url", "https://oapi.dingtalk.com/robot/send?access_token=tok-4321")
    admin.page.fill("#secret", SECRET)
    admin.page.locator("#robot form button[type=submit]", has_text="保存").click()
    expect(admin.page.locator(".flash.success")).to_contain_text("已保存群机器人设置")
    expect(admin.page.locator("#robot")).to_contain_text("****4321")
    expect(admin.page.locator("#robot")).to_contain_text("已设置加签密钥")
    assert SECRET not in admin.page.content() and "tok-4321" not in admin.page.content()
    admin.shot("robot-set")

    cycle_id = start()
    act(world.supervisor, open_tasks(runtime, cycle_id, "dispatch")[0].id)
    sign_for = open_tasks(runtime, cycle_id, "sign_for")[0].id
    subject = texts.Subject(1, "推行产业链长制", "2024-Q2")
    lines = [texts.DigestLine("催办", subject, "签收", "区发展改革和经济信息化局", f"/human-tasks/{sign_for}")] * 6
    with runtime.work() as work:
        notify(work, Recipients(work).unit(world.lead_unit.id), Notice.of(texts.digest(lines)))
    lead = people("lead_head")
    lead.open("/notifications")
    expect(lead.page.locator("article.notice").first).to_contain_text("您有 6 项催办")
    expect(lead.page.locator("article.notice", has_text="签收待办理")).to_contain_text(
        "重点任务1「推行产业链长制」2024年第二季度"
    )
    lead.shot("digest")
    lead.page.locator("article.notice").first.locator("p a").first.click()
    expect(lead.page).to_have_url(f"{lead.base}/human-tasks/{sign_for}")

"""Pages of this round's notices: the notifications page in the new wording (a digest's steps as
links, text people wrote shown, never run), the admin's robot settings per unit (the secret never
shown back), and the mobile number on the users page."""

from __future__ import annotations

from sqlalchemy import select

from db.models import UnitRobot, User
from service.operations.common import notice_texts as texts
from service.operations.common.notifications import Notice, Recipients, notify

SECRET = "SEC" + "cd34" * 16


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_notifications_page_shows_digests_with_links_and_escapes_what_people_wrote(runtime, world, web):
    subject = texts.Subject(1, "推行产业链长制", "2024-Q2")
    lines = [texts.DigestLine("催办", subject, "签收", "区财政局", f"/human-tasks/{n}") for n in (41, 42)]
    with runtime.work() as work:
        people = Recipients(work).unit(world.lead_unit.id)
        notify(work, people, Notice.of(texts.digest(lines)))
        returned = texts.step_returned(
            subject, "汇总报送", "退回", "审核", work.now, runtime.config.tz, "<script>x()</script>"
        )
        notify(work, people, Notice.of(returned))
    page = text(web("lead_head").get("/notifications"))
    assert "您有 2 项催办" in page and '<a href="/human-tasks/41">查看</a>' in page
    assert "重点任务1「推行产业链长制」2024年第二季度:汇总报送被退回" in page
    assert "<script>x()" not in page and "&lt;script&gt;x()" in page
    assert '<span class="tag">汇总</span>' in page and '<span class="tag">退回</span>' in page


def test_an_admin_sets_a_units_robot_on_its_page_and_never_sees_the_secret_again(runtime, world, web):
    admin = web("admin")
    page = f"/admin/units/{world.lead_unit.id}/robot"
    assert f'href="{page}"' in text(admin.get("/admin/units"))
    assert "未设置" in text(admin.get(page))
    refused = admin.post(page, {"channel": "dingtalk", "url": "http://oapi.dingtalk.com/robot/send?access_token=t"})
    assert refused.status_code == 303
    shown = text(admin.get(page))
    assert "https://" in shown and 'role="alert"' in shown
    url = "https://oapi.dingtalk.com/robot/send?access_token=secret-token-9876"
    assert admin.post(page, {"channel": "dingtalk", "url": url, "secret": SECRET}).status_code == 302
    shown = text(admin.get(page))
    assert "钉钉群机器人" in shown and "已设置加签密钥" in shown and "****9876" in shown
    assert SECRET not in shown and "secret-token" not in shown
    # Saving again with the secret field left empty keeps it; the box clears it.
    assert admin.post(page, {"channel": "dingtalk", "url": url}).status_code == 302
    with runtime.work(write=False) as work:
        assert work.session.get(UnitRobot, world.lead_unit.id).secret == SECRET
    assert admin.post(page, {"channel": "dingtalk", "url": url, "clear_secret": "1"}).status_code == 302
    with runtime.work(write=False) as work:
        assert work.session.get(UnitRobot, world.lead_unit.id).secret is None
    assert admin.post(page, {"remove": "1"}).status_code == 302
    assert "未设置" in text(admin.get(page))
    # Nobody else may open it.
    assert web("duchashi").get(page).status_code == 403


def test_the_users_page_takes_a_mobile_number_and_refuses_a_bad_one(runtime, world, web):
    admin = web("admin")
    form = {"username": "mobile_user", "unit": "区财政局", "role": "unit_staff", "password": "abc12345x"}
    refused = admin.post("/admin/users", {**form, "mobile": "12345"})
    assert refused.status_code == 303
    assert "不是有效的大陆手机号" in text(admin.get("/admin/users"))
    assert admin.post("/admin/users", {**form, "mobile": "139 1234 5678"}).status_code == 302
    with runtime.work(write=False) as work:
        assert work.session.scalar(select(User.mobile).where(User.username == "mobile_user")) == "13912345678"


def test_the_offices_own_overdue_step_is_marked_as_reminded_not_urged(runtime, world, web, start, tick, open_steps):
    from tests.helpers import local

    cycle_id = start()
    (dispatch,) = open_steps(cycle_id, "dispatch")
    tick(local(2024, 4, 3, 9, 30))  # the working day after its deadline
    office = web("duchashi")
    for page in (f"/human-tasks/{dispatch.id}", "/inbox", f"/cycles/{cycle_id}"):
        shown = text(office.get(page))
        assert "逾期提醒" in shown and "已催办" not in shown, page

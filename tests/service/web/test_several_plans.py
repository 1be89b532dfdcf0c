"""Several plans at once, time in words, and how done steps went (issue 14 items 1, 3, 8), over HTTP.

Two plans both have a key task 7: this year's (2024, by the test clock) and next year's, imported
later. Pages name the plan, default to this year's, and remember the one chosen."""

from __future__ import annotations

import re
from datetime import timedelta

from db.models import Plan, Role
from service.operations.cycles.complete import complete_human_task
from service.operations.cycles.start import start_cycle
from service.vocabulary import PlanStatus


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)) for row in body.split("</tr>")[:-1]]


def test_two_plans_side_by_side(runtime, make, clock, web):
    lead = make.unit("区发展改革和经济信息化局")
    supervisor = make.user(Role.SUPERVISOR, username="duchashi")
    make.user(Role.UNIT_HEAD, lead, username="fgj")
    this_year = make.plan("鄂城区2024年“三新三强”行动方案")
    next_year = make.plan("鄂城区2025年重点工作方案")
    with runtime.work() as work:
        work.session.get(Plan, next_year.id).year = 2025
    old = make.key_task([lead], [], plan=this_year, number=7, title="建设产业园区")
    new = make.key_task([lead], [], plan=next_year, number=7, title="打造营商环境")
    with runtime.work() as work:
        first = start_cycle(work, supervisor, old.id, "2024-Q2")
        second = start_cycle(work, supervisor, new.id, "2024-Q2")
    office = web("duchashi")

    # 待办: a plan column, and a filter that keeps one plan.
    inbox = text(office.get("/inbox"))
    listed = rows(inbox)
    assert len(listed) == 2
    assert any("鄂城区2024年“三新三强”行动方案" in r and "建设产业园区" in r for r in listed)
    assert any("鄂城区2025年重点工作方案" in r and "打造营商环境" in r for r in listed)
    # The key-task choices name their plan: two "7." options, each under its plan.
    assert re.search(r'<optgroup label="鄂城区2025年重点工作方案">\s*<option value="\d+"\s*>7\. 打造营商环境', inbox)
    assert re.search(
        r'<optgroup label="鄂城区2024年“三新三强”行动方案">\s*<option value="\d+"\s*>7\. 建设产业园区', inbox
    )
    only = rows(text(office.get(f"/inbox?plan={this_year.id}")))
    assert len(only) == 1 and "建设产业园区" in only[0]
    # Rounds in words, time left in words.
    assert "2024年第二季度" in inbox and "2024-Q2</td>" not in inbox
    assert "剩余 1 个工作日" in inbox  # dispatch takes one working day: due Tuesday

    # 督查台账, 统计, 工作台: this year's plan by default, though next year's is newer.
    assert "建设产业园区" in text(office.get("/ledger")) and "打造营商环境" not in text(office.get("/ledger"))
    assert "鄂城区2024年“三新三强”行动方案" in text(office.get("/dashboard")).split("</h1>")[1][:200]
    # Choosing a plan is remembered by the next page.
    chosen = office.get(f"/ledger?plan={next_year.id}")
    assert "打造营商环境" in text(chosen)
    assert f"duban_plan={next_year.id}" in chosen.headers["Set-Cookie"]
    assert "鄂城区2025年重点工作方案" in text(office.get("/dashboard")).split("</h1>")[1][:200]
    assert "打造营商环境" in text(office.get("/ledger"))
    assert "鄂城区2025年重点工作方案" in text(office.get("/"))
    # A remembered plan that is gone falls back to this year's, quietly.
    office.client.set_cookie("duban_plan", "999999")
    assert "建设产业园区" in text(office.get("/ledger"))

    # 已办 says how each went: one on time, one two working days late (4–6 April off, 7th worked).
    with runtime.work() as work:
        complete_human_task(work, supervisor, first.opened[0].id)
    clock.advance(timedelta(days=7))  # Monday 8 April; the dispatch was due Tuesday 2 April
    with runtime.work() as work:
        complete_human_task(work, supervisor, second.opened[0].id)
    office = web("duchashi")  # a session ends after days away: log in again
    done = text(office.get("/inbox?state=done"))
    assert "按期办结" in done and "超期 3 个工作日办结" in done
    late_only = rows(text(office.get("/inbox?state=done&outcome=late")))
    assert len(late_only) == 1 and "打造营商环境" in late_only[0]
    on_time_only = rows(text(office.get("/inbox?state=done&outcome=on_time")))
    assert len(on_time_only) == 1 and "建设产业园区" in on_time_only[0]
    # The API says the same: each inbox item names its plan; done items filter by outcome.
    api = office.get("/api/v1/inbox?state=done&outcome=late").get_json()
    assert [(i["plan_title"], i["key_task_number"]) for i in api["items"]] == [("鄂城区2025年重点工作方案", 7)]


def test_the_default_plan_is_this_years_published_one_not_a_fresh_draft(runtime, make, web):
    lead = make.unit("区发展改革和经济信息化局")
    make.user(Role.SUPERVISOR, username="duchashi")
    published = make.plan("鄂城区2024年“三新三强”行动方案")
    draft = make.plan("鄂城区2024年民生实事方案")
    with runtime.work() as work:
        work.session.get(Plan, draft.id).status = PlanStatus.DRAFT
    make.key_task([lead], [], plan=published, number=1, title="建设产业园区")
    make.key_task([lead], [], plan=draft, number=1, title="改造老旧小区")
    ledger = text(web("duchashi").get("/ledger"))
    assert "建设产业园区" in ledger and "改造老旧小区" not in ledger


def test_the_statistics_exports_are_the_plan_being_viewed(runtime, make, web):
    """统计's 督查通报 button and Excel export name the plan on the page, asked for or remembered."""
    lead = make.unit("区发展改革和经济信息化局")
    supervisor = make.user(Role.SUPERVISOR, username="duchashi")
    first = make.plan("鄂城区2024年“三新三强”行动方案")
    second = make.plan("鄂城区2024年“项目攻坚”行动方案")
    tasks = [make.key_task([lead], [], plan=first), make.key_task([lead], [], plan=second)]
    with runtime.work() as work:
        for task in tasks:
            start_cycle(work, supervisor, task.id, "2024-Q2")
    office = web("duchashi")
    for plan in (first, second):
        page = text(office.get(f"/dashboard?plan={plan.id}"))
        assert f'href="/api/v1/rounds/2024-Q2/bulletin.docx?plan_id={plan.id}"' in page
        assert re.search(rf'id="statistics-export" href="/dashboard.xlsx\?[^"]*plan={plan.id}', page)
    # The export without ?plan= follows the remembered choice (the second plan, viewed last), as the page does.
    export = office.get("/dashboard.xlsx")
    assert export.status_code == 200 and "%E9%A1%B9%E7%9B%AE%E6%94%BB%E5%9D%9A" in export.headers["Content-Disposition"]


def test_the_default_plan_is_the_first_published_of_the_year_not_the_newest(runtime, make, web, clock):
    """Issue 14 item 1: a second plan of the same year, published later, does not hide the annual
    plan on 工作台, 督查台账, 统计 or their exports; a plan imported earlier but published later
    neither. The remembered choice still wins."""
    lead = make.unit("区发展改革和经济信息化局")
    supervisor = make.user(Role.SUPERVISOR, username="duchashi")
    late = make.plan("鄂城区2024年民生实事方案")  # imported first, published last
    annual = make.plan("鄂城区2024年“三新三强”行动方案")
    second = make.plan("鄂城区2024年“项目攻坚”行动方案")
    with runtime.work() as work:
        for plan, days in ((annual, 0), (second, 10), (late, 20)):
            work.session.get(Plan, plan.id).published_at = clock.now() + timedelta(days=days)
    tasks = [
        make.key_task([lead], [], plan=p, title=t) for p, t in ((annual, "建设产业园区"), (second, "打造营商环境"))
    ]
    with runtime.work() as work:
        for task in tasks:
            start_cycle(work, supervisor, task.id, "2024-Q2")
    office = web("duchashi")
    ledger = text(office.get("/ledger"))
    assert "建设产业园区" in ledger and "打造营商环境" not in ledger
    assert "鄂城区2024年“三新三强”行动方案" in text(office.get("/dashboard")).split("</h1>")[1][:200]
    home = text(office.get("/"))
    assert "鄂城区2024年“三新三强”行动方案 ·" in home
    # Issue 12: 工作台 and 督查台账 count the deadline light and say so (统计 and the 通报 say 进度红灯).
    assert '<span class="light red">期限红灯</span> 0' in home and '<span class="light green">期限绿灯</span> 1' in home
    assert '<span class="muted">期限灯</span>' in ledger
    assert "期限红灯" in text(office.get("/dashboard")) and "进度红灯" in text(office.get("/dashboard"))
    chooser = home.split('id="plan-choice"', 1)[1].split("</form>", 1)[0]  # 工作台 offers the other plans
    assert f'<option value="{annual.id}" selected>' in chooser and f'value="{second.id}"' in chooser
    annual_name = "%E4%B8%89%E6%96%B0%E4%B8%89%E5%BC%BA"  # 三新三强, as the file name quotes it
    for export in ("/ledger.xlsx", "/dashboard.xlsx"):
        response = office.get(export)
        assert response.status_code == 200 and annual_name in response.headers["Content-Disposition"], export
    # Chosen once, the second plan is the default until another is chosen.
    assert "打造营商环境" in text(office.get(f"/ledger?plan={second.id}"))
    assert "打造营商环境" in text(office.get("/ledger")) and "建设产业园区" not in text(office.get("/ledger"))
    assert "鄂城区2024年“项目攻坚”行动方案 ·" in text(office.get("/"))

"""The web pages in a real browser (Debian's Chromium driven by Playwright), five people each in
their own browser context, against a live server on the test's database."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from db.models import Cycle, CycleStatus, HumanTask, HumanTaskState, Plan, User
from service.operations.common.audit import verify_chain
from tests.helpers import open_tasks

pytestmark = pytest.mark.browser


def open_my_step(person, step_name: str) -> None:
    """From the inbox, the row of this step (there is one per person here)."""
    person.open("/inbox")
    row = person.page.locator("#inbox tbody tr", has_text=step_name)
    expect(row).to_have_count(1)
    row.locator("a").first.click()
    expect(person.page.locator("#work h2")).to_contain_text(step_name)


def submit(person) -> None:
    person.page.locator("#step-form button[type=submit]").click()


def test_a_whole_cycle_clicked_through_by_five_people(people, world, runtime, clock, act):
    supervisor = people("duchashi")
    supervisor.open("/ledger")
    expect(supervisor.page.locator("#ledger")).to_contain_text("推行产业链长制")
    supervisor.shot("01-ledger-not-started")
    # The round is proposed from config.toml [rounds]: 2024-Q2 on 1 April 2024.
    # Chosen from a list of this year's rounds, in words; nothing is typed.
    chosen = supervisor.page.locator("form.start select[name=round]")
    expect(chosen).to_have_value("2024-Q2")
    expect(chosen.locator("option:checked")).to_have_text("2024年第二季度")
    expect(chosen.locator("option")).to_have_text(
        ["2024年第四季度", "2024年第三季度", "2024年第二季度", "2024年第一季度"]
    )
    supervisor.page.locator("form.start button").click()
    expect(supervisor.page.locator(".flash.success")).to_contain_text("已启动2024年第二季度")

    # 1. The supervisor dispatches.
    open_my_step(supervisor, "交办")
    expect(supervisor.page.locator("#diagram[data-ready=true]")).to_be_visible()
    supervisor.shot("02-dispatch")
    submit(supervisor)
    expect(supervisor.page.locator(".flash.success")).to_contain_text("「交办」已办理完毕")

    # 2. The lead unit signs for it.
    clock.advance(timedelta(hours=2))
    lead = people("lead_head")
    lead.shot("03-home")
    open_my_step(lead, "签收")
    expect(lead.page.locator("#work")).to_be_visible()
    submit(lead)
    expect(lead.page.locator(".flash.success")).to_contain_text("「签收」已办理完毕")

    # 3. Two co-units give their input here (the third answers from its own desk, through the
    # operation); the first attaches a file, the second first forgets the text.
    first, second = people("co_head_0"), people("co_head_1")
    open_my_step(first, "配合单位意见")
    first.page.fill("textarea[name='data.text']", "区财政局:已安排产业链专项资金 3000 万元。")
    first.page.set_input_files(
        "#files", files=[{"name": "资金安排.txt", "mimeType": "text/plain", "buffer": "专项资金明细".encode()}]
    )
    first.shot("04-co-input")
    submit(first)
    expect(first.page.locator(".flash.success")).to_contain_text("「配合单位意见」已办理完毕")

    open_my_step(second, "配合单位意见")
    submit(second)
    error = second.page.locator("#err-data-text")
    expect(error).to_contain_text("请填写配合意见")
    expect(second.page.locator("textarea[name='data.text']")).to_have_attribute("aria-invalid", "true")
    second.shot("05-co-input-error")
    second.page.fill("textarea[name='data.text']", "凤凰街道:链上企业走访 12 家,问题清单已报区发改局。")
    submit(second)
    expect(second.page.locator(".flash.success")).to_be_visible()
    (town_input,) = open_tasks(runtime, step="co_input")
    act(world.co_heads[2], town_input.id, data={"text": "泽林镇:镇内链上企业已全部对接。"})

    # 4. The lead unit reads the three inputs side by side and submits the report.
    open_my_step(lead, "汇总报送")
    inputs = lead.page.locator("#shown-co_input article")
    expect(inputs).to_have_count(3)
    expect(lead.page.locator("#shown-co_input")).to_contain_text("镇内链上企业已全部对接")
    expect(lead.page.locator("#shown-co_input")).to_contain_text("已安排产业链专项资金 3000 万元")
    expect(lead.page.locator("#shown-co_input")).to_contain_text("链上企业走访 12 家")
    expect(lead.page.locator("#shown-co_input a", has_text="资金安排.txt")).to_be_visible()
    lead.shot("06-consolidate")
    lead.page.fill("textarea[name='data.report']", "一稿:产业链长制已全面推行。")
    submit(lead)
    expect(lead.page.locator(".flash.success")).to_contain_text("「汇总报送」已办理完毕")

    # 5. The supervisor returns it once: a return needs a comment, and nothing chosen is lost.
    open_my_step(supervisor, "审核")
    expect(supervisor.page.locator("#shown-consolidate")).to_contain_text("一稿:产业链长制已全面推行。")
    supervisor.page.check("input[name=decision][value=return]")
    expect(supervisor.page.locator("#comment-label")).to_have_class("required")
    submit(supervisor)
    expect(supervisor.page.locator("#err-comment")).to_contain_text("必须填写意见")
    expect(supervisor.page.locator("input[name=decision][value=return]")).to_be_checked()
    supervisor.shot("07-review-error")
    supervisor.page.fill("#comment", "请补充各链条的招商数据。")
    submit(supervisor)
    expect(supervisor.page.locator(".flash.success")).to_contain_text("「审核」已办理完毕,结论:退回")

    # 6. The lead unit sees why and submits again.
    open_my_step(lead, "汇总报送")
    expect(lead.page.locator("#returned")).to_contain_text("请补充各链条的招商数据。")
    expect(lead.page.locator("ol.history")).to_contain_text("请补充各链条的招商数据。")
    lead.page.fill("textarea[name='data.report']", "二稿:补充了 5 条产业链的招商数据。")
    submit(lead)
    expect(lead.page.locator(".flash.success")).to_be_visible()

    # 7. The supervisor passes it; 8. the leader approves it.
    open_my_step(supervisor, "审核")
    expect(supervisor.page.locator("#shown-consolidate")).to_contain_text("二稿")
    supervisor.page.check("input[name=decision][value=pass]")
    submit(supervisor)
    expect(supervisor.page.locator(".flash.success")).to_contain_text("结论:通过")

    leader = people("lingdao")
    open_my_step(leader, "审批")
    expect(leader.page.locator("#shown-consolidate")).to_contain_text("二稿")
    leader.shot("08-approve")
    leader.page.check("input[name=decision][value=approve]")
    submit(leader)
    expect(leader.page.locator(".flash.success")).to_contain_text("本轮办理已办结")

    # The ledger and the diagram show it closed, every step done.
    supervisor.open("/ledger")
    row = supervisor.page.locator("#ledger tbody tr", has_text="推行产业链长制")
    expect(row).to_contain_text("已办结")
    expect(row).to_contain_text("退回 1 次")
    supervisor.shot("09-ledger-closed")
    row.get_by_role("link", name="本轮办理过程").click()
    expect(supervisor.page.locator("#diagram[data-ready=true]")).to_be_visible()
    expect(supervisor.page.locator(".djs-element.state-open")).to_have_count(0)
    for step in ("dispatch", "sign_for", "co_input", "consolidate", "review", "approve"):
        expect(supervisor.page.locator(f".djs-element.state-done[data-element-id={step}]")).to_have_count(1)
    supervisor.shot("10-cycle-closed")

    with runtime.work(write=False) as work:
        cycle = work.session.scalar(select(Cycle).where(Cycle.key_task_id == world.key_task.id))
        assert cycle is not None and cycle.status == CycleStatus.CLOSED
        done = work.session.execute(
            select(HumanTask.step_id, User.username)
            .join(User, User.id == HumanTask.completed_by_id)
            .where(HumanTask.cycle_id == cycle.id, HumanTask.state == HumanTaskState.DONE)
            .order_by(HumanTask.completed_at, HumanTask.id)
        ).all()
        assert [tuple(r) for r in done] == [
            ("dispatch", "duchashi"),
            ("sign_for", "lead_head"),
            ("co_input", "co_head_0"),
            ("co_input", "co_head_1"),
            ("co_input", "co_head_2"),
            ("consolidate", "lead_head"),
            ("review", "duchashi"),
            ("consolidate", "lead_head"),
            ("review", "duchashi"),
            ("approve", "lingdao"),
        ]
        assert verify_chain(work.session).ok


def test_the_ledger_export_opens_in_openpyxl(people, world, make, runtime):
    from service.operations.cycles.start import start_cycle

    with runtime.work(write=False) as work:
        plan = work.session.get(Plan, world.key_task.plan_id)
    make.key_task([world.co_units[0]], [], plan=plan, number=2, title="<b>推动</b>老树发新芽")
    with runtime.work() as work:
        start_cycle(work, world.supervisor, world.key_task.id, "2024-Q2")

    supervisor = people("duchashi")
    supervisor.open("/ledger")
    # A typed title is shown as text, never as markup.
    expect(supervisor.page.locator("#ledger")).to_contain_text("<b>推动</b>老树发新芽")
    expect(supervisor.page.locator("#ledger b", has_text="推动")).to_have_count(0)
    supervisor.shot("ledger")
    with supervisor.page.expect_download() as waiting:
        supervisor.page.click("#export")
    download = waiting.value
    assert download.suggested_filename.endswith(".xlsx") and "督查台账" in download.suggested_filename
    book = load_workbook(BytesIO(download.path().read_bytes()))
    sheet = book.active
    assert sheet.title == "督查台账"
    assert sheet["A1"].value == "鄂城区2024年“三新三强”行动方案督查台账"
    assert "轮次: 2024年第二季度" in sheet["A2"].value
    headers = [c.value for c in sheet[4]]
    assert headers[:6] == ["序号", "重点任务", "所属板块", "主要内容", "牵头单位", "责任单位"]
    assert {"办理环节", "状态", "期限灯", "最近进展"} <= set(headers)
    assert sheet.freeze_panes == "C5"
    rows = {sheet.cell(row=r, column=1).value: r for r in range(5, sheet.max_row + 1)}
    assert set(rows) == {1, 2}
    first = [c.value for c in sheet[rows[1]]]
    assert first[1] == "推行产业链长制" and first[4] == "区发展改革和经济信息化局"
    assert first[5] == "区财政局、凤凰街道、泽林镇"
    assert first[headers.index("办理环节")] == "交办"
    assert first[headers.index("状态")] == "办理中"
    assert first[headers.index("期限灯")] == "绿灯"
    second = [c.value for c in sheet[rows[2]]]
    assert second[1] == "<b>推动</b>老树发新芽" and second[headers.index("状态")] == "未启动"
    assert sheet.page_setup.orientation == "landscape"

    supervisor.open("/ledger/print")
    expect(supervisor.page.locator("table.print tbody tr")).to_have_count(2)
    supervisor.shot("ledger-print")


def test_the_inbox_on_a_phone(people, world, make, runtime, clock):
    from service.operations.cycles.complete import complete_human_task
    from service.operations.cycles.start import start_cycle

    # Twenty-five key tasks signed for long ago (red) and today (green) for the lead unit.
    with runtime.work(write=False) as work:
        plan = work.session.get(Plan, world.key_task.plan_id)
    tasks = [world.key_task] + [
        make.key_task([world.lead_unit], [], plan=plan, number=10 + n, title=f"重点任务第{n}项") for n in range(24)
    ]
    for index, task in enumerate(tasks):
        with runtime.work(now=clock.now() - timedelta(days=30 if index % 2 else 0)) as work:
            started = start_cycle(work, world.supervisor, task.id, "2024-Q2")
            complete_human_task(work, world.supervisor, started.opened[0].id)

    phone = people("lead_head", phone=True)
    phone.open("/inbox")
    expect(phone.page.locator("#total")).to_have_text("25")
    rows = phone.page.locator("#inbox tbody tr")
    expect(rows).to_have_count(20)  # paged
    # Nothing is wider than the screen, and the table has turned into cards.
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    assert phone.page.evaluate("getComputedStyle(document.querySelector('#inbox thead')).display") == "none"
    expect(rows.first.locator("td[data-label=期限]")).to_be_visible()
    phone.shot("inbox")

    phone.page.locator(".counts a", has_text="红灯").click()
    expect(phone.page.locator("#total")).to_have_text("12")
    expect(phone.page.locator("#inbox tbody tr .light.red")).to_have_count(12)
    phone.shot("inbox-red")
    phone.open("/inbox")
    phone.page.locator("a[rel=next]").click()
    expect(phone.page.locator("#inbox tbody tr")).to_have_count(5)
    phone.page.locator("#inbox tbody tr a").first.click()
    expect(phone.page.locator("#work")).to_be_visible()
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 375
    phone.shot("step")


def test_a_unit_is_refused_another_units_step(people, world, runtime):
    from service.operations.cycles.complete import complete_human_task
    from service.operations.cycles.start import start_cycle

    with runtime.work() as work:
        started = start_cycle(work, world.supervisor, world.key_task.id, "2024-Q2")
        complete_human_task(work, world.supervisor, started.opened[0].id)
        sign_for = complete_human_task(work, world.lead_head, _open_id(work, started.id, "sign_for"))
    fiscal_step = next(s for s in sign_for.opened if s.unit_id == world.co_units[0].id)
    street_step = next(s for s in sign_for.opened if s.unit_id == world.co_units[1].id)

    street = people("co_head_1")
    street.open("/inbox")
    expect(street.page.locator("#inbox tbody tr")).to_have_count(1)
    response = street.open(f"/human-tasks/{fiscal_step.id}")
    # As if it did not exist: a refusal would confirm that it does.
    assert response.status == 404
    expect(street.page.locator("h1")).to_contain_text("页面不存在")
    expect(street.page.locator(".error-page")).to_contain_text("不存在或无权查看")
    expect(street.page.locator("body")).not_to_contain_text("区财政局的意见")
    street.shot("refused")
    # Its own step opens.
    assert street.open(f"/human-tasks/{street_step.id}").status == 200


def _open_id(work, cycle_id: int, step: str) -> int:
    return work.session.scalar(
        select(HumanTask.id).where(
            HumanTask.cycle_id == cycle_id, HumanTask.step_id == step, HumanTask.state == HumanTaskState.OPEN
        )
    )


CSP_WATCH = """
document.addEventListener("securitypolicyviolation", (event) => {
  (window.__cspViolations = window.__cspViolations || []).push(
    `${event.violatedDirective} refused ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`
  );
});
"""


def test_every_page_renders_with_the_demo_data(people, runtime):
    """The demo round loaded, every page opened by the person it is for: no script error, the
    charts and diagrams drawn, a screenshot of each."""
    from service.demo.seed import DEMO_PASSWORD, load_demo

    with runtime.work() as work:
        load_demo(work)
    with runtime.work(write=False) as work:
        cycle_id = work.session.scalar(select(Cycle.id).where(Cycle.status == CycleStatus.RUNNING).order_by(Cycle.id))
    visits = {
        "duchashi": [
            ("home", "/"),
            ("inbox", "/inbox"),
            ("done", "/inbox?state=done"),
            ("ledger", "/ledger"),
            ("ledger-print", "/ledger/print"),
            ("dashboard", "/dashboard"),
            ("league", "/league"),
            ("extensions", "/extensions"),
            ("notifications", "/notifications"),
            ("plan-import", "/plans/import"),
            ("cycle", f"/cycles/{cycle_id}"),
            ("api-docs", "/api/v1/docs"),
            ("not-found", "/steps/999999"),
        ],
        "lingdao": [("home", "/"), ("dashboard", "/dashboard")],
        "admin": [("users", "/admin/users"), ("units", "/admin/units")],
        "qfzgghjjxxhj": [("home", "/"), ("inbox", "/inbox"), ("ledger", "/ledger"), ("extensions", "/extensions")],
    }
    for username, pages in visits.items():
        person = people(username, login=False)
        person.login(DEMO_PASSWORD)
        errors: list[str] = []
        person.page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        # Whatever the content security policy refuses (a script, a style, an image) is an error too.
        person.page.add_init_script(CSP_WATCH)
        for name, path in pages:
            response = person.open(path)
            assert response.status == (404 if name == "not-found" else 200), (username, path, response.status)
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            for chart in ("chart-sections", "chart-lights", "chart-league"):
                if person.page.locator(f"#{chart}").count():
                    expect(person.page.locator(f"#{chart}[data-ready=true] svg")).to_have_count(1)
            if person.page.locator("#diagram").count():
                expect(person.page.locator("#diagram[data-ready=true]")).to_be_visible()
                expect(person.page.locator("#diagram svg").first).to_be_visible()
            if name == "api-docs":
                expect(person.page.locator(".swagger-ui .info .title")).to_contain_text("duban")
                expect(person.page.locator(".swagger-ui .opblock").first).to_be_visible()
            person.shot(name)
            errors.extend(f"{path}: {v}" for v in person.page.evaluate("window.__cspViolations || []"))
        assert errors == [], (username, errors)
    # The unit head's returned report: the step page with the return comment and the extension asked.
    head = people("qfzgghjjxxhj", login=False)
    head.login(DEMO_PASSWORD)
    open_my_step(head, "汇总报送")
    expect(head.page.locator("#returned")).to_contain_text("请补充")
    expect(head.page.locator("#extension")).to_contain_text("待审批")
    head.shot("returned-step")


def test_no_other_site_can_frame_a_page(people, live_server):
    """frame-ancestors 'none' (and X-Frame-Options): a page framed elsewhere stays empty, so no
    one can lay a decoy over 办理 buttons and have a logged-in person click them."""
    person = people("duchashi", login=False)
    person.page.set_content(f'<iframe id="framed" src="{live_server}/login" onload="this.dataset.loaded = 1"></iframe>')
    person.page.wait_for_function("document.getElementById('framed').dataset.loaded === '1'")
    framed = next(frame for frame in person.page.frames if frame != person.page.main_frame)
    assert framed.locator("#username").count() == 0

"""The web pages over HTTP (Flask's test client): logins, forms and their errors, CSRF, escaping,
error pages, plan import, extensions, notifications and administration, on a real database."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from db.models import (
    Extension,
    HumanTask,
    HumanTaskState,
    KeyTask,
    Notification,
    Plan,
    Role,
    Unit,
    UnitAlias,
    UnitGroup,
    UnitKind,
    User,
)
from service.demo.seed import PLAN_FILE, load_demo
from service.operations.cycles.complete import complete_human_task
from service.operations.cycles.start import start_cycle
from service.vocabulary import PlanStatus

SCRIPT = "<script>alert('x')</script>"


def text(response) -> str:
    return response.get_data(as_text=True)


def back(client, response, page: str) -> str:
    """A refused form posted to an address of its own goes back to its page (303, never a page
    at the POST address); the page then shows the messages and what was typed, once."""
    assert response.status_code == 303, response.status_code
    assert response.headers["Location"].split("#")[0] == page
    shown, again = text(client.get(page)), text(client.get(page))
    assert 'role="alert"' in shown and 'role="alert"' not in again, "the messages are shown once"
    return shown


def open_step(runtime, cycle_id: int, step: str, unit_id: int | None = None) -> int:
    with runtime.work(write=False) as work:
        query = select(HumanTask.id).where(
            HumanTask.cycle_id == cycle_id, HumanTask.step_id == step, HumanTask.state == HumanTaskState.OPEN
        )
        if unit_id is not None:
            query = query.where(HumanTask.unit_id == unit_id)
        return work.session.scalar(query)


def act(runtime, actor, cycle_id: int, step: str, unit_id: int | None = None, **form) -> None:
    """Completes the open step in a transaction of its own, as a person would."""
    task_id = open_step(runtime, cycle_id, step, unit_id)
    with runtime.work() as work:
        complete_human_task(work, actor, task_id, **form)


@pytest.fixture
def running(runtime, world):
    """The cycle of the world's key task, dispatched and signed for: the co-units' inputs are open."""
    with runtime.work() as work:
        cycle = start_cycle(work, world.supervisor, world.key_task.id, "2024-Q2")
        complete_human_task(work, world.supervisor, cycle.opened[0].id)
    with runtime.work() as work:
        complete_human_task(work, world.lead_head, open_step(runtime, cycle.id, "sign_for"))
    return cycle.id


# -- logging in ------------------------------------------------------------------------------


def test_login_errors_stay_beside_their_field_and_keep_the_name(web, world):
    client = web(None)
    client._refresh_token()
    wrong = client.post("/login", {"username": "lead_head", "password": "not-it"})
    assert wrong.status_code == 401
    page = text(wrong)
    assert 'id="err-password"' in page and "用户名或密码错误" in page
    assert 'value="lead_head"' in page and "not-it" not in page
    empty = client.post("/login", {"username": "", "password": "x"})
    assert empty.status_code == 422 and 'id="err-username"' in text(empty)


def test_pages_need_a_login_and_next_never_leaves_the_site(web, world):
    client = web(None)
    response = client.get("/inbox?light=red")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/inbox")
    client._refresh_token()
    outward = client.post("/login", {"username": "lead_head", "password": "correct-horse-9", "next": "//evil.example/"})
    assert outward.status_code == 302 and outward.headers["Location"] == "/"


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(web, runtime, world, running):
    client = web("co_head_0")
    task_id = open_step(runtime, running, "co_input", world.co_units[0].id)
    response = client.post(f"/human-tasks/{task_id}", {"data.text": "意见"}, csrf=False)
    assert response.status_code == 400 and "页面已过期" in text(response)
    with runtime.work(write=False) as work:
        assert work.session.get(HumanTask, task_id).state == HumanTaskState.OPEN


def test_logout_ends_the_session(web, world):
    client = web("lead_head")
    assert client.post("/logout").status_code == 302
    assert client.get("/inbox").status_code == 302


# -- the inbox and the step page ------------------------------------------------------------------


def test_typed_text_is_escaped_everywhere_it_is_shown(web, runtime, make, world):
    task = make.key_task([world.lead_unit], [world.co_units[0]], plan=None, number=7, title=f"标题{SCRIPT}")
    with runtime.work() as work:
        cycle = start_cycle(work, world.supervisor, task.id, "2024-Q2")
        complete_human_task(work, world.supervisor, cycle.opened[0].id)
    with runtime.work() as work:
        complete_human_task(work, world.lead_head, open_step(runtime, cycle.id, "sign_for"))
    with runtime.work() as work:
        complete_human_task(work, world.co_heads[0], open_step(runtime, cycle.id, "co_input"), data={"text": SCRIPT})
    client = web("lead_head")
    consolidate = open_step(runtime, cycle.id, "consolidate")
    # The task is in a plan of its own, published after the world's: the ledger is asked for it.
    for path in ("/inbox", f"/human-tasks/{consolidate}", f"/ledger?plan={task.plan_id}", f"/cycles/{cycle.id}"):
        page = text(client.get(path))
        assert SCRIPT not in page, path
        assert "&lt;script&gt;" in page, path


def test_the_inbox_filters_counts_and_pages(web, runtime, make, world, clock):
    plan = world.key_task.plan_id
    with runtime.work(write=False) as work:
        plan = work.session.get(Plan, plan)
    tasks = [make.key_task([world.lead_unit], [], plan=plan, number=20 + n, title=f"任务{n}") for n in range(23)]
    for index, task in enumerate(tasks):
        with runtime.work(now=clock.now() - timedelta(days=20 if index < 5 else 0)) as work:
            cycle = start_cycle(work, world.supervisor, task.id, "2024-Q2" if index % 2 else "2024-Q3")
            complete_human_task(work, world.supervisor, cycle.opened[0].id)
    client = web("lead_head")
    page = text(client.get("/inbox"))
    assert re.search(r'id="total">23<', page)
    assert page.count('data-label="编号"') == 20
    cursor = re.search(r'cursor=([^&"]+)', page).group(1)
    second = text(client.get(f"/inbox?cursor={cursor}&page=2"))
    assert second.count('data-label="编号"') == 3 and "第 21–23 项" in second

    # Sorted by due date, most urgent first: the five overdue steps (任务0–4) open the first page;
    # the column header turns the order round, and paging keeps the chosen order.
    def titles(html: str) -> list[str]:
        return re.findall(r'data-label="重点任务" class="wide"><a href="[^"]+">([^<]+)</a>', html)

    assert set(titles(page)[:5]) == {f"任务{n}" for n in range(5)}
    flip = re.search(r'id="sort" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "order=desc" in flip
    latest_first = text(client.get(f"/inbox{flip}"))
    assert 'aria-sort="descending"' in latest_first and re.search(r'id="total">23<', latest_first)
    overdue = {f"任务{n}" for n in range(5)}
    newest = titles(latest_first)
    assert len(newest) == 20 and not overdue & set(newest[:18]) and set(newest[18:]) <= overdue
    following = re.search(r'rel="next" href="([^"]+)"', latest_first).group(1).replace("&amp;", "&")
    assert "order=desc" in following
    rest = titles(text(client.get(f"/inbox{following}")))
    assert len(rest) == 3 and set(rest) <= overdue and not set(rest) & set(newest)
    back = re.search(r'id="sort" href="([^"]+)"', latest_first).group(1).replace("&amp;", "&")
    assert "order=asc" in back and "cursor" not in back
    red = text(client.get("/inbox?light=red"))
    assert re.search(r'id="total">5<', red)
    # The page remembers the chosen light (the select and the count chip) and offers to clear it.
    assert '<option value="red" selected>' in red and "清除筛选" in red
    assert re.search(r'<a href="[^"]*light=red[^"]*" aria-current="true">', red)
    assert " selected>" not in page.split('name="light"')[1].split("</select>")[0] and "清除筛选" not in page
    assert text(client.get("/inbox?round=2024-Q3")).count('data-label="编号"') == 12
    only = text(client.get(f"/inbox?key_task={tasks[3].id}"))
    assert re.search(r'id="total">1<', only) and "任务3" in only
    assert "已办" in text(client.get("/inbox?state=done"))


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/inbox?light=blue", 422, "灯色应为"),
        ("/inbox?page=abc", 422, "页码应为整数"),
        ("/inbox?state=all", 422, "状态应为"),
        ("/inbox?cursor=%%%", 422, "cursor 无效"),
        ("/inbox?key_task=-4", 422, "重点任务不能小于"),
        ("/ledger?plan=987654", 404, "计划 987654 不存在"),
        ("/ledger?status=zzz", 422, "状态应为"),
        ("/ledger?round=2031-Q1", 404, "没有2031年第一季度轮次"),
        ("/human-tasks/987654", 404, "不存在"),
        ("/cycles/987654", 404, "不存在"),
        ("/attachments/987654", 404, "不存在"),
        ("/no/such/page", 404, "页面不存在"),
    ],
)
def test_bad_addresses_get_a_chinese_page_with_the_right_status(web, world, path, status, words):
    response = web("lead_head").get(path)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert words in text(response)


def test_the_api_keeps_its_own_json_errors(web, world):
    response = web("lead_head").get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_a_wrong_method_gets_a_chinese_405(web, world):
    response = web("lead_head").post("/inbox")
    assert response.status_code == 405 and "不支持" in text(response)


def test_a_step_form_error_keeps_everything_typed(web, runtime, world, running):
    for head in world.co_heads:
        act(runtime, head, running, "co_input", head.unit_id, data={"text": "好"})
    act(runtime, world.lead_head, running, "consolidate", data={"report": "报告"})
    review = open_step(runtime, running, "review")
    client = web("duchashi")
    bad = client.post(f"/human-tasks/{review}", {"decision": "maybe", "comment": f"意见{SCRIPT}"})
    assert bad.status_code == 422
    page = text(bad)
    assert 'id="err-decision"' in page and "无效的决定" in page
    assert "意见&lt;script&gt;" in page  # the comment typed comes back, escaped
    missing = client.post(f"/human-tasks/{review}", {"decision": "return", "comment": "  "})
    assert missing.status_code == 422 and 'id="err-comment"' in text(missing)
    assert re.search(r'value="return"[^>]*checked', text(missing))
    done = client.post(f"/human-tasks/{review}", {"decision": "pass"})
    assert done.status_code == 302
    again = client.post(f"/human-tasks/{review}", {"decision": "pass"})
    assert again.status_code == 409 and "已经办理过了" in text(again)


def test_a_refused_attachment_rolls_back_the_whole_submission(web, runtime, world, running):
    task_id = open_step(runtime, running, "co_input", world.co_units[0].id)
    client = web("co_head_0")
    from io import BytesIO

    response = client.post(
        f"/human-tasks/{task_id}",
        {"data.text": "我们的意见", "files": (BytesIO(b"MZ\x90\x00binary"), "setup.exe")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = text(response)
    assert 'id="err-files"' in page and "不支持的文件类型" in page
    assert "我们的意见" in page
    with runtime.work(write=False) as work:
        assert work.session.get(HumanTask, task_id).state == HumanTaskState.OPEN


def test_a_co_unit_reads_nothing_of_another_co_units_input(web, runtime, world, running):
    with runtime.work() as work:
        complete_human_task(
            work,
            world.co_heads[0],
            open_step(runtime, running, "co_input", world.co_units[0].id),
            data={"text": "机密数字"},
        )
    street = web("co_head_1")
    own = text(street.get(f"/human-tasks/{open_step(runtime, running, 'co_input', world.co_units[1].id)}"))
    assert "机密数字" not in own
    assert "机密数字" not in text(street.get(f"/cycles/{running}"))
    # The lead unit reads it where it consolidates.
    act(runtime, world.co_heads[1], running, "co_input", world.co_units[1].id, data={"text": "街道意见"})
    act(runtime, world.co_heads[2], running, "co_input", world.co_units[2].id, data={"text": "镇意见"})
    lead = web("lead_head")
    assert "机密数字" in text(lead.get(f"/human-tasks/{open_step(runtime, running, 'consolidate')}"))


# -- extensions and notifications --------------------------------------------------------------------


def test_an_extension_asked_on_the_step_page_and_decided_on_the_list(web, runtime, world, running):
    for head in world.co_heads:
        act(runtime, head, running, "co_input", head.unit_id, data={"text": "好"})
    consolidate = open_step(runtime, running, "consolidate")
    lead = web("lead_head")
    page = text(lead.get(f"/human-tasks/{consolidate}"))
    assert "申请延期" in page
    step_page = f"/human-tasks/{consolidate}"
    bad = back(lead, lead.post(f"{step_page}/extension", {"new_due_date": "2024-04-06", "reason": ""}), step_page)
    assert 'id="err-new_due_date"' in bad or 'id="err-reason"' in bad
    weekend = lead.post(f"{step_page}/extension", {"new_due_date": "2024-04-13", "reason": "等数据"})
    weekend_page = back(lead, weekend, step_page)
    assert "不是工作日" in weekend_page and "等数据" in weekend_page
    asked = lead.post(f"/human-tasks/{consolidate}/extension", {"new_due_date": "2024-04-12", "reason": "等统计数据"})
    assert asked.status_code == 302

    supervisor = web("duchashi")
    listing = text(supervisor.get("/extensions"))
    assert "等统计数据" in listing and "批准" in listing
    with runtime.work(write=False) as work:
        extension_id = work.session.scalar(select(Extension.id))
    refused = supervisor.post(f"/extensions/{extension_id}/decide", {"decision": "refuse", "comment": ""})
    assert "不批准时请填写理由" in back(supervisor, refused, "/extensions")
    assert supervisor.post(f"/extensions/{extension_id}/decide", {"decision": "grant"}).status_code == 302
    with runtime.work(write=False) as work:
        due = work.session.get(HumanTask, consolidate).due_at
        assert due.astimezone(runtime.config.tz).date().isoformat() == "2024-04-12"
    # The lead unit was told, and can mark the notice read.
    notices = text(lead.get("/notifications"))
    assert "重点任务1「推行产业链长制」2024年第二季度:汇总报送延期至2024-04-12已批准" in notices
    assert lead.post("/notifications/read", {"all": "1"}).status_code == 302
    with runtime.work(write=False) as work:
        unread = work.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == world.lead_head.user_id, Notification.read_at.is_(None))
        )
        assert unread == 0
    # A unit may not decide.
    assert lead.post(f"/extensions/{extension_id}/decide", {"decision": "grant"}).status_code in (403, 303)


def test_statistics_are_for_the_office_the_leaders_and_unit_heads_to_read(web, runtime, world, make, running):
    # A unit head reads both, and opens from them only its own unit's steps.
    head = web("lead_head")
    board = text(head.get("/dashboard"))
    assert "推行产业链长制" in board and 'href="/dashboard"' in board and 'href="/league"' in board
    # 打擂台's tables reach units once the office publishes the round (issue 12); before, they are told so.
    unit_view = text(web("co_head_0").get("/league"))
    assert "尚未发布" in unit_view and "凤凰街道" not in unit_view
    # Unit staff do not; the refusal names roles people log in as, never the system's own.
    refused = web("lead_staff").get("/dashboard")
    assert refused.status_code == 403
    assert web("lead_staff").get("/dashboard.xlsx").status_code == 403
    said = re.search(r"需要以下角色之一: ([^<]*)<", text(refused)).group(1).strip()
    assert said == "单位负责人、督查室、区领导、系统管理员"
    leader = web("lingdao")
    board = leader.get("/dashboard")
    assert board.status_code == 200 and "推行产业链长制" in text(board)
    league = leader.get("/league")
    assert league.status_code == 200 and "区发展改革和经济信息化局" in text(league)


def test_the_ledger_can_start_a_round_for_the_office_only(web, runtime, world):
    unit = web("lead_head")
    assert 'form class="start"' not in text(unit.get("/ledger"))
    assert unit.post("/ledger/start", {"key_task": world.key_task.id, "round": "2024-Q2"}).status_code == 403
    supervisor = web("duchashi")
    bad = supervisor.post("/ledger/start", {"key_task": world.key_task.id, "round": "第二季度"})
    assert "格式不对" in back(supervisor, bad, "/ledger")
    assert supervisor.post("/ledger/start", {"key_task": world.key_task.id, "round": "2024-Q2"}).status_code == 302
    twice = supervisor.post("/ledger/start", {"key_task": world.key_task.id, "round": "2024-Q2"})
    assert "已有办理周期" in back(supervisor, twice, "/ledger")


# -- plan import -------------------------------------------------------------------------------------


def plan_count(runtime) -> int:
    with runtime.work(write=False) as work:
        return work.session.scalar(select(func.count()).select_from(Plan)) or 0


def test_plan_import_previews_takes_corrections_and_writes_only_on_confirmation(web, runtime, make):
    with runtime.work() as work:
        load_demo(work, with_plan=False)
    make.user(Role.SUPERVISOR, username="ducha2")
    make.user(Role.SUPERVISOR, username="ducha3")
    source = PLAN_FILE.read_text(encoding="utf-8").replace("区统计局", "区统计局局本部")
    client = web("ducha2")
    from io import BytesIO

    preview = client.post(
        "/plans/import",
        {"file": (BytesIO(source.encode("utf-8")), "方案.txt")},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    page = text(preview)
    assert "推行产业链长制" in page and "区统计局局本部" in page and "不在单位名录中" in page
    assert plan_count(runtime) == 0
    token = re.search(r'/plans/import/([A-Za-z0-9_-]{32})"', page).group(1)
    index = re.search(r'name="rename_from_(\d+)" value="区统计局局本部"', page).group(1)

    # Confirming with the unknown unit uncorrected is refused and writes nothing.
    refused = client.post(f"/plans/import/{token}", {"action": "confirm"})
    assert refused.status_code == 422 and plan_count(runtime) == 0
    # A correction to a unit that does not exist is refused beside the corrections.
    wrong = client.post(
        f"/plans/import/{token}",
        {"action": "check", f"rename_from_{index}": "区统计局局本部", f"rename_to_{index}": "区不存在局"},
    )
    assert wrong.status_code == 422 and "更正的目标单位不存在" in text(wrong)
    checked = client.post(
        f"/plans/import/{token}",
        {"action": "check", f"rename_from_{index}": "区统计局局本部", f"rename_to_{index}": "区统计局"},
    )
    assert checked.status_code == 200 and "无法导入" not in text(checked) and plan_count(runtime) == 0
    # Another person's session cannot use the token.
    assert web("ducha3").post(f"/plans/import/{token}", {"action": "confirm"}).status_code == 404
    done = client.post(
        f"/plans/import/{token}",
        {"action": "confirm", f"rename_from_{index}": "区统计局局本部", f"rename_to_{index}": "区统计局"},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/plans") and plan_count(runtime) == 1
    with runtime.work(write=False) as work:
        assert work.session.get(UnitAlias, "区统计局局本部") is not None
    # The token is used up.
    assert client.post(f"/plans/import/{token}", {"action": "confirm"}).status_code == 404

    # A draft, published from the plans page (every lead unit of the demo district has its head).
    plans = text(client.get("/plans"))
    assert "草稿" in plans and "发布" in plans
    with runtime.work(write=False) as work:
        plan_id = work.session.scalar(select(Plan.id))
    published = client.post(f"/plans/{plan_id}/publish", {})
    assert published.status_code == 302
    assert "已发布" in text(client.get("/plans"))
    again = client.post(f"/plans/{plan_id}/publish", {})
    assert again.status_code == 303 and again.headers["Location"].endswith("/plans")
    assert "已发布" in text(client.get("/plans"))  # the message carried back


def test_publishing_names_units_nobody_can_sign_for_and_takes_a_reason(web, runtime, make, world):
    with runtime.work() as work:
        work.session.get(Plan, world.plan.id).status = PlanStatus.DRAFT
        work.session.execute(update(User).where(User.username == "lead_head").values(active=False))
    client = web("duchashi")
    refused = client.post(f"/plans/{world.plan.id}/publish", {})
    assert refused.status_code == 303
    page = text(client.get("/plans"))
    assert "区发展改革和经济信息化局" in page and "强制发布" in page
    no_reason = client.post(f"/plans/{world.plan.id}/publish", {"force": "1", "reason": " "})
    assert no_reason.status_code == 303 and "须说明理由" in text(client.get("/plans"))
    forced = client.post(f"/plans/{world.plan.id}/publish", {"force": "1", "reason": "本周开设账号"})
    assert forced.status_code == 302
    with runtime.work(write=False) as work:
        assert work.session.get(Plan, world.plan.id).status == PlanStatus.PUBLISHED
    assert client.post(f"/plans/{world.plan.id}/archive", {}).status_code == 302
    assert "已归档" in text(client.get("/plans"))
    # A unit's people read no such buttons and may not press them.
    assert web("lead_staff").post(f"/plans/{world.plan.id}/publish", {}).status_code == 403


def test_plan_import_preview_lists_the_units_it_would_create(web, runtime, make):
    with runtime.work() as work:
        load_demo(work, with_plan=False)
    make.user(Role.SUPERVISOR, username="ducha2")
    source = PLAN_FILE.read_text(encoding="utf-8").replace("区统计局", "区统计局局本部")
    client = web("ducha2")
    from io import BytesIO

    preview = text(
        client.post(
            "/plans/import",
            {"file": (BytesIO(source.encode("utf-8")), "方案.txt")},
            content_type="multipart/form-data",
        )
    )
    assert "将新建" not in preview
    token = re.search(r'/plans/import/([A-Za-z0-9_-]{32})"', preview).group(1)
    checked = client.post(f"/plans/import/{token}", {"action": "check", "create_units": "1"})
    assert checked.status_code == 200 and "确认导入时将新建 1 个单位:区统计局局本部" in text(checked)
    assert plan_count(runtime) == 0


def test_plan_import_refuses_what_it_cannot_read(web, runtime, make):
    make.user(Role.ADMIN, username="root")
    client = web("root")
    from io import BytesIO

    none = client.post("/plans/import", {}, content_type="multipart/form-data")
    assert none.status_code == 422 and 'id="err-file"' in text(none)
    exe = client.post("/plans/import", {"file": (BytesIO(b"MZ"), "plan.exe")}, content_type="multipart/form-data")
    assert exe.status_code == 422 and "不支持的文件类型" in text(exe)
    assert web(None).get("/plans/import").status_code == 302
    assert plan_count(runtime) == 0


# -- administration --------------------------------------------------------------------------------


def test_admins_manage_users_and_units_with_errors_beside_the_fields(web, runtime, make, world):
    make.user(Role.ADMIN, username="root")
    assert web("lead_head").get("/admin/users").status_code == 403
    admin = web("root")
    short = admin.post(
        "/admin/users",
        {"username": "newbie", "display_name": "新人", "unit": "区财政局", "role": "unit_staff", "password": "abc"},
    )
    page = back(admin, short, "/admin/users")
    assert 'id="err-password"' in page and 'value="newbie"' in page and 'value="新人"' in page
    assert 'value="abc"' not in page  # a password is never carried back
    taken = admin.post(
        "/admin/users",
        {"username": "lead_head", "unit": "区财政局", "role": "unit_staff", "password": "long-enough-1"},
    )
    assert 'id="err-username"' in back(admin, taken, "/admin/users")
    added = admin.post(
        "/admin/users",
        {"username": "newbie", "unit": "区财政局", "role": "unit_staff", "password": "long-enough-1"},
    )
    assert added.status_code == 302
    assert admin.post("/admin/users/newbie/disable").status_code == 302
    with runtime.work(write=False) as work:
        assert work.session.scalar(select(User.active).where(User.username == "newbie")) is False

    assert admin.post("/admin/units", {"name": "区数据局", "kind": "department"}).status_code == 302
    twice = admin.post("/admin/units", {"name": "区数据局", "kind": "department"})
    assert 'id="err-name"' in back(admin, twice, "/admin/units")
    with runtime.work(write=False) as work:
        unit_id = work.session.scalar(select(Unit.id).where(Unit.name == "区数据局"))
    assert admin.post(f"/admin/units/{unit_id}/alias", {"alias": "区大数据局"}).status_code == 302
    assert admin.post("/admin/groups", {"name": "各部门", "members": [str(unit_id)]}).status_code == 302
    assert admin.post(f"/admin/units/{unit_id}/disable").status_code == 302
    with runtime.work(write=False) as work:
        office = work.session.scalar(select(Unit.id).where(Unit.kind == UnitKind.OFFICE))
    refused = admin.post(f"/admin/units/{office}/disable")
    assert "不能停用" in back(admin, refused, "/admin/units")
    with runtime.work(write=False) as work:
        assert work.session.get(Unit, unit_id).active is False
        assert work.session.get(UnitAlias, "区大数据局").unit_id == unit_id
        group = work.session.scalar(select(UnitGroup).where(UnitGroup.name == "各部门"))
        assert [m.unit_id for m in group.members] == [unit_id]


# -- nothing malformed gets a 500 ---------------------------------------------------------------------

ODD = ["", "0", "-1", "99999999999999999999", "1.5", "%00", "'; drop table units;--", "\u202e\u0000", "a" * 500, "[]"]


def test_malformed_requests_never_get_a_500(web, runtime, world, running):
    client = web("duchashi")
    step = open_step(runtime, running, "co_input", world.co_units[0].id)
    gets = [
        "/inbox",
        "/ledger",
        "/ledger.xlsx",
        "/ledger/print",
        "/dashboard",
        "/league",
        "/extensions",
        "/notifications",
    ]
    for path in gets:
        for name in ("light", "page", "plan", "round", "cursor", "state", "key_task", "status", "view", "unread"):
            for value in ODD:
                response = client.get(path, query_string={name: value})
                assert response.status_code < 500, (path, name, value, response.status_code)
    for path in ("/human-tasks/", "/cycles/", "/attachments/"):
        assert client.get(path + "9" * 30).status_code == 404
    posts = [
        f"/human-tasks/{step}",
        f"/human-tasks/{step}/extension",
        "/extensions/1/decide",
        "/notifications/read",
        "/ledger/start",
        "/plans/import",
        "/plans/import/abc",
        "/admin/users",
        "/admin/units/1/alias",
        "/admin/groups",
    ]
    for path in posts:
        for value in ODD:
            form = {
                "decision": value,
                "comment": value,
                "data.text": value,
                "data.nope": value,
                "new_due_date": value,
                "reason": value,
                "id": value,
                "key_task": value,
                "round": value,
                "members": value,
                "group_id": value,
            }
            response = client.post(path, form)
            assert response.status_code < 500, (path, value, response.status_code)


def test_bodies_over_a_pages_limit_are_refused_unread(web, runtime, world, running):
    client = web("co_head_0")
    task_id = open_step(runtime, running, "co_input", world.co_units[0].id)
    from io import BytesIO

    form = client.post("/notifications/read", {"id": "1", "padding": "x" * (3 * 1024 * 1024)})
    assert form.status_code == 413 and "过大" in text(form)
    upload = client.post(
        f"/human-tasks/{task_id}",
        {"data.text": "意见", "files": (BytesIO(b"%PDF-" + b"0" * (23 * 1024 * 1024)), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 413
    with runtime.work(write=False) as work:
        assert work.session.get(HumanTask, task_id).state == HumanTaskState.OPEN


def test_a_nul_character_is_refused_naming_the_field(web, runtime, world, running):
    client = web("co_head_0")
    task_id = open_step(runtime, running, "co_input", world.co_units[0].id)
    response = client.post(f"/human-tasks/{task_id}", {"data.text": "意见\x00"})
    assert response.status_code == 422 and "data.text" in text(response) and "NUL" in text(response)
    assert client.get("/inbox?round=2024\x00").status_code == 422


def test_the_old_step_addresses_lead_to_the_human_task_page(web, runtime, world, running):
    """/steps/<id> was the page's address before it took the API's name (/human-tasks/<id>)."""
    for head in world.co_heads:
        act(runtime, head, running, "co_input", head.unit_id, data={"text": "好"})
    lead = web("lead_head")
    consolidate = open_step(runtime, running, "consolidate")
    moved = lead.get(f"/steps/{consolidate}?tab=history")
    assert moved.status_code == 308
    assert moved.headers["Location"].endswith(f"/human-tasks/{consolidate}?tab=history")
    posted = lead.post(f"/steps/{consolidate}/extension", {"new_due_date": "2024-04-12", "reason": "x"})
    assert posted.status_code == 308
    assert posted.headers["Location"].endswith(f"/human-tasks/{consolidate}/extension")
    assert "汇总报送" in text(lead.get(f"/steps/{consolidate}", follow_redirects=True))


def test_corrections_may_name_a_group_word_or_several_units_and_keep_every_entry(web, runtime, make):
    with runtime.work() as work:
        load_demo(work, with_plan=False)
    make.user(Role.SUPERVISOR, username="ducha4")
    client = web("ducha4")
    from io import BytesIO

    source = (
        "2025年某区测试方案\n"
        "1.规范执法。(牵头单位:区司法局;责任单位:区直各执法部门)\n"
        "2.建设公园。(牵头单位:区住建局局本部;责任单位:区园林所)\n"
    )
    preview = client.post(
        "/plans/import", {"file": (BytesIO(source.encode()), "方案.txt")}, content_type="multipart/form-data"
    )
    page = text(preview)
    token = re.search(r'/plans/import/([A-Za-z0-9_-]{32})"', page).group(1)
    index = {
        name: re.search(rf'name="rename_from_(\d+)" value="{name}"', page).group(1)
        for name in ("区直各执法部门", "区住建局局本部", "区园林所")
    }

    def form(action, **targets):
        data = {"action": action}
        for name, i in index.items():
            data[f"rename_from_{i}"] = name
            data[f"rename_to_{i}"] = targets.get(name, "")
        return data

    good = {"区直各执法部门": "区直各部门", "区住建局局本部": "区住房和城乡建设局", "区园林所": "区财政局、区统计局"}
    # One target that names nothing: refused beside the corrections, and every entry stays as typed.
    wrong = client.post(f"/plans/import/{token}", form("check", **{**good, "区园林所": "区财政局、区不存在局"}))
    assert wrong.status_code == 422 and "区不存在局" in text(wrong)
    for value in ("区直各部门", "区住房和城乡建设局", "区财政局、区不存在局"):
        assert f'value="{value}"' in text(wrong), value
    checked = client.post(f"/plans/import/{token}", form("check", **good))
    assert checked.status_code == 200 and "无法导入" not in text(checked), text(checked)[:3000]
    for value in good.values():
        assert f'value="{value}"' in text(checked), value
    done = client.post(f"/plans/import/{token}", form("confirm", **good))
    assert done.status_code == 302
    with runtime.work(write=False) as work:
        tasks = {t.number: t for t in work.session.scalars(select(KeyTask))}
        assert len(tasks[1].co_units) > 5  # 区直各部门 expanded
        assert [u.name for u in tasks[2].co_units] == ["区财政局", "区统计局"]
        assert work.session.get(UnitAlias, "区住建局局本部") is not None
        kept = work.session.scalar(select(UnitGroup).where(UnitGroup.name == "区园林所"))
        assert [m.unit.name for m in kept.members] == ["区财政局", "区统计局"]
        assert work.session.scalar(select(UnitGroup).where(UnitGroup.name == "区直各执法部门")) is not None


def test_a_revision_confirmed_against_an_older_version_is_refused_on_the_page(web, runtime, world):
    from io import BytesIO

    text_v2 = (
        "鄂城区2024年“三新三强”行动方案\n"
        "1.推行产业链长制。全面推行链长制。(牵头单位:区发展改革和经济信息化局;责任单位:区财政局)\n"
    )
    client = web("duchashi")
    page = text(
        client.post(
            "/plans/import", {"file": (BytesIO(text_v2.encode()), "v2.txt")}, content_type="multipart/form-data"
        )
    )
    token = re.search(r'/plans/import/([A-Za-z0-9_-]{32})"', page).group(1)
    assert f'<option value="{world.plan.id}" selected>' in page and 'name="expected_revision" value="1"' in page
    # Someone else confirms another revision meanwhile.
    with runtime.work() as work:
        work.session.execute(update(Plan).where(Plan.id == world.plan.id).values(revision=2))
    late = client.post(
        f"/plans/import/{token}",
        {"action": "confirm", "revision_of": str(world.plan.id), "expected_revision": "1"},
    )
    assert late.status_code == 409 and "已被修订" in text(late)
    assert 'name="expected_revision" value="2"' in text(late)  # the page now previews against version 2
    with runtime.work(write=False) as work:
        assert work.session.get(Plan, world.plan.id).revision == 2

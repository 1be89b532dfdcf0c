"""Read code follows the diagram: the second diagram of the engine tests (tests/workflows/data/
quick_report.bpmn: 报送快报 by the lead unit, 各牵头单位确认 by every lead unit, 领导批示 with 同意 / 重报)
runs as the cycle diagram, and the step page, the ledger, its .xlsx, the dashboard and the league
table read its steps, labels and backward decision from it. Nothing of the shipped diagram shows."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from db.models import HumanTask, HumanTaskState, Role
from service.config import REPO_ROOT, load_config
from service.operations.cycles.complete import complete_human_task
from service.operations.cycles.start import start_cycle
from service.operations.queries.dashboard import dashboard, league
from service.operations.queries.decisions import SentBack
from service.operations.queries.human_tasks import human_task_detail
from service.operations.queries.ledger import ledger

QUICK = REPO_ROOT / "tests" / "workflows" / "data" / "quick_report.bpmn"


@pytest.fixture
def config(database_url, tmp_path):
    """The suite's configuration with the second diagram as the one new cycles run."""
    return load_config(
        REPO_ROOT / "config.toml",
        overrides={
            "database.url": database_url,
            "server.secret_key_file": str(tmp_path / "secret_key"),
            "attachments.storage_dir": str(tmp_path / "attachments"),
            "engine.diagram": str(QUICK),
        },
    )


def open_task(runtime, cycle_id: int, step: str, unit_id: int | None = None) -> int:
    with runtime.work(write=False) as work:
        query = select(HumanTask.id).where(
            HumanTask.cycle_id == cycle_id, HumanTask.step_id == step, HumanTask.state == HumanTaskState.OPEN
        )
        if unit_id is not None:
            query = query.where(HumanTask.unit_id == unit_id)
        return work.session.scalars(query).one()


def do(runtime, actor, task_id: int, **form) -> None:
    with runtime.work() as work:
        complete_human_task(work, actor, task_id, **form)


def test_the_second_diagram_through_the_step_page_the_ledger_and_the_statistics(runtime, make, clock, web):
    # The plan lists 区财政局 before 区发展改革和经济信息化局; by code point 发 (U+53D1) comes first.
    finance, development = make.unit("区财政局"), make.unit("区发展改革和经济信息化局")
    heads = {
        finance.id: make.user(Role.UNIT_HEAD, finance, username="czj"),
        development.id: make.user(Role.UNIT_HEAD, development, username="fgj"),
    }
    supervisor = make.user(Role.SUPERVISOR, username="duchashi")
    leader = make.user(Role.LEADER, username="lingdao")
    plan = make.plan("快报试点方案")
    key_task = make.key_task([finance, development], [], plan=plan, number=1, title="报送一季度快报")

    with runtime.work() as work:
        cycle_id = start_cycle(work, supervisor, key_task.id, "2024-Q2").id
    with runtime.work(write=False) as work:
        board = dashboard(work, supervisor)
    (progress,) = board.key_tasks
    assert (progress.stage, progress.percent) == ("报送快报", 0)  # the first of the diagram's three steps

    clock.advance(timedelta(hours=1))
    do(runtime, heads[finance.id], open_task(runtime, cycle_id, "report"), data={"summary": "一稿", "urgent": "否"})
    do(runtime, heads[development.id], open_task(runtime, cycle_id, "confirm", development.id))
    with runtime.work(write=False) as work:
        board = dashboard(work, supervisor)
    (progress,) = board.key_tasks
    # At the second of three steps, one of its two units done: (1 + 1/2) / (3 + 1).
    assert (progress.stage, progress.percent) == ("各牵头单位确认", 38)
    do(runtime, heads[finance.id], open_task(runtime, cycle_id, "confirm", finance.id))

    # The leader's page shows what the diagram's <duban:show> lists, in its order, units in the plan's.
    decide = open_task(runtime, cycle_id, "decide")
    with runtime.work(write=False) as work:
        page = human_task_detail(work, leader, decide)
    assert [(s.step, s.per_unit, s.folded) for s in page.shown] == [("report", False, False), ("confirm", True, True)]
    (report,) = page.shown[0].items
    assert [(f.label, f.value) for f in report.fields] == [("快报内容", "一稿"), ("是否紧急", "否")]
    assert [i.unit for i in page.shown[1].items] == ["区财政局", "区发展改革和经济信息化局"]
    assert page.form.decision_label == "领导批示结论" and page.form.submit_label == "提交"
    assert [(o.label, o.comment_required, o.backward) for o in page.form.decision_options] == [
        ("同意", False, False),
        ("重报", True, True),
    ]
    leader_web = web("lingdao")
    html = leader_web.get(f"/human-tasks/{decide}").get_data(as_text=True)
    for words in ("快报内容", "是否紧急", "各牵头单位确认(2)", "领导批示结论", "重报", 'id="shown-report"'):
        assert words in html, words
    for shipped in ("汇总报告", "审核结论", "配合单位意见"):
        assert shipped not in html, shipped

    # 重报 is the diagram's backward decision: the report comes back with why, and is counted.
    clock.advance(timedelta(hours=1))
    do(runtime, leader, decide, decision="again", comment="补充数据")
    again = open_task(runtime, cycle_id, "report")
    with runtime.work(write=False) as work:
        returned = human_task_detail(work, heads[finance.id], again)
    assert returned.sent_back is not None
    assert (returned.sent_back.decision_label, returned.sent_back.comment) == ("重报", "补充数据")
    lead_web = web("czj")
    html = lead_web.get(f"/human-tasks/{again}").get_data(as_text=True)
    assert 'id="returned"' in html and "区领导重报" in html and "补充数据" in html

    with runtime.work(write=False) as work:
        book = ledger(work, supervisor)
        table = league(work, supervisor)
    (row,) = book.rows
    assert row.steps == ("报送快报",) and row.returns == 1 and row.sent_back == (SentBack("重报", 1),)
    assert row.latest == "领导批示(重报): 补充数据"
    assert {s.unit: s.returns for s in table.standings}["区财政局"] == 1
    page_html = web("duchashi").get("/ledger").get_data(as_text=True)
    assert "重报 1 次" in page_html and "退回" not in page_html
    sheet = load_workbook(BytesIO(web("duchashi").get("/ledger.xlsx").data)).active
    header = [c.value for c in sheet[4]]
    assert sheet.cell(row=5, column=header.index("退回情况") + 1).value == "重报 1 次"

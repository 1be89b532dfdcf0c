"""The ledger (督查台账) and its spreadsheet, on a real database."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from service.errors import Invalid, NotFound
from service.exports.ledger_xlsx import ledger_xlsx
from service.operations.queries.ledger import ledger


def read(runtime, actor, **kw):
    with runtime.work(write=False) as work:
        return ledger(work, actor, **kw)


def test_a_plan_without_cycles_lists_every_key_task_as_not_started(runtime, world, make):
    other = make.key_task([world.co_units[0]], [], plan=None, title="另一计划的任务")
    book = read(runtime, world.supervisor, plan_id=_plan_of(runtime, world.key_task.id))
    assert [r.title for r in book.rows] == ["推行产业链长制"]
    assert book.round is None and book.rows[0].status == "none" and book.rows[0].light is None
    assert book.counts["none"] == 1 and other.id != world.key_task.id


def _plan_of(runtime, key_task_id):
    from db.models import KeyTask

    with runtime.work(write=False) as work:
        return work.session.get(KeyTask, key_task_id).plan_id


def test_lights_steps_returns_and_latest_progress_follow_the_cycle(runtime, clock, world, start, act, open_steps):
    plan_id = _plan_of(runtime, world.key_task.id)
    cycle_id = start()
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
    act(world.lead_head, open_steps(cycle_id, "sign_for")[0].id)
    act(world.co_heads[0], open_steps(cycle_id, "co_input")[0].id, data={"text": "财政资金已到位"})

    (row,) = read(runtime, world.supervisor, plan_id=plan_id).rows
    assert row.status == "running" and row.cycle_id == cycle_id
    assert row.steps == ("配合单位意见(2 个单位待办)",)
    assert row.light == "green"
    assert row.latest == "配合单位意见: 财政资金已到位"

    # Past every deadline: the light turns red and the row is found by the red filter only.
    clock.advance(timedelta(days=30))
    book = read(runtime, world.supervisor, plan_id=plan_id, light="red")
    assert [r.light for r in book.rows] == ["red"] and book.counts["red"] == 1
    assert read(runtime, world.supervisor, plan_id=plan_id, light="green").rows == ()

    for head in world.co_heads[1:]:
        task = next(t for t in open_steps(cycle_id, "co_input") if t.unit_id == head.unit_id)
        act(head, task.id, data={"text": "同意"})
    act(world.lead_head, open_steps(cycle_id, "consolidate")[0].id, data={"report": "一稿"})
    act(world.supervisor, open_steps(cycle_id, "review")[0].id, decision="return", comment="补充数据")
    (row,) = read(runtime, world.supervisor, plan_id=plan_id).rows
    assert row.returns == 1 and row.steps == ("汇总报送",)
    assert row.latest == "审核(退回): 补充数据"


def test_units_see_only_their_key_tasks_and_the_closed_state_shows(runtime, world, act, open_steps, to_consolidate):
    plan_id = _plan_of(runtime, world.key_task.id)
    assert read(runtime, world.outsider, plan_id=plan_id).rows == ()
    assert [r.number for r in read(runtime, world.co_heads[2], plan_id=plan_id).rows] == [world.key_task.number]

    cycle_id = to_consolidate()
    act(world.lead_head, open_steps(cycle_id, "consolidate")[0].id, data={"report": "报告"})
    act(world.supervisor, open_steps(cycle_id, "review")[0].id, decision="pass")
    act(world.leader, open_steps(cycle_id, "approve")[0].id, decision="approve")
    book = read(runtime, world.leader, plan_id=plan_id, status="closed")
    assert [(r.status, r.light, r.steps) for r in book.rows] == [("closed", None, ())]
    assert book.counts["closed"] == 1 and book.round == "2024-Q2"


def test_bad_filters_are_refused_with_the_field(runtime, world):
    plan_id = _plan_of(runtime, world.key_task.id)
    with pytest.raises(Invalid) as bad:
        read(runtime, world.supervisor, plan_id=plan_id, light="blue")
    assert bad.value.field == "light"
    with pytest.raises(NotFound):
        read(runtime, world.supervisor, plan_id=plan_id, round_name="2030-Q1")
    with pytest.raises(NotFound):
        read(runtime, world.supervisor, plan_id=plan_id + 1000)


def test_paging_splits_the_rows(runtime, world, make):
    plan_id = _plan_of(runtime, world.key_task.id)
    from db.models import Plan

    with runtime.work(write=False) as work:
        plan = work.session.get(Plan, plan_id)
    for n in range(5):
        make.key_task([world.lead_unit], [], plan=plan, number=100 + n, title=f"任务{n}")
    first = read(runtime, world.supervisor, plan_id=plan_id, per_page=4)
    second = read(runtime, world.supervisor, plan_id=plan_id, per_page=4, page=2)
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (6, 2, 4, 2)
    assert {r.key_task_id for r in first.rows}.isdisjoint({r.key_task_id for r in second.rows})


def test_the_spreadsheet_is_laid_out_as_a_ledger_and_keeps_text_as_text(runtime, world, make, to_consolidate):
    plan_id = _plan_of(runtime, world.key_task.id)
    from db.models import Plan

    with runtime.work(write=False) as work:
        plan = work.session.get(Plan, plan_id)
    make.key_task([world.lead_unit], [], plan=plan, number=99, title='=HYPERLINK("http://x")')
    to_consolidate()
    book = read(runtime, world.supervisor, plan_id=plan_id, per_page=None)
    data = ledger_xlsx(book, runtime.config.tz)
    ws = load_workbook(BytesIO(data)).active
    assert ws["A1"].value == "鄂城区2024年“三新三强”行动方案督查台账"
    assert [c.value for c in ws[4]][:3] == ["序号", "重点任务", "所属板块"]
    assert ws.freeze_panes == "C5"
    assert ws.page_setup.orientation == "landscape"
    rows = {ws.cell(row=r, column=2).value: r for r in range(5, ws.max_row + 1)}
    assert rows.keys() == {"推行产业链长制", '=HYPERLINK("http://x")'}
    formula_row = rows['=HYPERLINK("http://x")']
    assert ws.cell(row=formula_row, column=2).data_type == "s"
    running = rows["推行产业链长制"]
    assert ws.cell(row=running, column=9).value == "汇总报送"
    assert ws.cell(row=running, column=10).value == "办理中"
    assert ws.cell(row=running, column=11).value == "绿灯"


def test_units_show_as_corrected_with_the_directorys_full_name(runtime, world, make):
    from db.models import UnitAlias
    from service.operations.directory.plan_import import import_plan

    make.unit("区城市管理执法局")
    with runtime.work() as work:
        work.session.add(UnitAlias(alias="区发改局", unit_id=world.lead_unit.id))
    text = "1.整治市容(牵头单位:区直各执法部门;责任单位:区发改局、凤凰街道)\n".encode()
    with runtime.work() as work:
        done = import_plan(work, world.admin, text, "p.txt", renames={"区直各执法部门": "区城市管理执法局"})
    book = read(runtime, world.supervisor, plan_id=done.plan_id)
    (row,) = book.rows
    assert row.lead_units == "区城市管理执法局"  # as corrected at import
    assert row.co_units == "区发改局(区发展改革和经济信息化局)、凤凰街道"
    sheet = load_workbook(BytesIO(ledger_xlsx(book, runtime.config.tz))).active
    cells = {str(c.value) for r in sheet.iter_rows() for c in r if c.value}
    assert {row.lead_units, row.co_units} <= cells


def test_a_retired_key_task_shows_only_in_the_rounds_it_had_a_cycle_in(runtime, world, make, start):
    from sqlalchemy import update

    from db.models import KeyTask

    retired = make.key_task([world.lead_unit], [], plan=world.plan, number=2, title="已删除的任务")
    start("2024-Q2")
    with runtime.work() as work:
        from service.operations.cycles.start import start_cycle

        start_cycle(work, world.supervisor, retired.id, "2024-Q2")
        work.session.execute(update(KeyTask).where(KeyTask.id == retired.id).values(active=False))
    assert [r.title for r in read(runtime, world.supervisor, round_name="2024-Q2").rows] == [
        "推行产业链长制",
        "已删除的任务",
    ]
    start("2024-Q3")
    assert [r.title for r in read(runtime, world.supervisor, round_name="2024-Q3").rows] == ["推行产业链长制"]

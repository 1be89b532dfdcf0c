"""Importing plans into the database: the real plan, atomicity, idempotency, unknown units."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent, KeyTask, KeyTaskUnit, Plan, Unit, UnitAlias, UnitKind, UnitPart
from service.demo.seed import PLAN_FILE, load_demo
from service.errors import Forbidden
from service.operations.common.actor import SYSTEM
from service.operations.directory.plan_import import guess_kind, import_plan

SAMPLE = """2025年某区重点工作任务分解方案
一、优化营商环境
1.推进一网通办。全面推行政务服务事项网上办理,力争网办率达到90%以上。(牵头单位:区行政审批局;责任单位:区数据局、各街道)
2.清理拖欠账款。(牵头单位:区财政局;责任单位:区发改局)
"""


def counts(runtime):
    with runtime.work(write=False) as work:
        s = work.session
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Plan, KeyTask, KeyTaskUnit, Unit))


@pytest.fixture
def district(runtime):
    with runtime.work() as work:
        load_demo(work, with_plan=False)


def do_import(runtime, data, name, actor=SYSTEM, **options):
    with runtime.work() as work:
        return import_plan(work, actor, data, name, **options)


def test_the_real_plan(runtime, district):
    result = do_import(runtime, PLAN_FILE.read_bytes(), PLAN_FILE.name)
    assert result.ok and result.plan_id is not None
    with runtime.work(write=False) as work:
        plan = work.session.get(Plan, result.plan_id)
        assert plan.year == 2024 and len(plan.sections) == 3
        tasks = {t.number: t for t in plan.key_tasks}
        assert sorted(tasks) == list(range(1, 15))
        task8 = tasks[8]
        assert [u.name for u in task8.lead_units] == ["区发展改革和经济信息化局", "区行政审批局"]
        assert "区行政审批局" not in [u.name for u in task8.co_units]
        task14 = tasks[14]
        departments = work.session.scalar(
            select(func.count()).select_from(Unit).where(Unit.kind == UnitKind.DEPARTMENT)
        )
        towns = work.session.scalar(
            select(func.count())
            .select_from(Unit)
            .where(Unit.kind.in_([UnitKind.STREET, UnitKind.TOWN, UnitKind.TOWNSHIP]))
        )
        # 区直各部门 (every department but the lead) + 各镇街 + 花湖开发区
        assert len(task14.co_units) == (departments - 1) + towns + 1
        assert task14.co_units_text.startswith("区直各部门")
        assert any(t["indicator"] == "技改项目" and t["value"] == 20 for t in tasks[2].targets)


def test_importing_the_same_file_twice_gives_one_plan(runtime, district):
    first = do_import(runtime, PLAN_FILE.read_bytes(), PLAN_FILE.name)
    before = counts(runtime)
    second = do_import(runtime, PLAN_FILE.read_bytes(), "renamed-copy.txt")
    assert second.already_imported and second.plan_id == first.plan_id
    assert counts(runtime) == before


def test_a_dry_run_writes_nothing(runtime, district):
    before = counts(runtime)
    result = do_import(runtime, PLAN_FILE.read_bytes(), PLAN_FILE.name, dry_run=True)
    assert result.ok and result.plan_id is None and len(result.parsed.tasks) == 14
    assert counts(runtime) == before


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"", "empty.txt"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "photo.png"),
        ("这只是一份会议通知,没有任何任务。\n请各单位准时参加。".encode(), "notice.txt"),
        (b"PK\x03\x04 truncated zip", "broken.docx"),
    ],
)
def test_a_file_that_is_not_a_plan_writes_nothing(runtime, district, data, name):
    before = counts(runtime)
    result = do_import(runtime, data, name)
    assert not result.ok and result.plan_id is None
    assert result.blockers
    assert counts(runtime) == before


def test_unknown_units_block_the_import_unless_created(runtime, district):
    before = counts(runtime)
    blocked = do_import(runtime, SAMPLE.encode(), "2025.txt")
    assert not blocked.ok
    assert set(blocked.unknown_units) == {"区数据局"}
    assert counts(runtime) == before, "atomic: nothing written"
    created = do_import(runtime, SAMPLE.encode(), "2025.txt", create_units=True)
    assert created.ok and created.created_units == ("区数据局",)
    with runtime.work(write=False) as work:
        unit = work.session.scalar(select(Unit).where(Unit.name == "区数据局"))
        assert unit.kind == UnitKind.DEPARTMENT
        task1 = work.session.scalar(select(KeyTask).where(KeyTask.plan_id == created.plan_id, KeyTask.number == 1))
        co = {u.unit.name for u in task1.units if u.part == UnitPart.CO}
        assert "区数据局" in co and {"凤凰街道", "古楼街道", "西山街道", "樊口街道"} <= co
        task2 = work.session.scalar(select(KeyTask).where(KeyTask.plan_id == created.plan_id, KeyTask.number == 2))
        assert [u.name for u in task2.co_units] == ["区发展改革和经济信息化局"], "区发改局 is an alias"


def test_a_preview_lists_the_units_it_would_create(runtime, district):
    before = counts(runtime)
    preview = do_import(runtime, SAMPLE.encode(), "2025.txt", dry_run=True, create_units=True)
    assert preview.ok and preview.created_units == ("区数据局",)
    assert "新建单位: 区数据局" in preview.describe()
    assert counts(runtime) == before


def test_create_units_refuses_names_that_are_no_units(runtime, district):
    before = counts(runtime)
    result = do_import(runtime, SAMPLE.replace("区数据局", "项目业主").encode(), "2025.txt", create_units=True)
    assert not result.ok and result.created_units == ()
    assert any(b.startswith("「项目业主」不像单位名称") and "单位后缀" in b for b in result.blockers)
    assert counts(runtime) == before, "atomic: nothing written"


FOREIGN = """黄石市下陆区2024年工业经济稳增长工作任务分工
1.推进工业技改项目50个以上。(牵头单位:区经信局;责任单位:区发改局、区科技局)
2.新增规上工业企业30家。(牵头单位:区科技局;责任单位:区统计局、各街道)
"""


def test_a_plan_from_elsewhere_keeps_its_names(runtime, district):
    """Another district's 区经信局 and 区发改局 are two units there: never merged into this district's unit
    they are aliases of, and its 各街道 is not this district's streets; the import says why it cannot create
    them."""
    preview = do_import(runtime, FOREIGN.encode(), "xialu.txt", dry_run=True, create_units=True)
    assert preview.parsed.foreign
    task1 = preview.parsed.tasks[0]
    assert (task1.lead_units, task1.co_units) == (("区经信局",), ("区发改局", "区科技局"))
    assert task1.co_units_resolved == ("区发改局", "区科技局")
    assert set(preview.unknown_units) == {"区经信局", "区发改局", "区科技局", "各街道"}
    assert not preview.ok and preview.created_units == ()
    messages = "\n".join(preview.blockers)
    assert "「区经信局」是本区单位「区发展改革和经济信息化局」的别称" in messages
    assert "「各街道」是本区的统称" in messages
    assert "区统计局" not in messages  # this district has a unit of that very name
    assert any("可能是其他地区的计划" in p.message for p in preview.parsed.problems)


def test_renames_resolve_names_and_are_kept_as_aliases(runtime, district):
    result = do_import(runtime, SAMPLE.encode(), "2025.txt", renames={"区数据局": "区政府办公室"})
    assert result.ok and result.unknown_units == ()
    with runtime.work(write=False) as work:
        assert work.session.get(UnitAlias, "区数据局").unit_id == work.session.scalar(
            select(Unit.id).where(Unit.name == "区政府办公室")
        )
    # The next plan naming 区数据局 resolves by itself.
    again = do_import(runtime, SAMPLE.replace("2025", "2026").encode(), "2026.txt", dry_run=True)
    assert again.ok and again.unknown_units == ()


def test_import_is_audited_and_needs_the_right_role(runtime, district, make):
    unit_head = make.user("unit_head")
    with pytest.raises(Forbidden):
        do_import(runtime, PLAN_FILE.read_bytes(), PLAN_FILE.name, actor=unit_head)
    supervisor = make.user("supervisor")
    result = do_import(runtime, PLAN_FILE.read_bytes(), PLAN_FILE.name, actor=supervisor)
    with runtime.work(write=False) as work:
        event = work.session.scalar(select(AuditEvent).where(AuditEvent.action == "plan.imported"))
        assert event.actor_id == supervisor.user_id and event.data["plan_id"] == result.plan_id


def test_guessing_the_kind_of_a_new_unit():
    assert guess_kind("东湖街道") == UnitKind.STREET
    assert guess_kind("梁子镇") == UnitKind.TOWN
    assert guess_kind("太和乡") == UnitKind.TOWNSHIP
    assert guess_kind("葛店开发区") == UnitKind.ZONE
    assert guess_kind("区数据局") == UnitKind.DEPARTMENT
    assert guess_kind("鄂州供电公司") == UnitKind.DEPARTMENT
    assert guess_kind("某某") == UnitKind.OTHER


def test_demo_load_is_idempotent(runtime):
    with runtime.work() as work:
        first = load_demo(work)
    before = counts(runtime)
    with runtime.work() as work:
        second = load_demo(work)
    assert counts(runtime) == before
    assert (second.units_created, second.users_created, second.plan_created) == (0, 0, False)
    assert first.units_created == 55 and first.plan_created
    usernames = {a[0] for a in first.accounts}
    assert {"admin", "duchashi", "lingdao", "qczj", "qczj_jb"} <= usernames
    assert Path(PLAN_FILE).exists()


def test_a_dry_run_past_the_task_bound_says_how_many_were_not_shown(runtime, district, monkeypatch):
    """A dry run lists the tasks it read and says, as a blocker, how many it did not (issue 15 item 1)."""
    from service.plans import layout

    monkeypatch.setattr(layout, "MAX_TASKS", 30)
    data = "".join(f"{n}.推进工作{n}。(牵头单位:区财政局)\n" for n in range(1, 101)).encode()
    result = do_import(runtime, data, "many.txt", dry_run=True)
    assert len(result.parsed.tasks) == 30 and not result.ok
    assert any("其后还有 70 项未读取" in blocker for blocker in result.blockers)
    assert "其后还有 70 项未读取" in result.describe()
    assert counts(runtime) == counts(runtime) and counts(runtime)[0] == 0

"""考评: every scored unit gets base plus each rule's points for what its rows show in the round, and the
office's 加减分; leagues rank towns and streets apart from departments; a published round is what units read."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from db.models import AuditEvent, HumanTask, HumanTaskState, Role, UnitKind
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.operations.assessment.league import add_adjustment, publish_round
from service.operations.cycles.complete import complete_human_task
from service.operations.cycles.start import start_cycle
from service.operations.queries.scores import scores
from service.operations.year.indicators import IndicatorFields, add_indicator
from service.scheduling.loops import run_escalations
from tests.helpers import TZ


@pytest.fixture
def league_world(make):
    lead = make.unit("区发展改革和经济信息化局", kind=UnitKind.DEPARTMENT)
    street = make.unit("凤凰街道", kind=UnitKind.STREET)
    department = make.unit("区财政局", kind=UnitKind.DEPARTMENT)
    town = make.unit("泽林镇", kind=UnitKind.TOWN)  # takes no part: still scored, at base

    class W:
        pass

    w = W()
    w.units = {"lead": lead, "street": street, "department": department, "town": town}
    w.supervisor = make.user(Role.SUPERVISOR, username="duchashi")
    w.leader = make.user(Role.LEADER, username="lingdao")
    w.lead_head = make.user(Role.UNIT_HEAD, lead, username="lead_head")
    w.street_head = make.user(Role.UNIT_HEAD, street, username="street_head")
    w.department_head = make.user(Role.UNIT_HEAD, department, username="department_head")
    w.key_task = make.key_task([lead], [street, department], title="推动老树发新芽")
    return w


def open_id(runtime, cycle_id, step, unit_id=None):
    with runtime.work(write=False) as work:
        query = select(HumanTask.id).where(
            HumanTask.cycle_id == cycle_id, HumanTask.step_id == step, HumanTask.state == HumanTaskState.OPEN
        )
        if unit_id:
            query = query.where(HumanTask.unit_id == unit_id)
        return work.session.scalar(query)


def act(runtime, actor, task_id, **form):
    with runtime.work() as work:
        complete_human_task(work, actor, task_id, **form)


def play_q2(runtime, clock, w):
    """A round with one late input (escalated to 催办), a return, and an indicator that recovers."""
    fields = IndicatorFields(name="技改项目", comparator="≥", target=20, measure="个")
    with runtime.work() as work:
        projects = add_indicator(work, w.supervisor, fields, key_task_id=w.key_task.id).id
        cycle = start_cycle(work, w.supervisor, w.key_task.id, "2024-Q2").id
    act(runtime, w.supervisor, open_id(runtime, cycle, "dispatch"))
    act(runtime, w.lead_head, open_id(runtime, cycle, "sign_for"))
    act(runtime, w.street_head, open_id(runtime, cycle, "co_input", w.units["street"].id), data={"text": "已落实"})
    # The department's input was due at the end of 9 April (five working days; Qingming in between).
    clock.set(datetime(2024, 4, 15, 10, 0, tzinfo=TZ))
    run_escalations(runtime, clock.now())  # 催办 on 10 April; 督办 would come on 17 April
    act(
        runtime, w.department_head, open_id(runtime, cycle, "co_input", w.units["department"].id), data={"text": "迟报"}
    )
    consolidate = open_id(runtime, cycle, "consolidate")
    act(runtime, w.lead_head, consolidate, data={"report": "进展"}, progress={"values": {str(projects): 4}})
    act(runtime, w.supervisor, open_id(runtime, cycle, "review"), decision="return", comment="核实数据")
    act(
        runtime,
        w.lead_head,
        open_id(runtime, cycle, "consolidate"),
        data={"report": "更正"},
        progress={"values": {str(projects): 12}},
    )
    act(runtime, w.supervisor, open_id(runtime, cycle, "review"), decision="pass")
    act(runtime, w.leader, open_id(runtime, cycle, "approve"), decision="approve")
    return cycle


def table(result):
    return {u.unit: (u.total, u.rank, {p.rule: p.count for p in u.breakdown}) for t in result.tables for u in t.units}


def test_every_unit_gets_a_score_with_its_breakdown(runtime, clock, league_world):
    w = league_world
    play_q2(runtime, clock, w)
    with runtime.work() as work:
        add_adjustment(work, w.supervisor, "2024-Q2", w.units["street"].id, 2, "主动对接,成效明显")
    with runtime.work(write=False) as work:
        result = scores(work, w.supervisor, "2024-Q2")
    # lead: sign_for and two 汇总报送 on time (+3), one 退回 (−1), its indicator green at 60 % vs 序时 ≈ 55 % (+2)
    # street: its input on time (+1) and 加减分 +2; department: its input late (−2) and 催办 (−1); town: nothing
    assert table(result) == {
        "区发展改革和经济信息化局": (104.0, 1, {"on_time_step": 3, "returned": 1, "indicator_on_track": 1}),
        "区财政局": (97.0, 2, {"overdue_step": 1, "cuiban": 1}),
        "凤凰街道": (103.0, 1, {"on_time_step": 1, "adjustment": 2.0}),
        "泽林镇": (100.0, 2, {}),
    }
    assert [t.label for t in result.tables] == ["镇街组", "区直部门组"]
    assert [a.reason for a in result.adjustments] == ["主动对接,成效明显"]


def test_units_read_only_published_rounds_and_only_their_own_breakdown(runtime, clock, league_world):
    w = league_world
    play_q2(runtime, clock, w)
    with runtime.work(write=False) as work, pytest.raises(NotFound, match="尚未发布"):
        scores(work, w.street_head, "2024-Q2")
    for actor in (w.leader, w.street_head):
        with runtime.work() as work, pytest.raises(Forbidden):
            publish_round(work, actor, "2024-Q2")
    with runtime.work() as work:
        publish_round(work, w.supervisor, "2024-Q2")
    with runtime.work() as work, pytest.raises(Conflict, match="已发布"):
        add_adjustment(work, w.supervisor, "2024-Q2", w.units["town"].id, 5, "补登")
    with runtime.work() as work, pytest.raises(Conflict, match="已经发布"):
        publish_round(work, w.supervisor, "2024-Q2")
    with runtime.work(write=False) as work:
        seen = scores(work, w.street_head, "2024-Q2")
        events = [e.action for e in work.session.scalars(select(AuditEvent))]
    rows = {u.unit: u for t in seen.tables for u in t.units}
    assert seen.published and rows["凤凰街道"].breakdown and not rows["区财政局"].breakdown
    assert rows["区财政局"].total == 97.0  # every unit's total and rank are there
    assert "league.published" in events


def test_the_change_since_the_last_round(runtime, clock, league_world):
    w = league_world
    play_q2(runtime, clock, w)
    with runtime.work() as work:
        start_cycle(work, w.supervisor, w.key_task.id, "2024-Q3")
    with runtime.work(write=False) as work:
        q3 = scores(work, w.supervisor, "2024-Q3")
    rows = {u.unit: u for t in q3.tables for u in t.units}
    assert q3.previous_round == "2024-Q2"
    # Q3 has only its dispatch open: the department has nothing against it this round.
    assert (rows["区财政局"].total, rows["区财政局"].change) == (100.0, 3.0)
    assert rows["区发展改革和经济信息化局"].previous_total == 104.0


def test_adjustments_are_checked(runtime, clock, league_world):
    w = league_world
    play_q2(runtime, clock, w)
    cases = [
        (dict(unit_id=w.units["street"].id, points=0, reason="无"), Invalid, "不为 0"),
        (dict(unit_id=w.units["street"].id, points=101, reason="多"), Invalid, "-100 与 100 之间"),
        (dict(unit_id=w.units["street"].id, points=1.25, reason="多"), Invalid, "0.5 的整数倍"),
        (dict(unit_id=w.units["street"].id, points=1, reason="  "), Invalid, "理由"),
        (dict(unit_id=999_999, points=1, reason="x"), NotFound, "单位"),
    ]
    for given, error, says in cases:
        with runtime.work() as work, pytest.raises(error, match=says):
            add_adjustment(work, w.supervisor, "2024-Q2", **given)
    with runtime.work() as work, pytest.raises(NotFound, match="2030-Q1"):
        add_adjustment(work, w.supervisor, "2030-Q1", w.units["street"].id, 1, "x")
    with runtime.work() as work, pytest.raises(Forbidden):
        add_adjustment(work, w.leader, "2024-Q2", w.units["street"].id, 1, "x")

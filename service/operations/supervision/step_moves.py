"""The supervision office's moves on one open step (issue 11): 催办 by hand, 免报, 转办.

Each is one operation: authz decides who (``common/authz.py``), it runs in the caller's
transaction with the cycle's row locked, it is audited, and it notifies the people who must act
(one ``notify`` call per move, through ``common/notifications.py``). 免报 and 转办 are process
operations in the engine (``CycleRun.settle`` and ``CycleRun.reassign``); 催办 changes nothing
in the process (it is a notice, counted on the step).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, or_, select, update

from db.models import Cycle, HumanTask, KeyTaskUnit, Unit
from workflows import EngineError, StepNotReady

from ...errors import Conflict, Invalid, NotFound
from ...runtime import Work
from ...vocabulary import Assignee, HumanTaskOutcome, HumanTaskState, Move, Party, ReassignScope
from ..common import audit, authz
from ..common import notice_texts as texts
from ..common.actor import Actor
from ..common.notifications import Notice, Recipients, notify, notify_many, subject_of, unit_name
from ..cycles.diagrams import diagram_for_version
from ..cycles.moves import end_rows, ensure_open, lock_task, reason_of, save, settle_inputs
from ..cycles.projection import HumanTaskRef, lapse_pending, load_run

TASKS = cast(Table, HumanTask.__table__)
CYCLES = cast(Table, Cycle.__table__)
# The process variable the host fills with a cycle's lead units at start (cycles/start.py): a
# lead-unit step is given to another unit by putting that unit first in it.
LEAD_UNITS_VARIABLE = "lead_units"


def _working_day_of(work: Work, at: datetime) -> date:
    """The working day ``at`` (local time) belongs to: its own day, or for a day off the last working day
    before it (by the official calendar, weekend fallback beyond it)."""
    day = at.astimezone(work.runtime.config.tz).date()
    calendar = work.runtime.calendar
    for _ in range(40):  # the longest official break is 8 days; bounded whatever a loaded year says
        if calendar.is_workday(day):
            return day
        day -= timedelta(days=1)
    return at.astimezone(work.runtime.config.tz).date()


# -- 催办 by hand --------------------------------------------------------------------------------


def urge_human_task(work: Work, actor: Actor, human_task_id: int, *, comment: object = None) -> HumanTask:
    """催办 by hand: the supervisor on any open unit step, the lead unit's head on the open inputs
    of its own key task's co-units. A notice to the step's unit (head and staff), copied to the
    lead unit for a co-unit's input; the step's 催办 count grows by one (``urge_count``, shown as
    催办 N 次 on the ledger and the step page). At most once per step per working day (the issue's
    rule; a day off belongs to the working day before it, so a 催办 on Friday also covers the weekend;
    a second one is a 409). ``comment`` optional.
    Audit: ``step.urged``. Returns the step.

    Raises ``NotFound`` (not visible), ``Forbidden`` (see ``authz.ensure_can_urge``), ``Conflict``
    (not open; already urged today), ``Invalid`` (comment too long or not text)."""
    task, cycle = lock_task(work, actor, human_task_id, lead_sees=True)
    authz.ensure_can_urge(actor, task, task.party, cycle.lead_unit_id)
    ensure_open(task, Move.URGE.label)
    said = reason_of(comment, required=False, doing=Move.URGE.label)
    tz = work.runtime.config.tz
    start_of_day = datetime.combine(_working_day_of(work, work.now), datetime.min.time(), tz)
    if task.urged_at is not None and task.urged_at >= start_of_day:
        raise Conflict(f"“{task.step_name}”本工作日已经催办过了(每个环节每个工作日最多催办一次)")
    won = (
        work.session.connection()
        .execute(
            update(TASKS)
            .where(TASKS.c.id == task.id, or_(TASKS.c.urged_at.is_(None), TASKS.c.urged_at < start_of_day))
            .values(urge_count=TASKS.c.urge_count + 1, urged_at=work.now)
        )
        .rowcount
    )
    if won != 1:
        raise Conflict(f"“{task.step_name}”刚刚已被催办,请刷新后查看")
    work.session.refresh(task)
    audit.record(
        work,
        actor,
        "step.urged",
        cycle_id=task.cycle_id,
        human_task_id=task.id,
        step_id=task.step_id,
        unit_id=task.unit_id,
        data={"comment": said, "count": task.urge_count},
    )
    recipients = Recipients(work)
    people = list(recipients.unit(task.unit_id)) if task.unit_id is not None else []
    if task.party == Party.CO_UNIT:
        people += recipients.unit(cycle.lead_unit_id)
    words = texts.urged(
        subject_of(work, cycle_id=task.cycle_id),
        task.step_name,
        unit_name(work, task.unit_id),
        actor.unit_name or actor.role.label,
        task.urge_count,
        said or None,
    )
    notify(
        work,
        people,
        Notice.of(words, human_task_id=task.id, key_task_id=task.key_task_id, to_unit_id=task.unit_id),
    )
    return task


# -- 免报 ---------------------------------------------------------------------------------------


def waive_human_task(
    work: Work, actor: Actor, human_task_id: int, *, comment: object
) -> tuple[HumanTask, tuple[HumanTaskRef, ...]]:
    """免报 (supervisor): an open co-unit input is finished as waived, in the engine; its row ends
    with the outcome 免报 and the reason (required ``comment``), the consolidation page shows it
    so; when the other inputs are in, the next step opens. Returns (the step, the steps opened).
    Pending extension requests and declines of the step lapse. Audit: ``step.waived``. Notice to
    the unit and the lead unit.

    Raises ``NotFound``, ``Forbidden`` (not the supervisor), ``Invalid`` (no reason),
    ``Conflict`` (not open; not an input done per unit, which only may be waived)."""
    task, cycle = lock_task(work, actor, human_task_id)
    authz.ensure_can_waive(actor)
    opened = waive_locked(work, actor, task, cycle, comment=comment)
    work.session.refresh(task)
    return task, opened


def waive_locked(
    work: Work, actor: Actor, task: HumanTask, cycle: Cycle, *, comment: object
) -> tuple[HumanTaskRef, ...]:
    """``waive_human_task`` once the caller has locked the cycle and decided who may (a unit's
    disabling uses it too). Same changes and errors; returns the steps opened."""
    reason = reason_of(comment, required=True, doing=Move.WAIVE.label)
    _ensure_waivable(work, task, cycle)
    opened = settle_inputs(work, actor, cycle, [task], HumanTaskOutcome.WAIVED, reason)
    recipients = Recipients(work)
    people = [*recipients.unit(task.unit_id or 0), *recipients.unit_head(cycle.lead_unit_id)]
    words = texts.waived(
        subject_of(work, cycle_id=task.cycle_id), task.step_name, unit_name(work, task.unit_id), reason
    )
    notify(
        work,
        people,
        Notice.of(words, human_task_id=task.id, key_task_id=task.key_task_id, to_unit_id=task.unit_id),
    )
    return opened


def waivable(work: Work, task: HumanTask, cycle: Cycle) -> bool:
    """Whether the step is a co-unit's input done per unit (what 免报 applies to)."""
    definition = diagram_for_version(work, cycle.diagram_version_id).step(task.step_id)
    return definition.multi_instance and bool(definition.output_variable)


def _ensure_waivable(work: Work, task: HumanTask, cycle: Cycle) -> None:
    ensure_open(task, Move.WAIVE.label)
    if not waivable(work, task, cycle):
        raise Conflict(f"“{task.step_name}”不是责任单位分别报送的意见,不能免报(可转办或撤销本轮)")


# -- 转办 ---------------------------------------------------------------------------------------


def reassign_human_task(
    work: Work, actor: Actor, human_task_id: int, *, unit_id: object, comment: object, scope: object = "cycle"
) -> tuple[HumanTask, HumanTaskRef]:
    """转办 (supervisor): the open unit step goes to another active unit, in the engine (the
    instance's unit, or the lead unit first in the process's lead units); the old row ends as
    已转办 (its pending extension requests and declines lapse), a new row opens for the new unit
    with a fresh deadline counted from now by the step's rule (working days). ``scope``: ``cycle``
    (this round only) or ``key_task`` (the key task's own unit list changes too, for later
    rounds: the new unit takes the old one's part and place). ``comment`` (reason) required.
    Audit: ``step.reassigned``. Notices to the new unit and the old one. Returns (the old step,
    ended; the new one).

    Raises ``NotFound`` (step not visible; no such unit, field ``unit_id``), ``Forbidden`` (not
    the supervisor), ``Invalid`` (no reason; unit inactive or the same; scope not one of
    cycle|key_task), ``Conflict`` (the step is not open, or is not a unit's step; the unit already
    has the same step open in the cycle; a co-unit's input to the cycle's lead unit)."""
    task, cycle = lock_task(work, actor, human_task_id)
    authz.ensure_can_reassign(actor)
    new = reassign_locked(work, actor, task, cycle, unit_id=unit_id, comment=comment, scope=scope)
    work.session.refresh(task)
    return task, new


def reassign_locked(
    work: Work, actor: Actor, task: HumanTask, cycle: Cycle, *, unit_id: object, comment: object, scope: object
) -> HumanTaskRef:
    """``reassign_human_task`` once the caller has locked the cycle and decided who may (a
    decline's answer, a unit's disabling use it too). Same changes and errors."""
    reason = reason_of(comment, required=True, doing=Move.REASSIGN.label)
    if scope not in ReassignScope.labels():
        raise Invalid("scope 应为 cycle(仅本轮)或 key_task(本轮及以后各轮)", field="scope")
    ensure_open(task, Move.REASSIGN.label)
    if task.role != Assignee.UNIT or task.unit_id is None:
        raise Conflict(f"“{task.step_name}”不是单位的待办,不能转办")
    if isinstance(unit_id, bool) or not isinstance(unit_id, int):
        raise Invalid("请选择转办给哪个单位", field="unit_id")
    unit = work.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"单位 {unit_id} 不存在")
    if not unit.active:
        raise Invalid(f"“{unit.name}”已停用,不能转办给它", field="unit_id")
    if unit.id == task.unit_id:
        raise Invalid(f"“{task.step_name}”已由“{unit.name}”办理,请选择另一个单位", field="unit_id")
    _ensure_free(work, task, cycle, unit)
    old_unit = task.unit_id
    diagram = diagram_for_version(work, cycle.diagram_version_id)
    definition = diagram.step(task.step_id)
    lead_step = not definition.multi_instance
    run = load_run(work, cycle)
    before = run.ready_steps()
    deadline = work.runtime.deadline(definition, work.now)
    try:
        run.reassign(task.instance_id, unit.id, units_variable=LEAD_UNITS_VARIABLE if lead_step else None)
        if lead_step:
            run.move_deadline(task.instance_id, deadline.due_at)
    except StepNotReady:
        raise Conflict(f"“{task.step_name}”当前不在待办状态") from None
    except EngineError as exc:
        raise Conflict(f"不能转办: {exc.message}") from None
    # The old row keeps its history under another name: the engine's instance goes on in a new row.
    lapse_pending(work, cycle.id, [task.instance_id])
    work.session.connection().execute(
        update(TASKS).where(TASKS.c.id == task.id).values(instance_id=f"reassigned:{task.id}")
    )
    end_rows(work, [task.id], HumanTaskOutcome.REASSIGNED, actor, reason)
    if scope == ReassignScope.KEY_TASK:
        _move_part(work, task.key_task_id, old_unit, unit.id)
    event = audit.Entry(
        actor,
        "step.reassigned",
        cycle_id=cycle.id,
        human_task_id=task.id,
        step_id=task.step_id,
        unit_id=old_unit,
        data={"from_unit": old_unit, "to_unit": unit.id, "scope": scope, "comment": reason},
    )
    others = tuple(s for s in before if s.instance_id != task.instance_id)
    opened = save(work, cycle, run, others, (), event, lead_unit_id=unit.id if lead_step else None)
    (new,) = [o for o in opened if o.step_id == task.step_id]
    work.session.connection().execute(
        update(TASKS)
        .where(TASKS.c.id == new.id)
        .values(due_at=deadline.due_at, yellow_at=deadline.yellow_at, due_basis=deadline.basis.label)
    )
    if lead_step:
        work.session.connection().execute(update(CYCLES).where(CYCLES.c.id == cycle.id).values(lead_unit_id=unit.id))
        work.session.expire(cycle)
    recipients = Recipients(work)
    subject = subject_of(work, cycle_id=task.cycle_id)
    tz = work.runtime.config.tz
    to = texts.reassigned_to(subject, task.step_name, unit_name(work, old_unit), deadline.due_at, tz, reason)
    away = texts.reassigned_from(
        subject, task.step_name, unit.name, reason, later_rounds=scope == ReassignScope.KEY_TASK
    )
    refs = {"human_task_id": new.id, "key_task_id": task.key_task_id}
    notify_many(
        work,
        [
            (recipients.unit(unit.id), Notice.of(to, to_unit_id=unit.id, **refs)),
            (recipients.unit_head(old_unit) if old_unit else (), Notice.of(away, to_unit_id=old_unit, **refs)),
        ],
    )
    return HumanTaskRef(
        id=new.id,
        cycle_id=new.cycle_id,
        step_id=new.step_id,
        step_name=new.step_name,
        party=new.party,
        role=new.role,
        unit_id=new.unit_id,
        due_at=deadline.due_at,
    )


def _ensure_free(work: Work, task: HumanTask, cycle: Cycle, unit: Unit) -> None:
    """A step never goes to a unit that already has the same step open in the cycle (a co-unit
    giving its input would give two), and a co-unit's input never goes to the cycle's lead unit
    (the lead unit consolidates the inputs; it gives itself none). Conflict (409) naming the unit."""
    if task.party == Party.CO_UNIT and unit.id == cycle.lead_unit_id:
        raise Conflict(f"“{unit.name}”是本任务的牵头单位,不能把责任单位的“{task.step_name}”转办给它")
    duplicate = work.session.scalar(
        select(HumanTask.id).where(
            HumanTask.cycle_id == cycle.id,
            HumanTask.step_id == task.step_id,
            HumanTask.unit_id == unit.id,
            HumanTask.state == HumanTaskState.OPEN,
            HumanTask.id != task.id,
        )
    )
    if duplicate is not None:
        raise Conflict(f"“{unit.name}”在本轮已有待办的“{task.step_name}”,不能再转办给它")


def _move_part(work: Work, key_task_id: int, old_unit: int, new_unit: int) -> None:
    """The key task's unit list: the new unit takes the old one's part and place (or, if it is
    already listed, the old one just leaves)."""
    old = work.session.get(KeyTaskUnit, (key_task_id, old_unit))
    if old is None:
        return
    part, position = old.part, old.position
    present = work.session.scalar(
        select(KeyTaskUnit.unit_id).where(KeyTaskUnit.key_task_id == key_task_id, KeyTaskUnit.unit_id == new_unit)
    )
    work.session.execute(
        delete(KeyTaskUnit).where(KeyTaskUnit.key_task_id == key_task_id, KeyTaskUnit.unit_id == old_unit)
    )
    if present is None:
        work.session.add(KeyTaskUnit(key_task_id=key_task_id, unit_id=new_unit, part=part, position=position))
    work.session.flush()

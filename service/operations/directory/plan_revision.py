"""Applying a revision of a plan (a changed version of its file) to the same key tasks.

A draft is simply replaced (it has no cycles). A published or archived plan keeps its key tasks:
matched ones are updated in place (number, text, units, targets, their imported indicators),
new ones are added, removed ones retired (``active`` false) and their running cycles cancelled
(撤销, with the reason). Running cycles of key tasks whose units change keep their units unless
``apply_to_running``: then their open steps of units that left go to the units that came (转办, in
the engine), co-unit inputs with nobody to take them over are waived (免报), and a new primary
lead takes the cycle's later lead steps. All in the caller's one transaction; the revision number
moves on with a compare-and-set, so a confirm racing another gets Conflict (409).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, delete, select, update

from db.models import Cycle, HumanTask, Indicator, KeyTask, KeyTaskUnit, Plan, PlanRevision, Unit

from ...errors import Conflict
from ...plans.model import ParsedPlan, Target
from ...runtime import Work
from ...vocabulary import (
    Assignee,
    Comparator,
    CycleStatus,
    HumanTaskOutcome,
    HumanTaskState,
    IndicatorSource,
    PlanStatus,
    TaskRevision,
    UnitPart,
)
from ..common import audit, authz
from ..common.actor import Actor
from ..cycles.moves import cancel_cycle, save, settle_inputs
from ..cycles.projection import load_run, lock_cycle
from ..supervision.step_moves import reassign_locked
from ..year.indicators import MAX_MEASURE, MAX_NAME, indicator_from_target
from .plan_diff import RevisionPreview, TaskChange
from .plan_write import resolve_unit, write_tasks, write_units


def revise_plan(
    work: Work,
    actor: Actor,
    plan: Plan,
    parsed: ParsedPlan,
    preview: RevisionPreview,
    *,
    expected_revision: int | None,
    apply_to_running: bool,
    write_indicators: Any,
) -> int:
    """Applies ``preview`` (made from ``parsed`` against ``plan`` in this transaction) and returns
    the plan's new revision number. ``write_indicators(work, plan, written)`` makes a draft's
    indicators afresh as the import does (its key tasks' targets and the plan's 主要目标).

    Raises Forbidden (not the office or an admin; cancelling or reassigning running cycles is the
    supervisor's), Conflict (the plan was revised meanwhile: ``expected_revision`` is not its
    revision any more)."""
    authz.ensure_can_import_plans(actor, "修订计划")
    session = work.session
    removed_running = [c for t in preview.tasks if t.kind == TaskRevision.REMOVED for c in t.running_cycles]
    if removed_running:
        authz.ensure_can_cancel_cycle(actor)
    if apply_to_running and preview.running_affected:
        authz.ensure_can_reassign(actor)
    expected = preview.revision if expected_revision is None else expected_revision
    # Compare-and-set: of two confirmations of revisions of one plan, one wins.
    plans = cast(Table, Plan.__table__)
    moved = (
        session.connection()
        .execute(
            update(plans)
            .where(plans.c.id == plan.id, plans.c.revision == expected)
            .values(
                revision=plans.c.revision + 1,
                source_name=parsed.source_name,
                source_sha256=parsed.source_sha256,
                sections=[s.to_json() for s in parsed.sections],
            )
        )
        .rowcount
    )
    if moved != 1:
        raise Conflict(f"计划《{plan.title}》刚刚已被修订(或已不是预览时的版本),请重新上传预览后再确认")
    session.refresh(plan)
    reason = f"计划修订(第{plan.revision}版)"
    if plan.status == PlanStatus.DRAFT:
        _replace_draft(work, plan, parsed, write_indicators)
    else:
        _apply(work, actor, plan, preview, reason, apply_to_running)
    changes = preview.as_json()
    session.add(
        PlanRevision(
            plan_id=plan.id,
            revision=plan.revision,
            source_name=parsed.source_name,
            source_sha256=parsed.source_sha256,
            revised_at=work.now,
            revised_by_id=actor.user_id,
            applied_to_running=apply_to_running,
            changes=changes,
        )
    )
    session.flush()
    audit.record(
        work,
        actor,
        "plan.revised",
        data={
            "plan_id": plan.id,
            "revision": plan.revision,
            "status": str(plan.status),
            "source": parsed.source_name,
            "sha256": parsed.source_sha256,
            "apply_to_running": apply_to_running,
            "counts": changes["counts"],
        },
    )
    return plan.revision


def _replace_draft(work: Work, plan: Plan, parsed: ParsedPlan, write_indicators: Any) -> None:
    """A draft has no cycles: its key tasks and indicators are written afresh."""
    session = work.session
    ids = list(session.scalars(select(KeyTask.id).where(KeyTask.plan_id == plan.id)))
    session.execute(delete(Indicator).where(Indicator.plan_id == plan.id))
    if ids:
        session.execute(delete(KeyTaskUnit).where(KeyTaskUnit.key_task_id.in_(ids)))
        session.execute(delete(KeyTask).where(KeyTask.id.in_(ids)))
    session.flush()
    session.expire(plan)
    written = write_tasks(work, plan, parsed.tasks)
    write_indicators(work, plan, written)


def _apply(
    work: Work,
    actor: Actor,
    plan: Plan,
    preview: RevisionPreview,
    reason: str,
    apply_to_running: bool,
) -> None:
    session = work.session
    kept = {t.key_task_id: t for t in preview.tasks if t.key_task_id is not None and t.new is not None}
    removed = [t for t in preview.tasks if t.kind == TaskRevision.REMOVED]
    new_numbers = {t.new.number for t in preview.tasks if t.new is not None}
    tasks = {k.id: k for k in session.scalars(select(KeyTask).where(KeyTask.plan_id == plan.id))}
    # Numbers are unique in a plan: park the ones that move (and retired ones in a new task's way).
    retired_numbers = {k.number for k in tasks.values() if k.id not in kept}
    for key_task in tasks.values():
        change = kept.get(key_task.id)
        moving = change is not None and change.new is not None and change.new.number != key_task.number
        if moving or (change is None and key_task.number in new_numbers):
            key_task.number = -key_task.id
    session.flush()
    last = max([*new_numbers, *retired_numbers, 0])
    for key_task in tasks.values():
        if key_task.number < 0 and key_task.id not in kept:
            last += 1
            key_task.number = last  # a retired task keeps a number after every current one
    by_name = {u.name: u for u in session.scalars(select(Unit))}
    for key_task_id, change in kept.items():
        assert change.new is not None
        _update(work, tasks[key_task_id], change, by_name)
    session.flush()
    added = [t.new for t in preview.tasks if t.kind == TaskRevision.ADDED and t.new is not None]
    if added:
        written = write_tasks(work, plan, added)
        _add_indicators(work, plan, written)
    for change in removed:
        key_task = tasks[change.key_task_id or 0]
        key_task.active = False
        # Its indicators go with it (they would count in 序时进度 and the statistics otherwise).
        session.execute(
            update(Indicator)
            .where(Indicator.key_task_id == key_task.id, Indicator.active.is_(True))
            .values(active=False, retired_at=work.now, retire_reason=f"{reason}删除了该重点任务")
            .execution_options(synchronize_session=False)
        )
        session.flush()
        for cycle_id in change.running_cycles:
            cancel_cycle(work, actor, cycle_id, comment=f"{reason}删除了重点任务{change.old_number}「{change.title}」")
    if apply_to_running:
        for change in kept.values():
            if change.units_changed or "primary_lead" in change.fields:
                for cycle_id in change.running_cycles:
                    _apply_to_cycle(work, actor, cycle_id, change, by_name, reason)


def _update(work: Work, key_task: KeyTask, change: TaskChange, by_name: dict[str, Unit]) -> None:
    new = change.new
    assert new is not None
    key_task.number = new.number
    key_task.section = new.section
    key_task.title = new.title
    key_task.body = new.body
    key_task.lead_units_text = "、".join(new.lead_units)
    key_task.co_units_text = "、".join(new.co_units)
    key_task.targets = [t.to_json() for t in new.targets]
    key_task.deadline_text = new.deadline.text if new.deadline else None
    key_task.deadline_date = new.deadline.date if new.deadline else None
    if change.units_changed or "primary_lead" in change.fields:
        work.session.execute(delete(KeyTaskUnit).where(KeyTaskUnit.key_task_id == key_task.id))
        work.session.flush()
        work.session.expire(key_task, ["units"])
        write_units(work, key_task.id, new, by_name)
    if change.targets_added or change.targets_removed:
        _revise_indicators(work, key_task, new.targets)


def _lead_of(work: Work, key_task_id: int) -> int | None:
    return work.session.scalar(
        select(KeyTaskUnit.unit_id)
        .where(KeyTaskUnit.key_task_id == key_task_id, KeyTaskUnit.part == UnitPart.LEAD)
        .order_by(KeyTaskUnit.position)
        .limit(1)
    )


def _add_indicators(work: Work, plan: Plan, written: list[tuple[KeyTask, tuple[Target, ...]]]) -> None:
    for key_task, targets in written:
        lead = _lead_of(work, key_task.id)
        for position, target in enumerate(targets):
            work.session.add(indicator_from_target(work, plan.id, key_task.id, position, target, lead))
    work.session.flush()


def _revise_indicators(work: Work, key_task: KeyTask, targets: tuple[Target, ...]) -> None:
    """The key task's imported indicators follow its targets: one of the same name takes the new
    figure (its reported values stay with it), a target that is new adds one, an imported
    indicator whose target went is retired with the reason. Indicators the office added by hand
    are left alone."""
    session = work.session
    current = {
        i.name: i
        for i in session.scalars(
            select(Indicator).where(
                Indicator.key_task_id == key_task.id,
                Indicator.source == IndicatorSource.IMPORTED,
                Indicator.active.is_(True),
            )
        )
    }
    lead = _lead_of(work, key_task.id)
    seen: set[str] = set()
    for position, target in enumerate(targets):
        name = target.indicator[:MAX_NAME]
        seen.add(name)
        indicator = current.get(name)
        if indicator is None:
            session.add(indicator_from_target(work, key_task.plan_id, key_task.id, position, target, lead))
            continue
        if (indicator.target, indicator.comparator, indicator.source_text) != (
            float(target.value),
            Comparator(target.comparator),
            target.text,
        ):
            indicator.target = float(target.value)
            indicator.comparator = Comparator(target.comparator)
            indicator.measure = target.unit[:MAX_MEASURE]
            indicator.source_text = target.text
            indicator.updated_at = work.now
    for name, indicator in current.items():
        if name not in seen:
            indicator.active = False
            indicator.retired_at = work.now
            indicator.retire_reason = "计划修订删除了该目标"
    session.flush()


def _apply_to_cycle(
    work: Work, actor: Actor, cycle_id: int, change: TaskChange, by_name: dict[str, Unit], reason: str
) -> None:
    """A running cycle takes the key task's new units: open steps of units that left go to units
    that came, in the same part and order (转办); co-unit inputs nobody takes over are waived
    (免报); a new primary lead takes the cycle's later lead steps."""
    session = work.session
    ids = {name: unit.id for name, unit in by_name.items()}
    new_lead = ids.get(change.new.lead_units[0]) if change.new and change.new.lead_units else None
    if new_lead is None and change.new and change.new.lead_units:
        new_lead = resolve_unit(by_name, change.new.lead_units[0], work).id
    gone_leads = {ids[n] for n in change.leads_removed if n in ids}
    gone_co = {ids[n] for n in change.co_removed if n in ids}
    newcomers = [ids[n] for n in change.co_added if n in ids]
    cycle = lock_cycle(work, cycle_id)
    if cycle.status != CycleStatus.RUNNING:
        return
    cycle_key_task = cycle.key_task_id
    open_rows = list(
        session.scalars(
            select(HumanTask)
            .where(
                HumanTask.cycle_id == cycle_id, HumanTask.state == HumanTaskState.OPEN, HumanTask.role == Assignee.UNIT
            )
            .order_by(HumanTask.id)
        )
    )
    waiting = {t.unit_id for t in open_rows}
    for task in open_rows:
        if task.unit_id == cycle.lead_unit_id and new_lead is not None and new_lead != task.unit_id:
            target: int | None = new_lead
        elif task.unit_id in gone_leads and new_lead is not None:
            target = new_lead
        elif task.unit_id in gone_co:
            target = next((u for u in newcomers if u not in waiting), None)
        else:
            continue
        cycle = lock_cycle(work, cycle_id)
        if target is not None:
            waiting.add(target)
            reassign_locked(work, actor, task, cycle, unit_id=target, comment=reason, scope="cycle")
        else:
            settle_inputs(work, actor, cycle, [task], HumanTaskOutcome.WAIVED, reason)
    if new_lead is not None:
        session.execute(
            update(Cycle)
            .where(Cycle.id == cycle_id)
            .values(lead_unit_id=new_lead)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    # The steps still to come (a co-unit input not yet open, later lead steps) take the new lists.
    parts = session.execute(
        select(KeyTaskUnit.unit_id, KeyTaskUnit.part)
        .where(KeyTaskUnit.key_task_id == cycle_key_task)
        .order_by(KeyTaskUnit.part, KeyTaskUnit.position)
    ).all()
    leads = [u for u, part in parts if part == UnitPart.LEAD]
    cos = [u for u, part in parts if part == UnitPart.CO and u not in leads]
    cycle = lock_cycle(work, cycle_id)
    run = load_run(work, cycle)
    before = run.ready_steps()
    run.set_units({"lead_units": leads, "co_units": cos})
    event = audit.Entry(
        actor, "cycle.units_changed", cycle_id=cycle_id, data={"lead_units": leads, "co_units": cos, "comment": reason}
    )
    save(work, cycle, run, before, (), event)

"""The moves off the happy path that change a cycle's process (issue 11), and what they share.

Each is a process operation in the engine (``CycleRun.settle``, ``reassign``, ``withdraw``,
``cancel``), done with the cycle's row locked; the human-task rows follow through ``store``, as
after a completion. A step that ends without a submission keeps its row, in state ``cancelled``
with its ``outcome`` (免报, 逾期未报, 已转办, 已撤销, 已撤回: ``HumanTaskOutcome``).

Here: 撤销 (``cancel_cycle``), 截止汇总 (``close_inputs``), 撤回 (``withdraw_human_task``), and
``settle_inputs`` (免报 and 截止汇总 both finish co-unit inputs without them). The supervision
office's moves on one step (催办, 免报, 转办, 退回交办) are in ``supervision/step_moves.py`` and
``supervision/declines.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, select, update

from db.models import Cycle, CycleStatus, HumanTask, HumanTaskState
from workflows import CycleTooDeep, EngineError, FiredTimer, NotWithdrawable, ReadyStep, StepNotReady
from workflows.forms import MAX_COMMENT

from ...errors import BadDiagram, Conflict, Invalid
from ...runtime import Work
from ...vocabulary import HumanTaskOutcome, Move, Party
from ..common import audit, authz
from ..common import notice_texts as texts
from ..common.actor import Actor
from ..common.notifications import Notice, Recipients, notify, subject_of, unit_name
from .projection import CycleRef, HumanTaskRef, load_run, lock_cycle, store

TASKS = cast(Table, HumanTask.__table__)
CYCLES = cast(Table, Cycle.__table__)


@dataclass(frozen=True)
class CycleMove:
    """What a move on a whole cycle did: its status now and the human tasks it ended."""

    cycle_id: int
    status: str
    ended: tuple[int, ...]


def reason_of(value: object, *, required: bool, doing: str, field: str = "comment") -> str | None:
    """A move's reason (``comment``): trimmed text of at most ``MAX_COMMENT`` characters; required
    where the issue says so (免报, 转办, 退回交办, 撤销, 维持交办). Raises ``Invalid`` (field)."""
    if value is not None and not isinstance(value, str):
        raise Invalid(f"{field} 应为文字", field=field)
    text = (value or "").strip()
    if required and not text:
        raise Invalid(f"请填写{doing}的理由", field=field)
    if len(text) > MAX_COMMENT:
        raise Invalid(f"理由不能超过 {MAX_COMMENT} 字", field=field)
    return text or None


def lock_task(work: Work, actor: Actor, human_task_id: int, *, lead_sees: bool = False) -> tuple[HumanTask, Cycle]:
    """The human task and its cycle, the cycle locked (``SELECT … FOR UPDATE``) and the task read
    again under the lock. Raises ``NotFound`` (404) for a step the actor may not see, as for a
    missing one; with ``lead_sees`` the cycle's lead unit sees its co-units' steps (催办)."""
    task = work.session.get(HumanTask, human_task_id)
    if task is None:
        raise authz.step_not_found(human_task_id)
    cycle = lock_cycle(work, task.cycle_id)
    seen = authz.sees_human_task(actor, task.unit_id) or (
        lead_sees and authz.sees_step_content(actor, task.unit_id, cycle.lead_unit_id)
    )
    if not seen:
        raise authz.step_not_found(human_task_id)
    work.session.refresh(task)
    return task, cycle


def ensure_open(task: HumanTask, doing: str) -> None:
    """Conflict (409) unless the step is open: done, or ended another way, it says which."""
    if task.state == HumanTaskState.OPEN:
        return
    if task.outcome:
        raise Conflict(f"“{task.step_name}”已按“{HumanTaskOutcome.label_of(task.outcome)}”结束,不能再{doing}")
    raise Conflict(f"“{task.step_name}”已经办理完毕,不能再{doing}")


def end_rows(work: Work, ids: Sequence[int], outcome: HumanTaskOutcome, actor: Actor, comment: str | None) -> int:
    """Ends open human tasks without a submission (state cancelled, with ``outcome``, by whom, why).
    Returns how many were still open (a row done meanwhile is left as it is)."""
    if not ids:
        return 0
    return (
        work.session.connection()
        .execute(
            update(TASKS)
            .where(TASKS.c.id.in_(list(ids)), TASKS.c.state == HumanTaskState.OPEN)
            .values(
                state=HumanTaskState.CANCELLED,
                outcome=outcome,
                completed_at=work.now,
                completed_by_id=actor.user_id,
                comment=comment,
            )
        )
        .rowcount
    )


def save(
    work: Work,
    cycle: Cycle,
    run: object,
    before: tuple[ReadyStep, ...],
    fired: tuple[FiredTimer, ...],
    event: audit.Entry,
    *,
    lead_unit_id: int | None = None,
) -> tuple[HumanTaskRef, ...]:
    """Stores a run changed by a move (``store``), with its audit event; returns the human tasks
    that opened. ``lead_unit_id`` gives new lead-unit steps to another unit (转办 of the lead)."""
    ref = CycleRef(
        id=cycle.id,
        key_task_id=cycle.key_task_id,
        lead_unit_id=lead_unit_id or cycle.lead_unit_id,
        version=cycle.version,
        status=cycle.status.value,
    )
    opened, _closed = store(work, ref, run, before=before, fired=fired, event=event)  # type: ignore[arg-type]
    work.session.expire(cycle)
    return opened


def settle_inputs(
    work: Work, actor: Actor, cycle: Cycle, tasks: Sequence[HumanTask], outcome: HumanTaskOutcome, comment: str | None
) -> tuple[HumanTaskRef, ...]:
    """Finishes open co-unit inputs without them (免报 or 逾期未报), in the engine (``settle``): the
    rows end with ``outcome``, and when the rest are in the next step opens (returned). Audited as
    ``step.waived`` / ``step.missed``, one event per step. Raises Conflict (a step not waiting,
    or not an input done per unit), BadDiagram (the diagram fails on the way)."""
    run = load_run(work, cycle)
    before = run.ready_steps()
    try:
        fired = run.settle([t.instance_id for t in tasks], {"outcome": outcome.value, "comment": comment}, work.now)
    except StepNotReady:
        raise Conflict("该环节当前不在待办状态,请刷新后查看") from None
    except CycleTooDeep as exc:
        raise Conflict(exc.message) from None
    except EngineError as exc:
        raise Conflict(f"不能{outcome.label}: {exc.message}") from None
    end_rows(work, [t.id for t in tasks], outcome, actor, comment)
    action = "step.waived" if outcome is HumanTaskOutcome.WAIVED else "step.missed"
    events = [
        audit.Entry(
            actor,
            action,
            cycle_id=cycle.id,
            human_task_id=t.id,
            step_id=t.step_id,
            unit_id=t.unit_id,
            data={"comment": comment},
        )
        for t in tasks
    ]
    audit.append(work, events[:-1])
    return save(work, cycle, run, before, fired, events[-1])


# -- 撤销: calling a cycle off ------------------------------------------------------------------


def cancel_cycle(work: Work, actor: Actor, cycle_id: int, *, comment: object) -> CycleMove:
    """撤销 (supervisor): the cycle's process is cancelled in the engine; every open step ends with
    the outcome 已撤销, its timers go with it, pending extension requests and declines lapse
    (已失效); the cycle's status becomes ``cancelled`` (the ledger shows 已撤销), ``closed_at`` now.
    ``comment`` (the reason) is required. Audit: ``cycle.cancelled``. Notice to the units that had
    open steps and the lead unit's head.

    Raises ``NotFound`` (no such cycle, or not visible), ``Forbidden`` (not the supervisor),
    ``Invalid`` (no reason, field ``comment``), ``Conflict`` (the cycle already closed or
    cancelled, or changed meanwhile)."""
    authz.ensure_sees_cycle(work.session, actor, cycle_id)
    authz.ensure_can_cancel_cycle(actor)
    reason = reason_of(comment, required=True, doing=Move.CANCEL.label)
    cycle = lock_cycle(work, cycle_id)
    if cycle.status != CycleStatus.RUNNING:
        raise Conflict(f"办理周期 #{cycle_id} {cycle.status.label},不能撤销")
    open_rows = tuple(
        work.session.scalars(
            select(HumanTask).where(HumanTask.cycle_id == cycle_id, HumanTask.state == HumanTaskState.OPEN)
        )
    )
    run = load_run(work, cycle)
    before = run.ready_steps()
    run.cancel(work.now)
    end_rows(work, [t.id for t in open_rows], HumanTaskOutcome.CANCELLED, actor, reason)
    event = audit.Entry(
        actor, "cycle.cancelled", cycle_id=cycle_id, data={"comment": reason, "open_steps": [t.id for t in open_rows]}
    )
    save(work, cycle, run, before, (), event)
    recipients = Recipients(work)
    people = [p for t in open_rows for p in recipients.assignee(t.unit_id, t.role)]
    words = texts.cancelled(subject_of(work, cycle_id=cycle.id), reason)
    notify(
        work,
        [*people, *recipients.unit_head(cycle.lead_unit_id)],
        Notice.of(words, key_task_id=cycle.key_task_id, to_unit_id=cycle.lead_unit_id),
    )
    work.session.refresh(cycle)
    return CycleMove(cycle.id, cycle.status.value, tuple(t.id for t in open_rows))


# -- 截止汇总: closing the round of inputs at their deadline -----------------------------------------


def close_inputs(work: Work, actor: Actor, cycle_id: int, *, comment: object = None) -> CycleMove:
    """截止汇总 (the lead unit's head): once the co-unit inputs' deadline has passed, the inputs
    still open end as 逾期未报 (kept against those units: the rows stay, outcome ``missed``) and
    the process goes on: 汇总报送 opens with what arrived. A late input afterwards is refused
    (409, saying it ended as 逾期未报). Audit: ``step.missed`` per input. Notice to the units whose
    inputs closed.

    Raises ``NotFound`` (cycle not visible), ``Forbidden`` (not the lead unit's head),
    ``Conflict`` (no open inputs, or their deadline has not passed yet: it says when)."""
    authz.ensure_sees_cycle(work.session, actor, cycle_id)
    cycle = lock_cycle(work, cycle_id)
    authz.ensure_can_close_inputs(actor, cycle.lead_unit_id)
    reason = reason_of(comment, required=False, doing=Move.CLOSE_INPUTS.label)
    if cycle.status != CycleStatus.RUNNING:
        raise Conflict(f"办理周期 #{cycle_id} {cycle.status.label},无需截止汇总")
    inputs = tuple(
        work.session.scalars(
            select(HumanTask)
            .where(
                HumanTask.cycle_id == cycle_id,
                HumanTask.state == HumanTaskState.OPEN,
                HumanTask.party == Party.CO_UNIT,
            )
            .order_by(HumanTask.id)
        )
    )
    if not inputs:
        raise Conflict("没有尚未报送的责任单位意见,无需截止汇总")
    due = max(t.due_at for t in inputs)
    if work.now <= due:
        local = due.astimezone(work.runtime.config.tz)
        raise Conflict(f"责任单位意见的期限 {local:%Y-%m-%d %H:%M} 尚未到,到期后才能截止汇总")
    opened = settle_inputs(work, actor, cycle, inputs, HumanTaskOutcome.MISSED, reason)
    recipients = Recipients(work)
    missing = [unit_name(work, t.unit_id) for t in inputs]
    words = texts.inputs_closed(subject_of(work, cycle_id=cycle.id), inputs[0].step_name, missing, reason or None)
    notify(
        work,
        [p for t in inputs for p in recipients.unit_head(t.unit_id or 0)],
        Notice.of(words, human_task_id=opened[0].id if opened else None, key_task_id=cycle.key_task_id),
    )
    work.session.refresh(cycle)
    return CycleMove(cycle.id, cycle.status.value, tuple(t.id for t in inputs))


# -- 撤回: a unit takes its submission back ---------------------------------------------------------


def withdraw_human_task(work: Work, actor: Actor, human_task_id: int) -> HumanTask:
    """撤回 (the step's own unit, who could have done it): a done step is made ready again in the
    engine while the step after it has not been acted on; the steps opened after it end as
    已撤回, the row is open again (what was submitted stays in it, so the form opens filled in),
    its deadline is the one it had. Audit: ``step.withdrawn``. Returns the step, open again.

    Raises ``NotFound`` (not visible), ``Forbidden`` (another unit's, or a role's step),
    ``Conflict`` (not done, the next step was acted on, the cycle ended: the engine says which)."""
    task, cycle = lock_task(work, actor, human_task_id)
    authz.ensure_can_withdraw(actor, task, work.runtime.config)
    if task.state != HumanTaskState.DONE:
        raise Conflict(f"“{task.step_name}”尚未办理,无需撤回")
    if cycle.status != CycleStatus.RUNNING:
        raise Conflict(f"本办理周期{cycle.status.label},不能撤回")
    run = load_run(work, cycle)
    before = run.ready_steps()
    try:
        step = run.withdraw(task.instance_id, work.now)
    except NotWithdrawable as exc:
        raise Conflict(exc.message) from None
    except EngineError as exc:
        raise BadDiagram(f"流程无法撤回: {exc.message}", element=exc.element) from None
    now_ready = {s.instance_id for s in run.ready_steps()}
    dropped = work.session.scalars(
        select(HumanTask.id).where(
            HumanTask.cycle_id == cycle.id,
            HumanTask.state == HumanTaskState.OPEN,
            HumanTask.instance_id.in_([s.instance_id for s in before if s.instance_id not in now_ready]),
        )
    ).all()
    end_rows(work, dropped, HumanTaskOutcome.WITHDRAWN, actor, None)
    work.session.connection().execute(
        update(TASKS)
        .where(TASKS.c.id == task.id)
        .values(state=HumanTaskState.OPEN, completed_at=None, completed_by_id=None, decision=None)
    )
    event = audit.Entry(
        actor,
        "step.withdrawn",
        cycle_id=cycle.id,
        human_task_id=task.id,
        step_id=task.step_id,
        unit_id=task.unit_id,
        data={"dropped": list(dropped)},
    )
    # The step is ready again under its own instance id: its row is reopened, not inserted.
    save(work, cycle, run, (*before, step), (), event)
    _tell_withdrawn(work, actor, task, dropped)
    work.session.refresh(task)
    return task


def _tell_withdrawn(work: Work, actor: Actor, task: HumanTask, dropped: Sequence[int]) -> None:
    """Whoever had the steps that ended with a 撤回 (the office's 审核, the lead unit's 汇总报送)
    hears that the work was taken back and will come again."""
    if not dropped:
        return
    recipients = Recipients(work)
    ended = work.session.scalars(select(HumanTask).where(HumanTask.id.in_(dropped))).all()
    people = [p for t in ended for p in recipients.assignee(t.unit_id, t.role)]
    by = actor.unit_name or unit_name(work, task.unit_id)
    words = texts.withdrawn(subject_of(work, cycle_id=task.cycle_id), task.step_name, by)
    notify(work, people, Notice.of(words, human_task_id=task.id, key_task_id=task.key_task_id))

"""Completing a human task: the hot path of the product.

Every change to a cycle happens with the cycle's row locked (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already holds the database's write lock), so completions
of different steps of one cycle queue up and all succeed, while a second completion of the same
step finds it done and gets a clear conflict. The version counter on the row is a second guard.

Completing a step is the hot path of the product, so it talks to the database through SQLAlchemy
Core on the session's connection: one read (step and cycle together), one update of each, an
insert only when new steps open, and the audit event. The human-task projection is kept in step
by comparing the engine's ready steps before and after, not by reading the rows back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, func, select, update

from db.models import (
    Cycle,
    HumanTask,
    HumanTaskState,
)
from workflows import (
    CycleTooDeep,
    Diagram,
    EngineError,
    FormError,
    StepNotReady,
    validate_submission,
)

from ...errors import BadDiagram, Conflict, Invalid
from ...runtime import Work
from ...vocabulary import HumanTaskOutcome
from ..common import audit, authz
from ..common.actor import Actor
from ..year.progress import check_progress, record_progress
from .diagrams import diagram_for_version
from .handoffs import HandOff, tell_hand_off
from .projection import CycleRef, HumanTaskRef, human_task_ref, loaded, store
from .rework import carry_over

TASKS = cast(Table, HumanTask.__table__)
CYCLES = cast(Table, Cycle.__table__)


# The hot path's statements, built once (building them per call costs more than running them).
_READ_STEP = (
    select(
        TASKS,
        CYCLES.c.state.label("cycle_state"),
        CYCLES.c.state_format.label("cycle_state_format"),
        CYCLES.c.version.label("cycle_version"),
        CYCLES.c.status.label("cycle_status"),
        CYCLES.c.diagram_version_id,
        CYCLES.c.lead_unit_id,
        CYCLES.c.round,
    )
    .select_from(TASKS.join(CYCLES, CYCLES.c.id == TASKS.c.cycle_id))
    .where(TASKS.c.id == bindparam("task_id"))
    # Both rows: a completion that waited for the lock then reads the step as the winner left it.
    .with_for_update(of=[CYCLES, TASKS])
)
_MARK_DONE = (
    update(TASKS)
    .where(TASKS.c.id == bindparam("task_id"), TASKS.c.state == HumanTaskState.OPEN)
    .values(
        state=HumanTaskState.DONE,
        completed_at=bindparam("at", type_=TASKS.c.completed_at.type),
        completed_by_id=bindparam("by", type_=TASKS.c.completed_by_id.type),
        decision=bindparam("chosen", type_=TASKS.c.decision.type),
        comment=bindparam("said", type_=TASKS.c.comment.type),
        data=bindparam("fields", type_=TASKS.c.data.type),
    )
)


@dataclass(frozen=True)
class Completion:
    """What completing a human task did: the task (now done), the decision taken, the human tasks
    that opened because of it (each with its due instant, aware), and whether the cycle closed."""

    task: HumanTaskRef
    cycle_id: int
    decision: str | None
    opened: tuple[HumanTaskRef, ...]  # steps that became ready because of this one
    closed: bool  # the cycle ended with this step
    decision_label: str | None = None  # the diagram's label of the decision ("退回")


def complete_human_task(
    work: Work,
    actor: Actor,
    human_task_id: int,
    *,
    data: object = None,
    decision: object = None,
    comment: object = None,
    progress: object = None,
) -> Completion:
    """Completes one open human task as ``actor``, at ``work.now``, in the caller's transaction.

        ``data`` is the step's form (a mapping of field name to value, checked against the diagram's
        fields), ``decision`` one of the step's decision values (required when the step decides),
        ``comment`` free text (required by decisions that demand it). Untrusted input: everything is
        checked before anything is written.

        Changes: the human task becomes done (when, by whom, decision, comment, data); the cycle's
        stored state moves on (its version grows by one; timers due by now fire first and are audited
        as ``step.overdue``); human tasks whose steps are no longer ready are cancelled, steps newly
        ready get open human tasks with deadlines from ``service/deadlines.py``; the cycle closes when
        the process ends. Audit: ``step.completed`` (and ``cycle.closed``). Notices: the people of every
    step it opened (a 退回/驳回 says so), the lead unit when the cycle closed (``handoffs.py``).
    Flushes, never commits.

        Raises ``NotFound`` (no such human task), ``Forbidden`` (authz.ensure_can_act: another unit's
        step, another role's, or a head's step by staff), ``Invalid`` with ``field`` (a form field, the
        decision or the comment), ``Conflict`` (already done, no longer ready, completed meanwhile by
        someone else, the cycle's state unreadable or too deep, or [engine] max_returns reached),
        ``BadDiagram`` (the diagram fails on the way to its next steps)."""
    conn = work.session.connection()
    # Read the step with its cycle locked: what we read is what it is while we hold the cycle.
    row = conn.execute(_READ_STEP, {"task_id": human_task_id}).first()
    if row is None:
        raise authz.step_not_found(human_task_id)
    if not authz.sees_human_task(actor, row.unit_id):
        raise authz.step_not_found(human_task_id)
    authz.ensure_can_act(actor, row, work.runtime.config)
    if row.state != HumanTaskState.OPEN.value:
        when = (
            row.completed_at.astimezone(work.runtime.config.tz).strftime("%Y-%m-%d %H:%M") if row.completed_at else ""
        )
        if row.outcome:  # ended without a submission: 免报, 逾期未报 (截止汇总), 转办, 撤销
            ended = HumanTaskOutcome.label_of(row.outcome)
            raise Conflict(f"“{row.step_name}”已按“{ended}”结束{('(' + when + ')') if when else ''},不能再办理")
        raise Conflict(f"“{row.step_name}”已经办理过了{('(' + when + ')') if when else ''},不能重复办理")
    diagram = diagram_for_version(work, row.diagram_version_id)
    step = diagram.step(row.step_id)
    try:
        submission = validate_submission(step, data, decision, comment)
    except FormError as exc:
        raise Invalid(exc.message, field=exc.field) from None
    report = check_progress(work, step.progress, row.key_task_id, row.step_name, progress)

    if submission.decision is not None:
        _check_returns(work, diagram, row, submission.decision)

    run = loaded(work, row.cycle_state, row.cycle_state_format)
    before = run.ready_steps()
    try:
        fired = run.complete(row.instance_id, submission, work.now)
    except StepNotReady:
        raise Conflict(f"“{row.step_name}”当前不在待办状态") from None
    except CycleTooDeep as exc:
        raise Conflict(exc.message) from None
    except EngineError as exc:
        raise BadDiagram(f"流程无法继续: {exc.message}", element=exc.element) from None

    done = conn.execute(
        _MARK_DONE,
        {
            "task_id": human_task_id,
            "at": work.now,
            "by": actor.user_id,
            "chosen": submission.decision,
            "said": submission.comment or None,
            "fields": dict(submission.fields),
        },
    )
    if done.rowcount != 1:
        raise Conflict(f"“{row.step_name}”刚刚被他人办理,请刷新后查看")
    said: dict[str, object] = {"decision": submission.decision, "comment": submission.comment}
    said["fields"] = submission.fields
    if report is not None:
        record_progress(
            work,
            actor,
            report,
            key_task_id=row.key_task_id,
            cycle_id=row.cycle_id,
            round_name=row.round,
            human_task_id=human_task_id,
            unit_id=row.unit_id or row.lead_unit_id,
        )
        said["progress"] = report.audit_data()
    event = audit.Entry(
        actor,
        "step.completed",
        cycle_id=row.cycle_id,
        human_task_id=human_task_id,
        step_id=row.step_id,
        unit_id=row.unit_id,
        data=said,
    )
    cycle = CycleRef(
        id=row.cycle_id,
        key_task_id=row.key_task_id,
        lead_unit_id=row.lead_unit_id,
        version=row.cycle_version,
        status=row.cycle_status,
    )
    opened, closed = store(work, cycle, run, before=before, fired=fired, completed=row.instance_id, event=event)
    if opened and step.is_backward(submission.decision):
        carry_over(work, row.cycle_id, opened)  # rework keeps the work: the files go with it
    label = step.decision_label(submission.decision)
    backward = step.decision is not None and submission.decision in step.decision.backward
    tell_hand_off(
        work,
        HandOff(
            cycle_id=row.cycle_id,
            key_task_id=row.key_task_id,
            lead_unit_id=row.lead_unit_id,
            step_name=row.step_name,
            decision_label=label,
            backward=backward,
            comment=submission.comment or None,
            opened=opened,
            closed=closed,
        ),
    )
    return Completion(
        task=human_task_ref(row),
        cycle_id=row.cycle_id,
        decision=submission.decision,
        opened=opened,
        closed=closed,
        decision_label=label,
    )


def _check_returns(work: Work, diagram: Diagram, row: Row[Any], decision: str) -> None:
    """A cycle may be sent back a bounded number of times (config [engine] max_returns)."""
    step = diagram.step(row.step_id)
    if step.decision is None or decision not in step.decision.backward:
        return
    backward = {value for s in diagram.steps if s.decision for value in s.decision.backward}
    sent_back = work.session.scalar(
        select(func.count())
        .select_from(TASKS)
        .where(TASKS.c.cycle_id == row.cycle_id, TASKS.c.state == HumanTaskState.DONE, TASKS.c.decision.in_(backward))
    )
    limit = work.runtime.config.engine.max_returns
    if (sent_back or 0) >= limit:
        label = step.decision.label_of(decision)
        raise Conflict(f"本办理周期已退回或驳回 {sent_back} 次,达到上限 {limit} 次,不能再“{label}”", field="decision")

"""Repairing cycles whose projection and engine state disagree (issue 9).

Before the engine wired multi-instance merges at parse time, a co-unit input completed by a process
that had not itself opened the inputs was accepted (row done, audited) but never merged into the
process: the step after the inputs never opened and the cycle stayed running with no open step.
``repair_cycle`` finds such a cycle and moves it on through the engine (``CycleRun.repair``): the
unmerged results are merged, a step the rows show done but the engine still holds ready is
completed with what the row (or, where the row lacks it, the audit trail) recorded, due timers
fire, and the human tasks are brought in line with the engine's ready steps by ``store``, as after
any move. Rows are never edited behind the engine's back. Idempotent: a repaired cycle shows no
disagreement, so a second pass changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select

from db.models import AuditEvent, Cycle, CycleStatus, HumanTask, HumanTaskState
from workflows import CycleTooDeep, EngineError, ReadyStep, Submission

from ...errors import BadDiagram, Conflict
from ...runtime import Work
from ..common import audit
from ..common.actor import Actor
from .handoffs import HandOff, tell_hand_off
from .projection import CycleRef, load_run, lock_cycle, store

TASKS = cast(Table, HumanTask.__table__)
CYCLES = cast(Table, Cycle.__table__)


@dataclass(frozen=True)
class CycleRepair:
    """What checking (and, unless a dry run, repairing) one cycle found and did.

    ``problems`` are the disagreements found, in Chinese (what the command prints); ``merged`` the
    units whose unmerged results were merged (None for a step not run per unit); ``completed`` the
    human task ids the engine still held ready although their rows were done; ``opened`` and
    ``cancelled`` the step names of human tasks opened and cancelled; ``closed`` whether the cycle
    ended; ``stuck`` whether it still has no open step afterwards (needs a person)."""

    cycle_id: int
    key_task_id: int
    round: str
    problems: tuple[str, ...]
    dry_run: bool
    merged: tuple[int | None, ...] = ()
    completed: tuple[int, ...] = ()
    opened: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()
    fired: int = 0
    closed: bool = False
    stuck: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def needed(self) -> bool:
        """Whether the cycle disagreed with its engine state at all."""
        return bool(self.problems)

    def describe(self) -> str:
        """One line per cycle, in Chinese: what was found and what was (or would be) done."""
        head = f"办理周期 #{self.cycle_id}(重点任务 {self.key_task_id},{self.round})"
        if not self.needed:
            return f"{head}:无需修复"
        verb = "将" if self.dry_run else "已"
        done: list[str] = []
        if self.merged:
            units = "、".join("?" if u is None else str(u) for u in self.merged)
            done.append(f"{verb}补入 {len(self.merged)} 个未汇入的结果(单位 {units})")
        if self.completed:
            done.append(f"{verb}按已办记录补办 {len(self.completed)} 个环节")
        if self.fired:
            done.append(f"{verb}触发 {self.fired} 个到期定时器")
        if self.opened:
            done.append(f"{verb}开启:{'、'.join(self.opened)}")
        if self.cancelled:
            done.append(f"{verb}取消:{'、'.join(self.cancelled)}")
        if self.closed:
            done.append(f"{verb}办结")
        if self.stuck:
            done.append("修复后仍无待办,需人工处理")
        done.extend(self.notes)
        return f"{head}:发现 {';'.join(self.problems)} → {';'.join(done) or '无可做'}"


def running_cycles(work: Work) -> list[int]:
    """Ids of every running cycle, oldest first: what a repair pass looks at."""
    return list(work.session.scalars(select(Cycle.id).where(Cycle.status == CycleStatus.RUNNING).order_by(Cycle.id)))


def repair_cycle(work: Work, actor: Actor, cycle_id: int, *, dry_run: bool = False) -> CycleRepair | None:
    """Checks one cycle, locked, against its engine state and, unless ``dry_run``, repairs it at
    ``work.now`` in the caller's transaction. None for a cycle that is not running.

    Disagreements: completed results of a multi-instance step never merged (issue 9); human tasks
    done whose steps the engine still holds ready; open human tasks the engine does not hold ready,
    or ready steps without an open human task; a process that ended under a running cycle.

    Changes (not in a dry run, and only when something disagreed): the cycle's state moves on through
    ``CycleRun.repair`` (merges, completions from the rows, due timers), then ``store`` writes it:
    version + 1, human tasks cancelled and opened to match the ready steps (deadlines counted from
    ``work.now``, the instant they could first be acted on), ``step.overdue`` per fired timer,
    ``cycle.repaired`` (what was found and done) and ``cycle.closed`` when the process ended; the
    people the opened steps wait for are notified as after a completion (``handoffs``).
    Raises ``NotFound`` (no such cycle), ``Conflict`` (the state unreadable, too deep, or the row
    changed meanwhile), ``BadDiagram`` (the diagram fails on the way)."""
    cycle = lock_cycle(work, cycle_id)
    if cycle.status != CycleStatus.RUNNING:
        return None
    run = load_run(work, cycle)
    if run.cancelled:
        return None
    rows = work.session.execute(
        select(TASKS.c.id, TASKS.c.instance_id, TASKS.c.step_id, TASKS.c.step_name, TASKS.c.party)
        .add_columns(TASKS.c.unit_id, TASKS.c.state, TASKS.c.data, TASKS.c.decision, TASKS.c.comment)
        .where(TASKS.c.cycle_id == cycle_id)
        .order_by(TASKS.c.id)
    ).all()
    ready = run.ready_steps()
    ready_ids = {step.instance_id for step in ready}
    open_rows = [r for r in rows if r.state == HumanTaskState.OPEN]
    open_ids = {r.instance_id for r in open_rows}
    held = [r for r in rows if r.state == HumanTaskState.DONE and r.instance_id in ready_ids]
    unmerged = run.unmerged()

    problems: list[str] = []
    if unmerged:
        problems.append(f"{len(unmerged)} 个已办结果未汇入流程")
    if held:
        problems.append(f"{len(held)} 个已办环节在流程中仍待办")
    if not open_rows and not run.completed:
        problems.append("办理中但没有待办")
    stale = [r for r in open_rows if r.instance_id not in ready_ids]
    if stale:
        problems.append(f"{len(stale)} 个待办在流程中已不存在")
    missing = [s for s in ready if s.instance_id not in open_ids and s.instance_id not in {r.instance_id for r in held}]
    if missing:
        problems.append(f"{len(missing)} 个流程待办没有待办记录")
    if run.completed:
        problems.append("流程已结束但办理周期仍在办理中")
    base = CycleRepair(
        cycle_id=cycle.id, key_task_id=cycle.key_task_id, round=cycle.round, problems=(), dry_run=dry_run
    )
    if not problems:
        return base

    recorded = {r.instance_id: _submission(work, r) for r in held}
    try:
        result = run.repair(work.now, recorded)
    except CycleTooDeep as exc:
        raise Conflict(exc.message) from None
    except EngineError as exc:
        raise BadDiagram(f"流程无法修复: {exc.message}", element=exc.element) from None
    after = run.ready_steps()
    after_ids = {s.instance_id for s in after}
    known = {r.instance_id for r in rows}
    # A ready step whose row is cancelled cannot be opened again by ``store`` (one row per instance).
    blocked = [s for s in after if s.instance_id in known and s.instance_id not in open_ids]
    blocked = [s for s in blocked if s.instance_id not in {r.instance_id for r in held}]
    report = CycleRepair(
        cycle_id=cycle.id,
        key_task_id=cycle.key_task_id,
        round=cycle.round,
        problems=tuple(problems),
        dry_run=dry_run,
        merged=tuple(m.unit for m in result.merged),
        completed=tuple(r.id for r in held if r.instance_id in set(result.completed)),
        opened=tuple(s.name for s in after if s.instance_id not in known),
        cancelled=tuple(r.step_name for r in open_rows if r.instance_id not in after_ids),
        fired=len(result.fired),
        closed=run.completed,
        stuck=not run.completed and not (after_ids - known) and not (after_ids & open_ids),
        notes=tuple(f"“{s.name}”的待办记录已取消,未能重开" for s in blocked),
    )
    if dry_run:
        return report
    before = tuple(
        ReadyStep(
            instance_id=r.instance_id, step_id=r.step_id, name=r.step_name, party=r.party, unit=r.unit_id, due_at=None
        )
        for r in open_rows
    ) + tuple(ReadyStep(s.instance_id, s.step_id, s.name, s.party, s.unit, s.due_at) for s in blocked)
    event = audit.Entry(
        actor,
        "cycle.repaired",
        cycle_id=cycle.id,
        data={
            "problems": list(problems),
            "merged": [{"step_id": m.step_id, "instance_id": m.instance_id, "unit": m.unit} for m in result.merged],
            "completed": list(report.completed),
            "opened": list(report.opened),
            "cancelled": list(report.cancelled),
        },
    )
    ref = CycleRef(
        id=cycle.id,
        key_task_id=cycle.key_task_id,
        lead_unit_id=cycle.lead_unit_id,
        version=cycle.version,
        status=cycle.status.value,
    )
    opened, closed = store(work, ref, run, before=before, fired=result.fired, event=event)
    work.session.expire(cycle)
    # Whoever a repaired cycle now waits for hears of it, as after the completion that should have opened it.
    moved = [run.diagram.step(m.step_id).name for m in result.merged] + [r.step_name for r in held]
    tell_hand_off(
        work,
        HandOff(
            cycle_id=ref.id,
            key_task_id=ref.key_task_id,
            lead_unit_id=ref.lead_unit_id,
            step_name=moved[0] if moved else "",
            decision_label=None,
            backward=False,
            comment=None,
            opened=opened,
            closed=closed,
        ),
    )
    return report


def _submission(work: Work, row: Any) -> Submission:
    """What a done human task recorded: its row's fields, decision and comment, or, where the row
    lacks them, its ``step.completed`` audit event's."""
    fields = dict(row.data or {})
    decision, comment = row.decision, row.comment or ""
    if not fields or decision is None:
        said = work.session.scalar(
            select(AuditEvent.data)
            .where(AuditEvent.human_task_id == row.id, AuditEvent.action == "step.completed")
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
        said = said or {}
        fields = fields or {str(k): str(v) for k, v in (said.get("fields") or {}).items()}
        decision = decision if decision is not None else said.get("decision")
        comment = comment or str(said.get("comment") or "")
    return Submission(fields={str(k): str(v) for k, v in fields.items()}, decision=decision, comment=comment)

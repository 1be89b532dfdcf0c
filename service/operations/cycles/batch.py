"""One item of a batch (批量交办, 批量审核通过, 批量启动): the verbs a page or a script applies to many
human tasks or key tasks, each item in a transaction of its own (``service/batches.py`` opens them).

A batch completion only ever moves forward: a step without a decision (交办) is completed as it is;
a step with a decision takes the one option its diagram does not mark as sending work back
(``Decision.backward``: 审核通过, not 退回). A step with fields to fill, or with more than one forward
option, is refused for that item (it needs its own page)."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Cycle, HumanTask, KeyTask

from ...errors import Invalid
from ...runtime import Work
from ...vocabulary import round_label
from ..common import authz
from ..common.actor import Actor
from .complete import Completion, complete_human_task
from .diagrams import diagram_for_version
from .start import start_cycle


def complete_forward(work: Work, actor: Actor, human_task_id: int, comment: str) -> Completion:
    """Completes a human task with its forward decision (if any) and ``comment`` (the same text for
    every item of a batch). Raises what ``complete_human_task`` raises, and ``Invalid`` (field
    ``ids``) for a step that has fields to fill or no single forward decision."""
    row = work.session.execute(
        select(HumanTask.step_id, HumanTask.step_name, HumanTask.unit_id, Cycle.diagram_version_id)
        .join(Cycle, Cycle.id == HumanTask.cycle_id)
        .where(HumanTask.id == human_task_id)
    ).first()
    if row is None or not authz.sees_human_task(actor, row.unit_id):
        raise authz.step_not_found(human_task_id)
    step = diagram_for_version(work, row.diagram_version_id).step(row.step_id)
    if any(f.required for f in step.fields):
        raise Invalid(f"“{row.step_name}”需要填写内容,请逐项办理", field="ids")
    decision = None
    if step.decision is not None:
        forward = [v for v in step.decision.values if v not in step.decision.backward]
        if len(forward) != 1:
            raise Invalid(f"“{row.step_name}”的结论需要逐项选择", field="ids")
        decision = forward[0]
    return complete_human_task(work, actor, human_task_id, data={}, decision=decision, comment=comment)


def complete_forward_said(work: Work, actor: Actor, human_task_id: int, comment: str) -> str:
    """``complete_forward``, said in words for a batch's result line (「交办」已办理)."""
    done = complete_forward(work, actor, human_task_id, comment)
    said = f"「{done.task.step_name}」已办理" + (f",结论:{done.decision_label}" if done.decision else "")
    return said + (",本轮已办结" if done.closed else "")


def start_cycle_said(work: Work, actor: Actor, key_task_id: int, round_name: str) -> str:
    """``start_cycle`` for a batch, said in words (已启动 2024年第二季度)."""
    started = start_cycle(work, actor, key_task_id, round_name)
    title = work.session.scalar(select(KeyTask.title).where(KeyTask.id == key_task_id))
    return f"「{title}」已启动{round_label(started.round)}的办理周期"

"""Notices on the hand-offs of a cycle's flow: whoever a completion hands work to hears of it.

A step that opens because another was completed is announced to the people who must act on it (a
unit's people, or the office's or the leaders' people for a role's step); when the completion sent
work back (a decision the diagram marks ``backward``: 退回, 驳回) the notice says so, with the
comment; when the cycle ends the lead unit hears that it is 办结. Steps opened by a cycle's start
are not announced one by one: the round's own notice tells the office (``rounds.notify_round_opened``).
The words are in ``common/notice_texts.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...runtime import Work
from ..common import notice_texts as texts
from ..common.notifications import Notice, Recipient, Recipients, notify_many, subject_of
from .projection import HumanTaskRef


@dataclass(frozen=True)
class HandOff:
    """What a completion did, as the notices need it."""

    cycle_id: int
    key_task_id: int
    lead_unit_id: int
    step_name: str  # the step completed
    decision_label: str | None  # the diagram's label of the decision taken (退回, 通过 …)
    backward: bool  # the decision sent work back
    comment: str | None
    opened: tuple[HumanTaskRef, ...]
    closed: bool


def tell_hand_off(work: Work, done: HandOff) -> int:
    """Writes the hand-off's notices (and their e-mails and robot messages through the outbox);
    returns how many people were told. Flushes nothing else; raises nothing of its own."""
    if not done.opened and not done.closed:
        return 0
    subject = subject_of(work, cycle_id=done.cycle_id)
    recipients = Recipients(work)
    recipients.load_units(task.unit_id for task in done.opened if task.unit_id is not None)
    tz = work.runtime.config.tz
    batch: list[tuple[tuple[Recipient, ...], Notice]] = []
    for task in done.opened:
        if done.backward and done.decision_label:
            words = texts.step_returned(
                subject, task.step_name, done.decision_label, done.step_name, task.due_at, tz, done.comment
            )
        else:
            words = texts.step_opened(subject, task.step_name, task.due_at, tz, unit=None)
        notice = Notice.of(words, human_task_id=task.id, key_task_id=done.key_task_id, to_unit_id=task.unit_id)
        batch.append((recipients.assignee(task.unit_id, task.role), notice))
    if done.closed:
        words = texts.cycle_closed(subject, done.step_name, done.decision_label, done.comment)
        notice = Notice.of(words, key_task_id=done.key_task_id, to_unit_id=done.lead_unit_id)
        batch.append((recipients.unit(done.lead_unit_id), notice))
    return notify_many(work, batch)

"""The notices of the escalation ladder, written once at the end of a scheduler pass.

A pass first reaches its rungs (``escalations.escalate``, in batches of their own transactions) and
then writes the notices of every rung not yet notified, in one transaction: a person for whom the
pass raised more than ``[escalation] digest_above`` rungs gets one notice listing them all (您有 39 项
催办、47 项督办, each with its link) instead of one each; so after the scheduler was down for a while
nobody gets 86 notices in a minute. Everyone else gets the rung's own notice. E-mail follows the
notices (one e-mail per notice); a unit's group robot gets its own steps' rungs, as one digest too
when there are more than ``digest_above``.

Exactly once, whoever runs: the rungs are claimed by ``UPDATE … SET notified_at WHERE notified_at IS
NULL RETURNING id`` (on PostgreSQL a second scheduler waits on those rows and then finds them taken).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from sqlalchemy import Table, select, update

from db.models import Cycle, Escalation, HumanTask, KeyTask, Unit

from ...runtime import Work
from ...vocabulary import Assignee, EscalationLevel, Role
from ..common import notice_texts as texts
from ..common.notifications import Notice, Recipient, Recipients, notify_many
from ..common.robot_outbox import RobotCopy, queue_robot_messages, units_with_robot

ESCALATIONS = cast(Table, Escalation.__table__)
TASKS = cast(Table, HumanTask.__table__)
CHUNK = 1000

_DETAILS = (
    select(
        ESCALATIONS.c.id.label("escalation_id"),
        ESCALATIONS.c.level,
        ESCALATIONS.c.due_at,
        TASKS.c.id,
        TASKS.c.key_task_id,
        TASKS.c.unit_id,
        TASKS.c.role,
        TASKS.c.step_name,
        KeyTask.number,
        KeyTask.title,
        Cycle.round,
        Unit.name.label("unit_name"),
    )
    .select_from(ESCALATIONS)
    .join(TASKS, TASKS.c.id == ESCALATIONS.c.human_task_id)
    .join(KeyTask, KeyTask.id == ESCALATIONS.c.key_task_id)
    .join(Cycle, Cycle.id == ESCALATIONS.c.cycle_id)
    .outerjoin(Unit, Unit.id == ESCALATIONS.c.unit_id)
)


def rung_people(recipients: Recipients, level: EscalationLevel, c: Any) -> tuple[Recipient, ...]:
    """Who hears of a rung. A unit's step: 提醒 to the unit; 催办 to its head, copied to the office;
    督办 to the leaders, the office and the head. A role's own step (the office's 审核, the leaders'
    审批) is never addressed as if the role were a unit: past its deadline it is a reminder to that
    role's people, and for the office's steps to the leaders as well."""
    if level == EscalationLevel.REMINDER:
        return recipients.assignee(c.unit_id, c.role)
    if c.role != Assignee.UNIT:
        role = Role(c.role)
        people = recipients.role(role)
        return people + recipients.role(Role.LEADER) if role == Role.SUPERVISOR else people
    if level == EscalationLevel.CUIBAN:
        return recipients.assignee_head(c.unit_id, c.role) + recipients.role(Role.SUPERVISOR)
    people = recipients.role(Role.LEADER) + recipients.role(Role.SUPERVISOR)
    return people + recipients.assignee_head(c.unit_id, c.role)


def rung_words(work: Work, level: EscalationLevel, c: Any) -> texts.Words:
    """What a rung's own notice says (``notice_texts``): 提醒, 催办, 督办, or a role's 逾期提醒."""
    tz = work.runtime.config.tz
    esc = work.runtime.config.escalation
    subject = texts.Subject(c.number, c.title, c.round)
    unit = c.unit_name or Assignee.label_of(c.role)
    days = esc.cuiban_after + esc.duban_after
    if level == EscalationLevel.REMINDER:
        return texts.reminder(subject, c.step_name, c.due_at, tz)
    if c.role != Assignee.UNIT:
        return texts.role_overdue(
            subject, c.step_name, c.due_at, tz, unit, days if level == EscalationLevel.DUBAN else None
        )
    if level == EscalationLevel.CUIBAN:
        return texts.cuiban(subject, c.step_name, c.due_at, tz, unit)
    return texts.duban(subject, c.step_name, c.due_at, tz, unit, days)


def pending_notices(work: Work) -> bool:
    """Whether any rung awaits its notices (read through the partial index of those)."""
    found = work.session.connection().scalar(
        select(ESCALATIONS.c.id).where(ESCALATIONS.c.notified_at.is_(None)).limit(1)
    )
    return found is not None


def notify_escalations(work: Work) -> int:
    """Writes the notices of every rung reached and not yet notified (a pass calls it once, at its
    end); returns how many notices (in-app rows) it wrote. A person with more than ``[escalation]
    digest_above`` of them gets one digest instead; a rung's own words are only written for those
    who get them. Changes ``escalations.notified_at``."""
    conn = work.session.connection()
    claimed = sorted(
        conn.scalars(
            update(ESCALATIONS)
            .where(ESCALATIONS.c.notified_at.is_(None))
            .values(notified_at=work.now)
            .returning(ESCALATIONS.c.id)
        )
    )
    if not claimed:
        return 0
    rows: list[Any] = []
    for start in range(0, len(claimed), CHUNK):
        chunk = claimed[start : start + CHUNK]
        rows += conn.execute(_DETAILS.where(ESCALATIONS.c.id.in_(chunk))).all()
    rows.sort(key=lambda r: (r.level, r.number, r.escalation_id))
    recipients = Recipients(work)
    planned: list[tuple[Any, tuple[Recipient, ...]]] = []
    per_person: dict[int, list[int]] = defaultdict(list)  # user -> positions in planned
    people_by_id: dict[int, Recipient] = {}
    for row in rows:
        people = tuple({p.user_id: p for p in rung_people(recipients, EscalationLevel(row.level), row)}.values())
        planned.append((row, people))
        for person in people:
            per_person[person.user_id].append(len(planned) - 1)
            people_by_id[person.user_id] = person
    above = work.runtime.config.escalation.digest_above
    digested = {user for user, positions in per_person.items() if len(positions) > above}
    lines = [_line(row) for row, _people in planned] if digested else []
    batch: list[tuple[tuple[Recipient, ...], Notice]] = []
    for row, people in planned:
        others = tuple(p for p in people if p.user_id not in digested)
        if others:
            words = rung_words(work, EscalationLevel(row.level), row)
            refs = {"human_task_id": row.id, "key_task_id": row.key_task_id, "escalation_id": row.escalation_id}
            batch.append((others, Notice.of(words, **refs)))
    for user in sorted(digested):
        batch.append(((people_by_id[user],), Notice.of(texts.digest([lines[i] for i in per_person[user]]))))
    queue_robot_messages(work, _robot_copies(work, planned, above))
    return notify_many(work, batch)


def _robot_copies(work: Work, planned: list[tuple[Any, tuple[Recipient, ...]]], above: int) -> list[RobotCopy]:
    """A unit's group robot hears of its own steps' rungs: each, or one digest when there are more
    than ``above`` of them in this pass (only units whose admin set a robot are looked at)."""
    units = {row.unit_id for row, _people in planned if row.role == Assignee.UNIT and row.unit_id is not None}
    with_robot = set(units_with_robot(work, units))
    per_unit: dict[int, list[Any]] = defaultdict(list)
    for row, _people in planned:
        if row.unit_id in with_robot and row.role == Assignee.UNIT:
            per_unit[row.unit_id].append(row)
    copies: list[RobotCopy] = []
    for unit_id, items in sorted(per_unit.items()):
        if len(items) > above:
            words = texts.digest([_line(row) for row in items])
            copies.append(RobotCopy(unit_id, words.kind.value, words.title, words.body))
            continue
        for row in items:
            words = rung_words(work, EscalationLevel(row.level), row)
            copies.append(RobotCopy(unit_id, words.kind.value, words.title, words.body, row.id))
    return copies


def _line(row: Any) -> texts.DigestLine:
    return texts.DigestLine(
        what=texts.ladder_level_words(EscalationLevel(row.level), row.role),
        subject=texts.Subject(row.number, row.title, row.round),
        step=row.step_name,
        unit=row.unit_name or Assignee.label_of(row.role),
        link=f"/human-tasks/{row.id}",
    )

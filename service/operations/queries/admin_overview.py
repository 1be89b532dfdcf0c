"""The administrator's 工作台: what needs an admin's hand, not the units' steps (an admin acts on
none of them). People and units (units nobody can log in for), the plans, and the e-mails the
outbox gave up on. The calendar's state comes from ``operations/supervision/calendar.py``.

Every figure is a count or a short list read by the database; nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select

from db.models import KeyTask, OutboxMail, Plan, Unit, User

from ...runtime import Work
from ...vocabulary import UNIT_ROLES, MailStatus, Role, UnitKind
from ..common import authz
from ..common.actor import Actor

LIST_LIMIT = 8
# The units that act in cycles: the kinds a plan names (the office and the leaders log in by role).
ACTING_KINDS = tuple(k for k in UnitKind if k not in (UnitKind.OFFICE, UnitKind.LEADERSHIP, UnitKind.DISTRICT))


@dataclass(frozen=True)
class PlanLine:
    id: int
    title: str
    year: int | None
    key_tasks: int
    imported_at: datetime


@dataclass(frozen=True)
class FailedMail:
    id: int
    to_addr: str
    subject: str
    attempts: int
    created_at: datetime
    last_error: str | None


@dataclass(frozen=True)
class AdminOverview:
    users_active: int
    users_disabled: int
    users_by_role: tuple[tuple[str, int], ...]  # (role label, active users), in the roles' order
    units_active: int
    units_without_people: tuple[str, ...]  # active units no active user of which can log in (first few)
    units_without_people_total: int
    plans: tuple[PlanLine, ...]
    mail_failed: int
    mail_pending: int
    failed_mails: tuple[FailedMail, ...]


def admin_overview(work: Work, actor: Actor) -> AdminOverview:
    """Raises Forbidden unless the actor manages the system (``authz.ensure_can_manage``)."""
    authz.ensure_can_manage(actor, "查看管理概况")
    session = work.session
    by_role = dict(
        session.execute(select(User.role, func.count()).where(User.active.is_(True)).group_by(User.role)).all()
    )
    disabled = session.scalar(select(func.count()).select_from(User).where(User.active.is_(False))) or 0
    has_people = exists().where(User.unit_id == Unit.id, User.active.is_(True), User.role.in_(tuple(UNIT_ROLES)))
    lonely_filter = (Unit.active.is_(True), Unit.kind.in_(ACTING_KINDS), ~has_people)
    lonely = session.scalars(select(Unit.name).where(*lonely_filter).order_by(Unit.name).limit(LIST_LIMIT)).all()
    lonely_total = session.scalar(select(func.count()).select_from(Unit).where(*lonely_filter)) or 0
    units_active = session.scalar(select(func.count()).select_from(Unit).where(Unit.active.is_(True))) or 0
    counts = dict(session.execute(select(KeyTask.plan_id, func.count()).group_by(KeyTask.plan_id)).all())
    plans = tuple(
        PlanLine(p.id, p.title, p.year, int(counts.get(p.id, 0)), p.imported_at)
        for p in session.execute(
            select(Plan.id, Plan.title, Plan.year, Plan.imported_at).order_by(Plan.id.desc()).limit(LIST_LIMIT)
        )
    )
    mail = dict(session.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all())
    failed = tuple(
        FailedMail(m.id, m.to_addr, m.subject, m.attempts, m.created_at, m.last_error)
        for m in session.scalars(
            select(OutboxMail)
            .where(OutboxMail.status == MailStatus.FAILED)
            .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
            .limit(LIST_LIMIT)
        )
    )
    return AdminOverview(
        users_active=sum(int(n) for n in by_role.values()),
        users_disabled=int(disabled),
        users_by_role=tuple((role.label, int(by_role.get(role, 0))) for role in Role if role in by_role),
        units_active=int(units_active),
        units_without_people=tuple(lonely),
        units_without_people_total=int(lonely_total),
        plans=plans,
        mail_failed=int(mail.get(MailStatus.FAILED, 0)),
        mail_pending=int(mail.get(MailStatus.PENDING, 0)) + int(mail.get(MailStatus.SENDING, 0)),
        failed_mails=failed,
    )

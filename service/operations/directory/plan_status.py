"""A plan's status: imported as a draft (草稿), published (已发布) when checked, archived (已归档) when done.

Only a published plan's key tasks get cycles: the rounds job (``supervision/rounds.py:
missing_key_tasks``) and hand starts (``cycles/start.py``) skip drafts and archived plans. An
archived plan stays readable (ledger, statistics, its cycles' history) and opens nothing new.

Publishing checks that every lead unit of the plan's active key tasks has an active account that
could sign for its work (a unit head when the configuration requires heads for some unit steps, as
the default does for 签收; else any unit account): a round opened for a unit nobody can log in as
stalls unseen. A supervisor may publish anyway with a reason (``force``), which the audit keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import KeyTask, KeyTaskUnit, Plan, Unit, User

from ...errors import Conflict, Invalid, NotFound
from ...runtime import Work
from ...vocabulary import PlanStatus, Role, UnitPart
from ..common import audit, authz
from ..common.actor import Actor


@dataclass(frozen=True)
class PlanRow:
    """A plan as lists show it: ``key_tasks`` counts its active key tasks (retired ones left out)."""

    id: int
    title: str
    year: int | None
    status: PlanStatus
    revision: int
    source_name: str
    key_tasks: int
    imported_at: datetime
    published_at: datetime | None

    @property
    def status_label(self) -> str:
        return self.status.label

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "year": self.year,
            "status": self.status.value,
            "status_label": self.status.label,
            "revision": self.revision,
            "source_name": self.source_name,
            "key_tasks": self.key_tasks,
            "imported_at": self.imported_at.isoformat(),
            "published_at": self.published_at.isoformat() if self.published_at else None,
        }


def list_plans(session: Session, *, plan_id: int | None = None) -> list[PlanRow]:
    """Every plan (or the one ``plan_id``), oldest first. Plans are public within the service:
    every signed-in person reads the ledger of every plan."""
    counts = (
        select(KeyTask.plan_id, func.count().label("n"))
        .where(KeyTask.active.is_(True))
        .group_by(KeyTask.plan_id)
        .subquery()
    )
    query = select(Plan, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.plan_id == Plan.id).order_by(Plan.id)
    if plan_id is not None:
        query = query.where(Plan.id == plan_id)
    return [
        PlanRow(
            id=plan.id,
            title=plan.title,
            year=plan.year,
            status=PlanStatus(plan.status),
            revision=plan.revision,
            source_name=plan.source_name,
            key_tasks=n,
            imported_at=plan.imported_at,
            published_at=plan.published_at,
        )
        for plan, n in session.execute(query).all()
    ]


def plan_row(session: Session, plan_id: int) -> PlanRow:
    """One plan as ``list_plans`` shows it; NotFound when there is none."""
    rows = list_plans(session, plan_id=plan_id)
    if not rows:
        raise NotFound(f"计划 {plan_id} 不存在")
    return rows[0]


def units_without_signers(work: Work, plan_id: int) -> list[str]:
    """Names of the lead units of the plan's active key tasks that have no active account able to
    sign for their work (a unit head when ``[permissions] head_required_steps`` is set), in the
    plan's order."""
    session = work.session
    roles = (
        (Role.UNIT_HEAD,) if work.runtime.config.permissions.head_required_steps else (Role.UNIT_HEAD, Role.UNIT_STAFF)
    )
    signer = select(User.id).where(User.unit_id == Unit.id, User.active.is_(True), User.role.in_(roles)).exists()
    rows = session.execute(
        select(Unit.name)
        .join(KeyTaskUnit, KeyTaskUnit.unit_id == Unit.id)
        .join(KeyTask, KeyTask.id == KeyTaskUnit.key_task_id)
        .where(KeyTask.plan_id == plan_id, KeyTask.active.is_(True), KeyTaskUnit.part == UnitPart.LEAD, ~signer)
        .order_by(KeyTask.number, KeyTaskUnit.position)
    ).scalars()
    return list(dict.fromkeys(rows))


def _locked_plan(work: Work, plan_id: int) -> Plan:
    plan = work.session.scalar(select(Plan).where(Plan.id == plan_id).with_for_update())
    if plan is None:
        raise NotFound(f"计划 {plan_id} 不存在")
    return plan


def publish_plan(work: Work, actor: Actor, plan_id: int, *, force: bool = False, reason: str = "") -> PlanRow:
    """Publishes a draft (or re-publishes an archived) plan: from now on the rounds open for its key
    tasks. Audited as ``plan.published`` (with ``forced``, the reason and the units without signers).

    Raises Forbidden (supervisors, admins and the CLI only), NotFound, Conflict (already published;
    or lead units without an account that could sign: ``extra["units"]`` lists them, unless
    ``force``), Invalid (``force`` without a reason, field ``reason``; a plan without key tasks)."""
    authz.ensure_can_import_plans(actor, "发布计划")
    plan = _locked_plan(work, plan_id)
    if plan.status == PlanStatus.PUBLISHED:
        raise Conflict(f"计划《{plan.title}》已发布")
    reason = (reason or "").strip()
    if force and not reason:
        raise Invalid("强制发布须说明理由", field="reason")
    active = work.session.scalar(
        select(func.count()).select_from(KeyTask).where(KeyTask.plan_id == plan_id, KeyTask.active.is_(True))
    )
    if not active:
        raise Invalid(f"计划《{plan.title}》没有在办的重点任务,无需发布", field="plan")
    unsigned = units_without_signers(work, plan_id)
    if unsigned and not force:
        raise Conflict(
            f"以下牵头单位还没有能签收的账号,发布后其任务无人签收: {'、'.join(unsigned)}"
            "(请先为这些单位开设账号,或填写理由后强制发布)",
            field="units",
            extra={"units": unsigned},
        )
    was = plan.status
    plan.status = PlanStatus.PUBLISHED
    plan.published_at = work.now
    work.session.flush()
    audit.record(
        work,
        actor,
        "plan.published",
        data={
            "plan_id": plan.id,
            "title": plan.title,
            "from": str(was),
            "forced": bool(unsigned),
            "reason": reason or None,
            "units_without_signers": unsigned,
        },
    )
    return plan_row(work.session, plan_id)


def archive_plan(work: Work, actor: Actor, plan_id: int, *, reason: str = "") -> PlanRow:
    """Archives a plan: it opens no more rounds and stays readable; running cycles run on (close or
    cancel them by hand). Audited as ``plan.archived``. Raises Forbidden, NotFound, Conflict
    (already archived)."""
    authz.ensure_can_import_plans(actor, "归档计划")
    plan = _locked_plan(work, plan_id)
    if plan.status == PlanStatus.ARCHIVED:
        raise Conflict(f"计划《{plan.title}》已归档")
    was = plan.status
    plan.status = PlanStatus.ARCHIVED
    work.session.flush()
    audit.record(
        work,
        actor,
        "plan.archived",
        data={"plan_id": plan.id, "title": plan.title, "from": str(was), "reason": (reason or "").strip() or None},
    )
    return plan_row(work.session, plan_id)


def ensure_plan_published(work: Work, key_task_id: int) -> None:
    """Conflict unless the key task's plan is published (a draft is not in force yet; an archived
    plan is done): what starting a cycle by hand checks."""
    row = work.session.execute(
        select(Plan.title, Plan.status).join(KeyTask, KeyTask.plan_id == Plan.id).where(KeyTask.id == key_task_id)
    ).first()
    if row is not None and row.status != PlanStatus.PUBLISHED:
        state = "尚未发布" if row.status == PlanStatus.DRAFT else "已归档"
        raise Conflict(f"计划《{row.title}》{state},不能启动办理周期")

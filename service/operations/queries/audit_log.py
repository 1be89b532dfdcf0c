"""Reading the audit trail (writing it is audit.record; nothing changes or deletes an event).

Who reads what (authz.audit_scope): supervisors, leaders and admins every event; unit staff and
heads the events of cycles whose key task their unit takes part in, with the data of other
units' steps withheld unless they are the cycle's lead unit (authz.sees_step_content).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select

from db.models import AuditEvent, Cycle

from ...errors import Invalid
from ...runtime import Work
from ..common import authz
from ..common.actor import Actor

MAX_LIMIT = 500


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    action: str
    actor_id: int | None
    actor_name: str
    actor_role: str
    unit_id: int | None
    cycle_id: int | None
    human_task_id: int | None
    step_id: str | None
    data: dict[str, Any] | None  # None when withheld from this reader
    ip: str | None
    hash: str


@dataclass(frozen=True)
class AuditPage:
    items: tuple[AuditEntry, ...]
    total: int
    next_after: int | None  # pass as ``after`` for the next page


def audit_events(
    work: Work,
    actor: Actor,
    *,
    cycle_id: int | None = None,
    action: str | None = None,
    after: int | None = None,
    limit: int = 100,
) -> AuditPage:
    """Events in chain order (oldest first), filtered by cycle and action, paged by ``after`` seq."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit 应在 1 到 {MAX_LIMIT} 之间", field="limit")
    if cycle_id is not None:
        authz.ensure_sees_cycle(work.session, actor, cycle_id)
    conditions: list[ColumnElement[bool]] = [authz.audit_scope(actor)]
    if cycle_id is not None:
        conditions.append(AuditEvent.cycle_id == cycle_id)
    if action:
        conditions.append(AuditEvent.action == action)
    total = work.session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    if after is not None:
        conditions.append(AuditEvent.seq > after)
    rows = work.session.execute(
        select(AuditEvent, Cycle.lead_unit_id)
        .outerjoin(Cycle, Cycle.id == AuditEvent.cycle_id)
        .where(*conditions)
        .order_by(AuditEvent.seq)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = []
    for event, lead_unit_id in rows:
        visible = event.step_id is None or (
            lead_unit_id is not None and authz.sees_step_content(actor, event.unit_id, lead_unit_id)
        )
        items.append(
            AuditEntry(
                seq=event.seq,
                at=event.at,
                action=event.action,
                actor_id=event.actor_id,
                actor_name=event.actor_name,
                actor_role=event.actor_role,
                unit_id=event.unit_id,
                cycle_id=event.cycle_id,
                human_task_id=event.human_task_id,
                step_id=event.step_id,
                data=dict(event.data or {}) if visible or authz.sees_everything(actor) else None,
                ip=event.ip if authz.sees_everything(actor) else None,
                hash=event.hash,
            )
        )
    return AuditPage(items=tuple(items), total=total, next_after=items[-1].seq if more and items else None)

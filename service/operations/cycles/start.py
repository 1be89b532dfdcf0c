"""Starting a cycle of a key task for a reporting round: its first step (dispatch) opens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from db.models import (
    Cycle,
    CycleStatus,
    KeyTask,
    KeyTaskUnit,
    Unit,
    UnitPart,
)
from workflows import (
    STATE_FORMAT,
)

from ...errors import Conflict, Invalid, NotFound
from ...runtime import Work
from ...vocabulary import CycleKind, round_label
from ..common import audit, authz
from ..common.actor import Actor
from ..directory.plan_status import ensure_plan_published
from .diagrams import current_diagram
from .projection import CycleRef, HumanTaskRef, store

ROUND_PATTERN = re.compile(r"^\d{4}(-(Q[1-4]|H[12]|M(0[1-9]|1[0-2])))?$")
CYCLES = cast(Table, Cycle.__table__)


@dataclass(frozen=True)
class StartedCycle:
    """A cycle just started: its id, key task, round, and the human tasks that opened (dispatch)."""

    id: int
    key_task_id: int
    round: str
    opened: tuple[HumanTaskRef, ...]


_KEY_TASK = select(KeyTask.id, KeyTask.number, KeyTask.active).where(KeyTask.id == bindparam("key_task"))
_EXISTING = select(Cycle.id).where(Cycle.key_task_id == bindparam("key_task"), Cycle.round == bindparam("round"))
# Only active units are given steps: a unit disabled (机构改革) is left out of new cycles.
_PARTS = (
    select(KeyTaskUnit.unit_id, KeyTaskUnit.part)
    .join(Unit, Unit.id == KeyTaskUnit.unit_id)
    .where(KeyTaskUnit.key_task_id == bindparam("key_task"), Unit.active.is_(True))
    .order_by(KeyTaskUnit.position)
)
_NEW_CYCLE = insert(CYCLES).returning(CYCLES.c.id, CYCLES.c.version)


def start_cycle(work: Work, actor: Actor, key_task_id: int, round_name: str) -> StartedCycle:
    """Starts one cycle of a key task for a reporting round (``2024-Q2``, ``2024-M03``, ``2024-H1`` or
    ``2024``) at ``work.now``, on the current diagram; the process runs to its first steps.

    Changes: a running cycle row (lead unit: the key task's first lead unit; process data: its lead
    and co-units, round and number), open human tasks for the ready steps (with deadlines from
    ``service/deadlines.py``), the audit event ``cycle.started``. Flushes, never commits.

    Raises ``Forbidden`` (only the supervisor, an administrator or the system start cycles),
    ``Invalid`` (a malformed round, field ``round``; a key task without an active lead unit, field
    ``lead_units``; inactive units get no steps), ``NotFound`` (no such key task), ``Conflict``
    (the key task is retired, its plan is a draft or archived, or it already has a cycle in that
    round: the unique key settles two
    starts at the same moment)."""
    authz.ensure_can_start_cycles(actor)
    round_name = (round_name or "").strip()
    if not ROUND_PATTERN.match(round_name):
        raise Invalid(f"轮次 {round_name!r} 格式不对,应如 2024-Q2、2024-M03、2024-H1 或 2024", field="round")
    ensure_plan_published(work, key_task_id)
    return open_cycle(work, actor, key_task_id, round_name, CycleKind.ROUND, current_diagram(work))


def open_cycle(
    work: Work, actor: Actor, key_task_id: int, round_name: str, kind: CycleKind, diagram: tuple[int, str]
) -> StartedCycle:
    """Opens a cycle of a key task running ``diagram`` (version id, digest): a reporting round's, or
    its year's 办结销号 (``operations/year/closing.py``). The caller has checked who may start it.
    Raises NotFound, Conflict (inactive key task, or one cycle already under that name), Invalid."""
    conn = work.session.connection()
    key_task = conn.execute(_KEY_TASK, {"key_task": key_task_id}).first()
    if key_task is None:
        raise NotFound(f"重点任务 {key_task_id} 不存在")
    if not key_task.active:
        raise Conflict(f"重点任务 {key_task.number} 已停用,不能启动办理周期")
    existing = conn.execute(_EXISTING, {"key_task": key_task_id, "round": round_name}).scalar()
    if existing is not None:
        raise Conflict(f"重点任务 {key_task.number} 在{round_label(round_name)}轮次已有办理周期(#{existing})")
    parts = conn.execute(_PARTS, {"key_task": key_task_id}).all()
    leads = [p.unit_id for p in parts if p.part == UnitPart.LEAD]
    co_units = [p.unit_id for p in parts if p.part == UnitPart.CO and p.unit_id not in leads]
    if not leads:
        raise Invalid(f"重点任务 {key_task.number} 没有启用的牵头单位,无法交办", field="lead_units")

    version_id, digest = diagram
    run = work.runtime.engine.start(
        digest,
        {"lead_units": leads, "co_units": co_units, "round": round_name, "key_task": key_task.number},
        work.now,
    )
    try:
        # Two starts of one round at the same moment (two supervisors, a supervisor and the rounds
        # job): the unique (key task, round) key lets one in; the other gets a clear conflict.
        with work.session.begin_nested():
            created = conn.execute(
                _NEW_CYCLE,
                {
                    "key_task_id": key_task_id,
                    "round": round_name,
                    "diagram_version_id": version_id,
                    "status": CycleStatus.RUNNING,
                    "kind": kind,
                    "state": b"",
                    "state_format": STATE_FORMAT,
                    "version": 1,
                    "started_at": work.now,
                    "started_by_id": actor.user_id,
                    "lead_unit_id": leads[0],
                },
            ).one()
    except IntegrityError:
        raise Conflict(f"重点任务 {key_task.number} 在{round_label(round_name)}轮次已有办理周期") from None
    started = audit.Entry(
        actor,
        "cycle.started",
        cycle_id=created.id,
        data={"key_task": key_task.number, "round": round_name, "co_units": len(co_units), "kind": kind.value},
    )
    ref = CycleRef(
        id=created.id,
        key_task_id=key_task_id,
        lead_unit_id=leads[0],
        version=created.version,
        status=CycleStatus.RUNNING.value,
    )
    opened, _closed = store(work, ref, run, before=(), fired=(), event=started)
    return StartedCycle(id=created.id, key_task_id=key_task_id, round=round_name, opened=opened)

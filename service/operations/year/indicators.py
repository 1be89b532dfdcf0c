"""Indicators (量化指标): made from the targets an import finds, then added to, corrected and retired
by the supervision office. Every change is audited with what it was and what it became.

An indicator belongs to a key task, or (``key_task_id`` None) to the plan itself: the figures of its
主要目标. Values are never stored here: progress reports give them (``year/progress.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from db.models import Indicator, KeyTask, KeyTaskUnit, Plan, Unit, UnitPart

from ...errors import Conflict, Invalid, NotFound
from ...plans.model import Target
from ...runtime import Work
from ...vocabulary import Comparator, IndicatorSource
from ..common import audit, authz
from ..common.actor import Actor

MAX_NAME = 100
MAX_MEASURE = 20
MAX_TARGET = 1e12
MAX_REASON = 500
MAX_MILESTONES = 12


@dataclass(frozen=True)
class IndicatorFields:
    """What a person gives for an indicator; None leaves a field as it is (when correcting)."""

    name: str | None = None
    comparator: str | None = None
    target: Any = None
    measure: str | None = None
    responsible_unit_id: int | None = None
    schedule: Any = None


def indicators_from_import(
    work: Work, plan: Plan, tasks: Iterable[tuple[KeyTask, Iterable[Target]]], goals: Iterable[Target]
) -> int:
    """Makes the indicators of a freshly imported plan: each target found in a key task's text
    (answered for by its primary lead unit), and each of the plan's 主要目标 figures. Returns how
    many. Part of the import's transaction; the import's own audit event counts them."""
    session = work.session
    made = 0
    for key_task, targets in tasks:
        lead = session.scalar(
            select(KeyTaskUnit.unit_id)
            .where(KeyTaskUnit.key_task_id == key_task.id, KeyTaskUnit.part == UnitPart.LEAD)
            .order_by(KeyTaskUnit.position)
            .limit(1)
        )
        for position, target in enumerate(targets):
            session.add(indicator_from_target(work, plan.id, key_task.id, position, target, lead))
            made += 1
    for position, target in enumerate(goals):
        session.add(indicator_from_target(work, plan.id, None, position, target, None))
        made += 1
    session.flush()
    return made


def indicator_from_target(
    work: Work, plan_id: int, key_task_id: int | None, position: int, target: Target, unit_id: int | None
) -> Indicator:
    """A new imported indicator (not yet added) for a target the parser found: the key task's (or the
    plan's, ``key_task_id`` None), answered for by ``unit_id``. Used by import and by revisions."""
    return Indicator(
        plan_id=plan_id,
        key_task_id=key_task_id,
        position=position,
        name=target.indicator[:MAX_NAME],
        comparator=Comparator(target.comparator),
        target=float(target.value),
        measure=target.unit[:MAX_MEASURE],
        source_text=target.text,
        source=IndicatorSource.IMPORTED,
        responsible_unit_id=unit_id,
        schedule=[],
        active=True,
        created_at=work.now,
    )


def add_indicator(
    work: Work, actor: Actor, fields: IndicatorFields, *, key_task_id: int | None = None, plan_id: int | None = None
) -> Indicator:
    """Adds an indicator to a key task (or, with ``plan_id`` only, to the plan's 主要目标).

    Raises Forbidden (not the office or an admin), NotFound (no such key task or plan), Invalid
    (a field, named in ``field``: name, comparator, target, measure, responsible_unit, schedule)."""
    authz.ensure_can_manage_indicators(actor)
    session = work.session
    if key_task_id is not None:
        key_task = session.get(KeyTask, key_task_id)
        if key_task is None:
            raise NotFound(f"重点任务 {key_task_id} 不存在")
        plan_id = key_task.plan_id
    plan = session.get(Plan, plan_id) if plan_id is not None else None
    if plan is None:
        raise NotFound(f"计划 {plan_id} 不存在")
    if fields.name is None or fields.comparator is None or fields.target is None:
        missing = next(n for n in ("name", "comparator", "target") if getattr(fields, n) is None)
        raise Invalid(f"请填写{_FIELD_LABELS[missing]}", field=missing)
    responsible = fields.responsible_unit_id
    if responsible is None and key_task_id is not None:
        responsible = session.scalar(
            select(KeyTaskUnit.unit_id)
            .where(KeyTaskUnit.key_task_id == key_task_id, KeyTaskUnit.part == UnitPart.LEAD)
            .order_by(KeyTaskUnit.position)
            .limit(1)
        )
    position = session.scalar(
        select(func.coalesce(func.max(Indicator.position) + 1, 0)).where(
            Indicator.plan_id == plan.id,
            Indicator.key_task_id == key_task_id if key_task_id is not None else Indicator.key_task_id.is_(None),
        )
    )
    indicator = Indicator(
        plan_id=plan.id,
        key_task_id=key_task_id,
        position=position or 0,
        name=_name(fields.name),
        comparator=_comparator(fields.comparator),
        target=_target(fields.target),
        measure=_measure(fields.measure or ""),
        source_text="",
        source=IndicatorSource.MANUAL,
        responsible_unit_id=_unit(work, responsible),
        schedule=_schedule(fields.schedule, plan.year),
        active=True,
        created_at=work.now,
        created_by_id=actor.user_id,
    )
    session.add(indicator)
    session.flush()
    audit.record(work, actor, "indicator.added", data={"indicator_id": indicator.id, **describe(indicator)})
    return indicator


def correct_indicator(work: Work, actor: Actor, indicator_id: int, fields: IndicatorFields) -> Indicator:
    """Corrects an indicator's name, comparison, target, measure, responsible unit or schedule.

    Values already reported stay as they were given (in the measure of the time). Raises Forbidden,
    NotFound, Conflict (a retired indicator), Invalid (a field, named)."""
    authz.ensure_can_manage_indicators(actor)
    indicator = _indicator(work, indicator_id)
    if not indicator.active:
        raise Conflict(f"指标“{indicator.name}”已停用,不能更正")
    before = describe(indicator)
    if fields.name is not None:
        indicator.name = _name(fields.name)
    if fields.comparator is not None:
        indicator.comparator = _comparator(fields.comparator)
    if fields.target is not None:
        indicator.target = _target(fields.target)
    if fields.measure is not None:
        indicator.measure = _measure(fields.measure)
    if fields.responsible_unit_id is not None:
        indicator.responsible_unit_id = _unit(work, fields.responsible_unit_id)
    if fields.schedule is not None:
        year = work.session.scalar(select(Plan.year).where(Plan.id == indicator.plan_id))
        indicator.schedule = _schedule(fields.schedule, year)
    after = describe(indicator)
    changed = {key: {"from": before[key], "to": after[key]} for key in after if before[key] != after[key]}
    if not changed:
        raise Invalid("没有任何更改", field="name")
    indicator.updated_at = work.now
    work.session.flush()
    audit.record(work, actor, "indicator.corrected", data={"indicator_id": indicator.id, "changes": changed})
    return indicator


def retire_indicator(work: Work, actor: Actor, indicator_id: int, reason: object) -> Indicator:
    """Retires an indicator (停用): it keeps its reported values but no longer counts in progress
    lights or scores. A reason is required. Raises Forbidden, NotFound, Conflict (already retired),
    Invalid (field ``reason``)."""
    authz.ensure_can_manage_indicators(actor)
    indicator = _indicator(work, indicator_id)
    if not indicator.active:
        raise Conflict(f"指标“{indicator.name}”已停用")
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise Invalid("请填写停用理由", field="reason")
    if len(text) > MAX_REASON:
        raise Invalid(f"停用理由不能超过 {MAX_REASON} 字", field="reason")
    indicator.active = False
    indicator.retired_at = work.now
    indicator.retire_reason = text
    work.session.flush()
    audit.record(
        work, actor, "indicator.retired", data={"indicator_id": indicator.id, "name": indicator.name, "reason": text}
    )
    return indicator


def describe(indicator: Indicator) -> dict[str, Any]:
    """An indicator's fields as the audit trail keeps them."""
    return {
        "key_task_id": indicator.key_task_id,
        "name": indicator.name,
        "comparator": str(indicator.comparator),
        "target": indicator.target,
        "measure": indicator.measure,
        "responsible_unit_id": indicator.responsible_unit_id,
        "schedule": list(indicator.schedule or []),
    }


# -- checking what people give ------------------------------------------------------------------

_FIELD_LABELS = {"name": "指标名称", "comparator": "比较方式", "target": "目标值"}


def _indicator(work: Work, indicator_id: int) -> Indicator:
    indicator = work.session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound(f"指标 {indicator_id} 不存在")
    return indicator


def _name(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise Invalid("请填写指标名称", field="name")
    if len(text) > MAX_NAME:
        raise Invalid(f"指标名称不能超过 {MAX_NAME} 字", field="name")
    return text


def _comparator(value: object) -> Comparator:
    try:
        return Comparator(str(value))
    except ValueError:
        allowed = "、".join(f"{c.value}({c.label})" for c in Comparator)
        raise Invalid(f"比较方式 {value!r} 无效,应为 {allowed} 之一", field="comparator") from None


def parse_number(value: object, field: str, label: str) -> float:
    """A finite number from JSON or a form (text with thousands separators allowed): Invalid otherwise."""
    if isinstance(value, bool):
        raise Invalid(f"{label}应为数字", field=field)
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace(",", "")
        if not text:
            raise Invalid(f"请填写{label}", field=field)
        try:
            value = float(text)
        except ValueError:
            raise Invalid(f"{label}应为数字,而不是“{text[:20]}”", field=field) from None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid(f"{label}应为数字", field=field)
    return float(value)


def _target(value: object) -> float:
    number = parse_number(value, "target", "目标值")
    if not 0 <= number <= MAX_TARGET:
        raise Invalid(f"目标值应在 0 到 {MAX_TARGET:,.0f} 之间", field="target")
    return number


def _measure(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > MAX_MEASURE:
        raise Invalid(f"计量单位不能超过 {MAX_MEASURE} 字", field="measure")
    return text


def _unit(work: Work, unit_id: int | None) -> int | None:
    if unit_id is None:
        return None
    if work.session.scalar(select(Unit.id).where(Unit.id == unit_id, Unit.active.is_(True))) is None:
        raise Invalid(f"单位 {unit_id} 不存在或已停用", field="responsible_unit")
    return unit_id


def _schedule(value: object, year: int | None) -> list[dict[str, Any]]:
    """Staged milestones: a list of {"by": "YYYY-MM-DD", "share": 0–100}, dates rising within the
    plan's year, shares never falling."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_MILESTONES:
        raise Invalid(f"阶段目标应为列表(最多 {MAX_MILESTONES} 项)", field="schedule")
    out: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        where = f"schedule[{index}]"
        if not isinstance(item, Mapping):
            raise Invalid("每个阶段目标应含 by(日期)和 share(应完成的百分比)", field=where)
        try:
            by = date.fromisoformat(str(item.get("by", "")))
        except ValueError:
            raise Invalid(f"阶段目标日期 {item.get('by')!r} 无效,应如 2024-06-30", field=f"{where}.by") from None
        if year is not None and by.year != year:
            raise Invalid(f"阶段目标日期 {by} 不在计划年度 {year} 年内", field=f"{where}.by")
        share = parse_number(item.get("share"), f"{where}.share", "阶段应完成比例")
        if not 0 <= share <= 100:
            raise Invalid("阶段应完成比例应在 0 到 100 之间", field=f"{where}.share")
        if out and (by <= date.fromisoformat(out[-1]["by"]) or share < out[-1]["share"]):
            raise Invalid("阶段目标应按日期先后排列,且应完成比例不减少", field=where)
        out.append({"by": by.isoformat(), "share": share})
    return out


def mapping_of(fields: Mapping[str, Any]) -> IndicatorFields:
    """IndicatorFields from a request's parsed body (names as the API and the form use them)."""
    return IndicatorFields(
        name=fields.get("name"),
        comparator=fields.get("comparator"),
        target=fields.get("target"),
        measure=fields.get("measure"),
        responsible_unit_id=fields.get("responsible_unit"),
        schedule=fields.get("schedule"),
    )

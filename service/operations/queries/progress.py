"""Indicators and progress as pages and the API read them: each indicator with its value by round,
its completion against its 序时进度 and its progress light; a key task's progress light; the lights of
many key tasks at once (ledger, 统计, scores, the bulletin) in a few set-based queries.

The value of an indicator at a round is the latest cumulative value the lead unit reported in that
round or an earlier one (current reports only: a report given again after a 退回 replaces the earlier
one, which stays in ``history``). See ``operations/year/schedule.py`` for 序时 and the light rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from db.models import Cycle, Indicator, IndicatorValue, KeyTask, Plan, ProgressReport, Unit

from ...errors import NotFound
from ...runtime import Work
from ...vocabulary import Comparator, ReportPart
from ..common import authz
from ..common.actor import Actor
from ..year.schedule import (
    completion,
    elapsed_share,
    expected_share,
    measured_year,
    progress_light,
    round_due_date,
)
from .progress_lights import KeyTaskProgress, key_task_progress, round_key


@dataclass(frozen=True)
class ReportedValue:
    value: float
    reported_at: datetime
    unit: str


@dataclass(frozen=True)
class RoundPoint:
    """An indicator in one round: the value reported (None: nothing yet), 序时 at its due date."""

    round: str
    value: float | None
    completion: float | None
    expected: float | None
    reported_at: datetime | None
    # Values given earlier in this round and replaced after a 退回, oldest first.
    replaced: tuple[ReportedValue, ...] = ()


@dataclass(frozen=True)
class IndicatorView:
    id: int
    key_task_id: int | None
    plan_id: int
    name: str
    comparator: str
    comparator_label: str
    target: float
    measure: str
    source: str
    source_text: str
    responsible_unit_id: int | None
    responsible_unit: str | None
    schedule: tuple[dict[str, Any], ...]
    active: bool
    retired_at: datetime | None
    retire_reason: str | None
    created_at: datetime
    updated_at: datetime | None
    # At the chosen round:
    value: float | None
    value_round: str | None  # the round the value was reported in (this one or an earlier one)
    completion: float | None
    expected: float | None
    light: str | None
    shares: tuple[tuple[str, float], ...]  # co-units' shares reported in the chosen round
    points: tuple[RoundPoint, ...]  # every round of the key task, oldest first (the chart)

    @property
    def schedule_text(self) -> str:
        """The staged milestones as typed: "2024-06-30: 50%; 2024-12-31: 100%"."""
        return "; ".join(f"{m['by']}: {float(m['share']):g}%" for m in self.schedule)

    @property
    def target_text(self) -> str:
        return f"{self.comparator} {format_number(self.target)} {self.measure}".strip()


@dataclass(frozen=True)
class KeyTaskIndicators:
    key_task_id: int
    plan_id: int
    round: str | None
    rounds: tuple[str, ...]  # oldest first
    progress: KeyTaskProgress
    indicators: tuple[IndicatorView, ...]
    expected_line: tuple[tuple[str, float | None], ...] = field(default_factory=tuple)  # (round, 序时)


def format_number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def _not_after(name: str, chosen: str) -> bool:
    return round_key(name) <= round_key(chosen)


def key_task_indicators(
    work: Work, actor: Actor, key_task_id: int, *, round_name: str | None = None, include_retired: bool = True
) -> KeyTaskIndicators:
    """A key task's indicators with their values and lights at ``round_name`` (default: its latest
    round). Seen by whoever sees the key task (NotFound otherwise)."""
    session = work.session
    authz.ensure_sees_key_task(session, actor, key_task_id)
    key_task = session.get(KeyTask, key_task_id)
    assert key_task is not None
    year = session.scalar(select(Plan.year).where(Plan.id == key_task.plan_id))
    rounds = tuple(
        sorted(set(session.scalars(select(Cycle.round).where(Cycle.key_task_id == key_task_id))), key=round_key)
    )
    chosen = round_name if round_name else (rounds[-1] if rounds else None)
    query = select(Indicator).where(Indicator.key_task_id == key_task_id)
    if not include_retired:
        query = query.where(Indicator.active.is_(True))
    indicators = list(session.scalars(query.order_by(Indicator.active.desc(), Indicator.position, Indicator.id)))
    views = indicator_views(work, indicators, year, rounds, chosen)
    progress = key_task_progress(work, [key_task_id], chosen, years={key_task_id: year}).get(key_task_id)
    calendar = work.runtime.calendar
    line = []
    for name in rounds:
        due = round_due_date(work.runtime, name)
        line.append((name, elapsed_share(calendar, measured_year(name, year, due), due) if due else None))
    return KeyTaskIndicators(
        key_task_id=key_task_id,
        plan_id=key_task.plan_id,
        round=chosen,
        rounds=rounds,
        progress=progress or KeyTaskProgress(key_task_id, chosen, None, None, None),
        indicators=views,
        expected_line=tuple(line),
    )


def plan_indicators(work: Work, actor: Actor, plan_id: int, *, round_name: str | None = None) -> list[IndicatorView]:
    """The plan's own 主要目标 indicators (every logged-in person may read a plan's goals, as they
    may read the list of plans). Raises NotFound for a plan that does not exist."""
    session = work.session
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"计划 {plan_id} 不存在")
    year = plan.year
    indicators = list(
        session.scalars(
            select(Indicator)
            .where(Indicator.plan_id == plan_id, Indicator.key_task_id.is_(None))
            .order_by(Indicator.active.desc(), Indicator.position, Indicator.id)
        )
    )
    return list(indicator_views(work, indicators, year, (), round_name))


def _expected(work: Work, indicator: Indicator, year: int | None, round_name: str | None) -> float | None:
    if round_name is None:
        return None
    due = round_due_date(work.runtime, round_name)
    if due is None:
        return None
    return expected_share(work.runtime.calendar, measured_year(round_name, year, due), due, indicator.schedule or None)


def indicator_views(
    work: Work, indicators: list[Indicator], year: int | None, rounds: tuple[str, ...], chosen: str | None
) -> tuple[IndicatorView, ...]:
    """Views of these indicators at round ``chosen``, with a point for each of ``rounds``."""
    session = work.session
    ids = [i.id for i in indicators]
    units = dict(session.execute(select(Unit.id, Unit.name)).all()) if ids else {}
    rows = (
        session.execute(
            select(
                IndicatorValue.indicator_id,
                IndicatorValue.value,
                ProgressReport.round,
                ProgressReport.part,
                ProgressReport.unit_id,
                ProgressReport.reported_at,
                ProgressReport.superseded_at,
            )
            .join(ProgressReport, ProgressReport.id == IndicatorValue.report_id)
            .where(IndicatorValue.indicator_id.in_(ids))
            .order_by(ProgressReport.reported_at, ProgressReport.id)
        ).all()
        if ids
        else []
    )
    totals: dict[int, dict[str, tuple[float, datetime]]] = {}
    replaced: dict[tuple[int, str], list[ReportedValue]] = {}
    shares: dict[int, list[tuple[str, float]]] = {}
    for indicator_id, value, round_name, part, unit_id, reported_at, superseded_at in rows:
        if part == ReportPart.SHARE:
            if superseded_at is None and round_name == chosen:
                shares.setdefault(indicator_id, []).append((units.get(unit_id, ""), value))
            continue
        if superseded_at is None:
            totals.setdefault(indicator_id, {})[round_name] = (value, reported_at)
        else:
            replaced.setdefault((indicator_id, round_name), []).append(
                ReportedValue(value, reported_at, units.get(unit_id, ""))
            )
    views = []
    for indicator in indicators:
        by_round = totals.get(indicator.id, {})
        all_rounds = sorted(set(rounds) | set(by_round), key=round_key)
        points = tuple(
            RoundPoint(
                round=name,
                value=by_round[name][0] if name in by_round else None,
                completion=completion(indicator.comparator, indicator.target, by_round[name][0])
                if name in by_round
                else None,
                expected=_expected(work, indicator, year, name),
                reported_at=by_round[name][1] if name in by_round else None,
                replaced=tuple(replaced.get((indicator.id, name), ())),
            )
            for name in all_rounds
        )
        latest = [
            p for p in points if p.value is not None and (chosen is None or round_key(p.round) <= round_key(chosen))
        ]
        value_point = latest[-1] if latest else None
        expected = _expected(work, indicator, year, chosen)
        done = value_point.completion if value_point else None
        light = progress_light(work.runtime.config, expected, done) if indicator.active else None
        views.append(
            IndicatorView(
                id=indicator.id,
                key_task_id=indicator.key_task_id,
                plan_id=indicator.plan_id,
                name=indicator.name,
                comparator=str(indicator.comparator),
                comparator_label=Comparator.label_of(indicator.comparator),
                target=indicator.target,
                measure=indicator.measure,
                source=str(indicator.source),
                source_text=indicator.source_text,
                responsible_unit_id=indicator.responsible_unit_id,
                responsible_unit=units.get(indicator.responsible_unit_id) if indicator.responsible_unit_id else None,
                schedule=tuple(indicator.schedule or ()),
                active=indicator.active,
                retired_at=indicator.retired_at,
                retire_reason=indicator.retire_reason,
                created_at=indicator.created_at,
                updated_at=indicator.updated_at,
                value=value_point.value if value_point else None,
                value_round=value_point.round if value_point else None,
                completion=done,
                expected=expected,
                light=light.value if light else None,
                shares=tuple(shares.get(indicator.id, ())),
                points=points,
            )
        )
    return tuple(views)


@dataclass(frozen=True)
class ReportLine:
    """The lead unit's current progress report of one round (or of the year's 销号)."""

    round: str
    percent: float | None
    problems: str
    next_steps: str
    reported_at: datetime
    unit: str
    versions: int  # how many times it was given (a report given again after a 退回 counts twice)


def report_history(work: Work, actor: Actor, key_task_id: int) -> tuple[ReportLine, ...]:
    """The key task's progress reports round by round, oldest first (whoever sees the key task)."""
    session = work.session
    authz.ensure_sees_key_task(session, actor, key_task_id)
    rows = session.execute(
        select(ProgressReport, Unit.name)
        .join(Unit, Unit.id == ProgressReport.unit_id)
        .where(ProgressReport.key_task_id == key_task_id, ProgressReport.part == ReportPart.TOTAL)
        .order_by(ProgressReport.reported_at, ProgressReport.id)
    ).all()
    versions: dict[str, int] = {}
    current: dict[str, ReportLine] = {}
    for report, unit in rows:
        versions[report.round] = versions.get(report.round, 0) + 1
        if report.superseded_at is None:
            current[report.round] = ReportLine(
                report.round, report.percent, report.problems, report.next_steps, report.reported_at, unit, 0
            )
    return tuple(
        ReportLine(**{**line.__dict__, "versions": versions[name]})
        for name, line in sorted(current.items(), key=lambda item: round_key(item[0]))
    )


@dataclass(frozen=True)
class CycleReport:
    """A unit's current progress report in a cycle, as the review steps and a report given again read it."""

    percent: float | None
    problems: str
    next_steps: str
    values: dict[int, float]
    reported_at: datetime


def cycle_report(work: Work, cycle_id: int, unit_id: int | None = None) -> CycleReport | None:
    """The current report of a cycle: the lead unit's consolidated one, or ``unit_id``'s. No
    authorization: the caller reads it for a step the actor may see."""
    query = select(ProgressReport).where(ProgressReport.cycle_id == cycle_id, ProgressReport.superseded_at.is_(None))
    if unit_id is None:
        query = query.where(ProgressReport.part == ReportPart.TOTAL)
    else:
        query = query.where(ProgressReport.unit_id == unit_id)
    report = work.session.scalars(query.order_by(ProgressReport.id.desc()).limit(1)).first()
    if report is None:
        return None
    values = dict(
        work.session.execute(
            select(IndicatorValue.indicator_id, IndicatorValue.value).where(IndicatorValue.report_id == report.id)
        ).all()
    )
    return CycleReport(report.percent, report.problems, report.next_steps, values, report.reported_at)

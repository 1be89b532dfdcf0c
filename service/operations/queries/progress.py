"""Indicators and progress as pages and the API read them: each indicator with its value by round,
its completion against its 序时进度 and its progress light; a key task's progress light; the lights of
many key tasks at once (ledger, 统计, scores, the bulletin) in a few set-based queries.

The value of an indicator at a round is the latest cumulative value the lead unit reported in that
round or an earlier one (current reports only: a report given again after a 退回 replaces the earlier
one, which stays in ``history``). See ``operations/year/schedule.py`` for 序时 and the light rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from db.models import Cycle, Indicator, IndicatorValue, KeyTask, Plan, ProgressReport, Unit

from ...errors import NotFound
from ...runtime import Work
from ...vocabulary import Comparator, Light, ReportPart
from ..common import authz
from ..common.actor import Actor
from ..year.schedule import (
    completion,
    elapsed_share,
    expected_share,
    progress_light,
    round_due_date,
    worst_light,
    year_of,
)


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
    def target_text(self) -> str:
        return f"{self.comparator} {format_number(self.target)} {self.measure}".strip()


@dataclass(frozen=True)
class KeyTaskProgress:
    """A key task's progress at a round: the lead unit's reported completion and the lights."""

    key_task_id: int
    round: str | None
    expected: float | None  # 序时 by working days at the round's due date
    percent: float | None  # the completion the lead unit reported (latest up to the round)
    light: str | None  # the worst indicator light; from ``percent`` when no indicator has one
    problems: str = ""
    next_steps: str = ""
    reported_at: datetime | None = None


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


def _round_key(name: str) -> tuple[int, str]:
    return (year_of(name) or 0, name)


def _not_after(name: str, chosen: str) -> bool:
    return _round_key(name) <= _round_key(chosen)


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
        sorted(set(session.scalars(select(Cycle.round).where(Cycle.key_task_id == key_task_id))), key=_round_key)
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
        line.append((name, elapsed_share(calendar, year or due.year, due) if due else None))
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
    return expected_share(work.runtime.calendar, year or due.year, due, indicator.schedule or None)


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
        all_rounds = sorted(set(rounds) | set(by_round), key=_round_key)
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
            p for p in points if p.value is not None and (chosen is None or _round_key(p.round) <= _round_key(chosen))
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


def key_task_progress(
    work: Work, key_task_ids: Iterable[int], round_name: str | None, *, years: dict[int, int | None] | None = None
) -> dict[int, KeyTaskProgress]:
    """Each key task's progress light at a round, in three set-based queries (no authorization:
    callers have chosen the key tasks the actor may see). A key task's light is the worst light of
    its active indicators; without one that has a light, its reported completion against 序时."""
    session = work.session
    wanted = list(dict.fromkeys(key_task_ids))
    if not wanted or round_name is None:
        return {kt: KeyTaskProgress(kt, round_name, None, None, None) for kt in wanted}
    if years is None:
        years = dict(
            session.execute(
                select(KeyTask.id, Plan.year).join(Plan, Plan.id == KeyTask.plan_id).where(KeyTask.id.in_(wanted))
            ).all()
        )
    due = round_due_date(work.runtime, round_name)
    calendar = work.runtime.calendar
    config = work.runtime.config
    reports = session.execute(
        select(
            ProgressReport.key_task_id,
            ProgressReport.id,
            ProgressReport.round,
            ProgressReport.percent,
            ProgressReport.problems,
            ProgressReport.next_steps,
            ProgressReport.reported_at,
        ).where(
            ProgressReport.key_task_id.in_(wanted),
            ProgressReport.part == ReportPart.TOTAL,
            ProgressReport.superseded_at.is_(None),
        )
    ).all()
    latest_report: dict[int, Any] = {}
    report_round: dict[int, str] = {}
    for row in sorted(reports, key=lambda r: _round_key(r.round)):
        if _not_after(row.round, round_name):
            latest_report[row.key_task_id] = row
            report_round[row.id] = row.round
    indicators = session.execute(
        select(Indicator.id, Indicator.key_task_id, Indicator.comparator, Indicator.target, Indicator.schedule).where(
            Indicator.key_task_id.in_(wanted), Indicator.active.is_(True)
        )
    ).all()
    values: dict[int, tuple[str, float]] = {}
    if indicators:
        value_rows = session.execute(
            select(IndicatorValue.indicator_id, IndicatorValue.value, IndicatorValue.report_id).where(
                IndicatorValue.indicator_id.in_([i.id for i in indicators]),
                IndicatorValue.report_id.in_(list(report_round) or [-1]),
            )
        ).all()
        for indicator_id, value, report_id in value_rows:
            name = report_round[report_id]
            if indicator_id not in values or _round_key(values[indicator_id][0]) < _round_key(name):
                values[indicator_id] = (name, value)
    lights: dict[int, list[Light | None]] = {}
    for indicator in indicators:
        if due is None:
            break
        share = expected_share(calendar, years.get(indicator.key_task_id) or due.year, due, indicator.schedule)
        got = values.get(indicator.id)
        done = completion(indicator.comparator, indicator.target, got[1]) if got else None
        lights.setdefault(indicator.key_task_id, []).append(progress_light(config, share, done))
    out = {}
    for key_task_id in wanted:
        expected = elapsed_share(calendar, years.get(key_task_id) or due.year, due) if due else None
        report = latest_report.get(key_task_id)
        percent: float | None = report.percent if report is not None else None
        light = worst_light(lights.get(key_task_id, ())) or progress_light(config, expected, percent)
        out[key_task_id] = KeyTaskProgress(
            key_task_id=key_task_id,
            round=round_name,
            expected=expected,
            percent=percent,
            light=light.value if light else None,
            problems=report.problems if report is not None else "",
            next_steps=report.next_steps if report is not None else "",
            reported_at=report.reported_at if report is not None else None,
        )
    return out

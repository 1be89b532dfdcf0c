"""Progress lights of many indicators and key tasks at once (the ledger, 统计, scores, the bulletin),
in a few set-based queries: the values are rows (``progress_reports``, ``indicator_values``); only
the light rule of ``operations/year/schedule.py`` runs in Python, over the aggregated rows.

The value of an indicator at a round is the latest cumulative value the lead unit reported in that
round or an earlier one (current reports only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, true

from db.models import Indicator, IndicatorValue, KeyTask, Plan, ProgressReport

from ...runtime import Work
from ...vocabulary import Light, ReportPart
from ..year.schedule import (
    completion,
    elapsed_share,
    expected_share,
    measured_year,
    progress_light,
    round_due_date,
    worst_light,
    year_of,
)


def round_key(name: str) -> tuple[int, str]:
    """Rounds in time order: by year, then by name (2024-Q1 < 2024-Q4 < 2024-销号 < 2025-Q1)."""
    return (year_of(name) or 0, name)


@dataclass(frozen=True)
class IndicatorLight:
    indicator_id: int
    key_task_id: int
    responsible_unit_id: int | None
    value: float | None
    completion: float | None
    expected: float | None
    light: Light | None


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


def _current_reports(work: Work, round_name: str, where: ColumnElement[bool]) -> list[Any]:
    """The lead units' current reports of the chosen key tasks up to the round, oldest round first."""
    rows = work.session.execute(
        select(
            ProgressReport.key_task_id,
            ProgressReport.id,
            ProgressReport.round,
            ProgressReport.percent,
            ProgressReport.problems,
            ProgressReport.next_steps,
            ProgressReport.reported_at,
        ).where(where, ProgressReport.part == ReportPart.TOTAL, ProgressReport.superseded_at.is_(None))
    ).all()
    wanted = round_key(round_name)
    return sorted((r for r in rows if round_key(r.round) <= wanted), key=lambda r: round_key(r.round))


def indicator_lights(
    work: Work,
    round_name: str,
    *,
    key_task_ids: Iterable[int] | None = None,
    years: dict[int, int | None] | None = None,
) -> tuple[list[IndicatorLight], list[Any]]:
    """The light of every active key-task indicator at a round (of the chosen key tasks, or all),
    and the lead units' current reports up to the round (for the key tasks' own figures)."""
    session = work.session
    wanted = None if key_task_ids is None else list(dict.fromkeys(key_task_ids))
    scope: ColumnElement[bool] = true() if wanted is None else ProgressReport.key_task_id.in_(wanted)
    reports = _current_reports(work, round_name, scope)
    report_round = {r.id: r.round for r in reports}
    query = (
        select(
            Indicator.id,
            Indicator.key_task_id,
            Indicator.responsible_unit_id,
            Indicator.comparator,
            Indicator.target,
            Indicator.schedule,
            Plan.year,
        )
        .join(Plan, Plan.id == Indicator.plan_id)
        .where(Indicator.key_task_id.is_not(None), Indicator.active.is_(True))
    )
    if wanted is not None:
        query = query.where(Indicator.key_task_id.in_(wanted))
    indicators = session.execute(query).all()
    values: dict[int, tuple[str, float]] = {}
    if indicators and report_round:
        rows = session.execute(
            select(IndicatorValue.indicator_id, IndicatorValue.value, IndicatorValue.report_id).where(
                IndicatorValue.report_id.in_(list(report_round))
            )
        ).all()
        for indicator_id, value, report_id in rows:
            name = report_round[report_id]
            if indicator_id not in values or round_key(values[indicator_id][0]) < round_key(name):
                values[indicator_id] = (name, value)
    due = round_due_date(work.runtime, round_name)
    calendar, config = work.runtime.calendar, work.runtime.config
    out = []
    for row in indicators:
        expected = (
            expected_share(calendar, measured_year(round_name, row.year, due), due, row.schedule) if due else None
        )
        got = values.get(row.id)
        done = completion(row.comparator, row.target, got[1]) if got else None
        out.append(
            IndicatorLight(
                indicator_id=row.id,
                key_task_id=row.key_task_id,
                responsible_unit_id=row.responsible_unit_id,
                value=got[1] if got else None,
                completion=done,
                expected=expected,
                light=progress_light(config, expected, done),
            )
        )
    return out, reports


def key_task_progress(
    work: Work, key_task_ids: Iterable[int], round_name: str | None, *, years: dict[int, int | None] | None = None
) -> dict[int, KeyTaskProgress]:
    """Each key task's progress at a round (no authorization: callers have chosen the key tasks the
    actor may see). Its light is the worst light of its active indicators; without one that has a
    light, its reported completion against 序时 by working days."""
    return progress_and_lights(work, key_task_ids, round_name, years=years)[0]


def progress_and_lights(
    work: Work, key_task_ids: Iterable[int], round_name: str | None, *, years: dict[int, int | None] | None = None
) -> tuple[dict[int, KeyTaskProgress], list[IndicatorLight]]:
    """``key_task_progress`` and the indicator lights it was computed from, from one pass."""
    wanted = list(dict.fromkeys(key_task_ids))
    if not wanted or round_name is None:
        return {kt: KeyTaskProgress(kt, round_name, None, None, None) for kt in wanted}, []
    if years is None:
        years = dict(
            work.session.execute(
                select(KeyTask.id, Plan.year).join(Plan, Plan.id == KeyTask.plan_id).where(KeyTask.id.in_(wanted))
            ).all()
        )
    lights_of, reports = indicator_lights(work, round_name, key_task_ids=wanted)
    latest = {r.key_task_id: r for r in reports}  # oldest round first: the last one wins
    lights: dict[int, list[Light | None]] = {}
    for item in lights_of:
        lights.setdefault(item.key_task_id, []).append(item.light)
    due = round_due_date(work.runtime, round_name)
    calendar, config = work.runtime.calendar, work.runtime.config
    out = {}
    for key_task_id in wanted:
        expected = elapsed_share(calendar, measured_year(round_name, years.get(key_task_id), due), due) if due else None
        report = latest.get(key_task_id)
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
    return out, lights_of

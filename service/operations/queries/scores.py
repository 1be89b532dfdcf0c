"""考评 and 打擂台: every scored unit's points in a round, by rule, ranked within its league.

The rules and their points are config.toml ``[scoring]`` (README explains each). Everything is
counted by the database from the round's rows — the units' human tasks (done by or after their
deadline, or still open past it), the escalations they reached, the decisions on their reports, the
indicators they answer for (their progress lights), the 销号 of the key tasks they lead, and the
office's 加减分 — never by loading a cycle. Python only multiplies the counts by the points and ranks.

Until the office publishes a round (``operations/assessment/league.py``) only the office, the leaders
and the admins read it, computed afresh; once published, everyone reads the published tables, and a
unit sees its own breakdown only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from db.models import (
    Cycle,
    Escalation,
    HumanTask,
    HumanTaskState,
    LeaguePublication,
    ScoreAdjustment,
    Unit,
    User,
)

from ...errors import NotFound
from ...runtime import Work
from ...vocabulary import CycleKind, CycleStatus, EscalationLevel, HumanTaskOutcome, League, Light, ScoreRule
from ..common import authz
from ..common.actor import Actor
from ..year.schedule import period_of
from .progress_lights import indicator_lights, round_key

RETURNED, REJECTED = "return", "reject"  # the diagram's backward decisions on a report


@dataclass(frozen=True)
class RulePoints:
    rule: str
    label: str
    count: float  # how often the rule applied (for 加减分: the sum of the points given)
    each: float  # points per time (1 for 加减分)
    points: float


@dataclass(frozen=True)
class UnitScore:
    unit_id: int
    unit: str
    league: str
    total: float
    rank: int
    breakdown: tuple[RulePoints, ...]  # empty for another unit's row a unit reads
    previous_total: float | None = None
    previous_rank: int | None = None

    @property
    def change(self) -> float | None:
        return None if self.previous_total is None else round(self.total - self.previous_total, 2)

    @property
    def rank_change(self) -> int | None:
        """Places gained since the last round (negative: lost)."""
        return None if self.previous_rank is None else self.previous_rank - self.rank


@dataclass(frozen=True)
class LeagueTable:
    league: str
    label: str
    units: tuple[UnitScore, ...]


@dataclass(frozen=True)
class Adjustment:
    id: int
    unit_id: int
    unit: str
    points: float
    reason: str
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True)
class Scores:
    round: str
    previous_round: str | None
    computed_at: datetime
    published_at: datetime | None
    published_by: str | None
    tables: tuple[LeagueTable, ...]
    adjustments: tuple[Adjustment, ...] = field(default_factory=tuple)

    @property
    def published(self) -> bool:
        return self.published_at is not None


def score_rounds(work: Work) -> tuple[str, ...]:
    """The reporting rounds that can be scored (those with cycles or a publication), latest first."""
    names = set(work.session.scalars(select(Cycle.round).where(Cycle.kind == CycleKind.ROUND).distinct()))
    names |= set(work.session.scalars(select(LeaguePublication.round)))
    return tuple(sorted(names, key=round_key, reverse=True))


def scores(work: Work, actor: Actor, round_name: str | None = None) -> Scores:
    """The league tables of a round (default: the latest scored round).

    Raises NotFound when the round has nothing to score, or (for a unit) is not published yet."""
    rounds = score_rounds(work)
    round_name = round_name or (rounds[0] if rounds else None)
    if round_name is None or round_name not in rounds:
        raise NotFound(f"没有 {round_name or '任何'} 轮次的考评记录")
    published = work.session.scalar(select(LeaguePublication).where(LeaguePublication.round == round_name))
    if not authz.sees_all_scores(actor):
        if published is None:
            raise NotFound(f"{round_name} 轮次的考评结果尚未发布")
        return _for_unit(from_publication(published, _name_of(work, published.published_by_id)), actor)
    if published is not None:
        result = from_publication(published, _name_of(work, published.published_by_id))
        return Scores(**{**result.__dict__, "adjustments": adjustments(work, round_name)})
    return compute(work, round_name, rounds)


def compute(work: Work, round_name: str, rounds: tuple[str, ...] | None = None) -> Scores:
    """Scores of a round as its rows stand now, with the previous round's for the change."""
    rounds = rounds if rounds is not None else score_rounds(work)
    earlier = [r for r in rounds if round_key(r) < round_key(round_name)]
    previous_round = max(earlier, key=round_key) if earlier else None
    units = _scored_units(work)
    base = float(work.runtime.config.scoring.base)
    now_points = _points(work, round_name, units)
    before: dict[int, tuple[float, int]] = {}
    if previous_round is not None:
        published = work.session.scalar(select(LeaguePublication).where(LeaguePublication.round == previous_round))
        if published is not None:
            before = {
                row["unit_id"]: (row["total"], row["rank"])
                for table in published.tables["tables"]
                for row in table["units"]
            }
        else:
            for table in _rank(base, units, _points(work, previous_round, units), {}):
                before.update({u.unit_id: (u.total, u.rank) for u in table.units})
    return Scores(
        round=round_name,
        previous_round=previous_round,
        computed_at=work.now,
        published_at=None,
        published_by=None,
        tables=_rank(base, units, now_points, before),
        adjustments=adjustments(work, round_name),
    )


def _scored_units(work: Work) -> dict[int, tuple[str, League]]:
    out = {}
    for unit_id, name, kind in work.session.execute(
        select(Unit.id, Unit.name, Unit.kind).where(Unit.active.is_(True)).order_by(Unit.id)
    ):
        league = League.of_kind(kind)
        if league is not None:
            out[unit_id] = (name, league)
    return out


def _points(work: Work, round_name: str, units: dict[int, tuple[str, League]]) -> dict[int, list[RulePoints]]:
    counts = _counts(work, round_name)
    config = work.runtime.config.scoring
    out: dict[int, list[RulePoints]] = {}
    for unit_id in units:
        rows = []
        for rule in ScoreRule:
            if rule == ScoreRule.ADJUSTMENT:
                given = counts[rule].get(unit_id, 0.0)
                if given:
                    rows.append(RulePoints(rule.value, rule.label, given, 1.0, round(given, 2)))
                continue
            count = counts[rule].get(unit_id, 0)
            if count:
                each = float(getattr(config, rule.value))
                rows.append(RulePoints(rule.value, rule.label, count, each, round(count * each, 2)))
        out[unit_id] = rows
    return out


def _counts(work: Work, round_name: str) -> dict[ScoreRule, Counter[int]]:
    """How often each rule applies to each unit in the round: one grouped query per kind of row."""
    session, now = work.session, work.now
    counts: dict[ScoreRule, Counter[int]] = {rule: Counter() for rule in ScoreRule}
    in_round = and_(Cycle.id == HumanTask.cycle_id, Cycle.round == round_name, Cycle.kind == CycleKind.ROUND)
    done = HumanTask.state == HumanTaskState.DONE
    # 逾期未报 (an input closed by 截止汇总, issue 11) stays against its unit as an overdue step.
    missed = HumanTask.outcome == HumanTaskOutcome.MISSED
    late = or_(
        and_(done, HumanTask.completed_at > HumanTask.due_at),
        and_(HumanTask.state == HumanTaskState.OPEN, HumanTask.due_at < now),
        missed,
    )
    for unit_id, on_time, overdue in session.execute(
        select(
            HumanTask.unit_id,
            func.sum(case((and_(done, HumanTask.completed_at <= HumanTask.due_at), 1), else_=0)),
            func.sum(case((late, 1), else_=0)),
        )
        .join(Cycle, in_round)
        .where(HumanTask.unit_id.is_not(None), or_(HumanTask.state != HumanTaskState.CANCELLED, missed))
        .group_by(HumanTask.unit_id)
    ):
        counts[ScoreRule.ON_TIME_STEP][unit_id] = int(on_time or 0)
        counts[ScoreRule.OVERDUE_STEP][unit_id] = int(overdue or 0)
    levels = {EscalationLevel.CUIBAN: ScoreRule.CUIBAN, EscalationLevel.DUBAN: ScoreRule.DUBAN}
    for unit_id, level, n in session.execute(
        select(Escalation.unit_id, Escalation.level, func.count())
        .join(Cycle, and_(Cycle.id == Escalation.cycle_id, Cycle.round == round_name, Cycle.kind == CycleKind.ROUND))
        .where(Escalation.unit_id.is_not(None), Escalation.level.in_([int(level) for level in levels]))
        .group_by(Escalation.unit_id, Escalation.level)
    ):
        counts[levels[EscalationLevel(level)]][unit_id or 0] += int(n)
    sent_back = {RETURNED: ScoreRule.RETURNED, REJECTED: ScoreRule.REJECTED}
    for unit_id, decision, n in session.execute(
        select(Cycle.lead_unit_id, HumanTask.decision, func.count())
        .join(Cycle, in_round)
        .where(done, HumanTask.decision.in_(list(sent_back)))
        .group_by(Cycle.lead_unit_id, HumanTask.decision)
    ):
        counts[sent_back[str(decision)]][unit_id] += int(n)
    key_tasks = select(Cycle.key_task_id).where(Cycle.round == round_name, Cycle.kind == CycleKind.ROUND)
    lights, _reports = indicator_lights(work, round_name, key_task_ids=list(session.scalars(key_tasks)))
    for item in lights:
        if item.responsible_unit_id is None:
            continue
        if item.light == Light.GREEN:
            counts[ScoreRule.INDICATOR_ON_TRACK][item.responsible_unit_id] += 1
        elif item.light == Light.RED:
            counts[ScoreRule.INDICATOR_BEHIND][item.responsible_unit_id] += 1
    period = period_of(round_name)
    if period is not None:
        tz = work.runtime.config.tz
        start = datetime.combine(date(period.year, period.first_month, 1), time(0), tz)
        after = period.next()
        end = min(datetime.combine(date(after.year, after.first_month, 1), time(0), tz), work.now + timedelta(days=1))
        year_end = datetime.combine(date(period.year + 1, 1, 1), time(0), tz)
        for unit_id, n in session.execute(
            select(Cycle.lead_unit_id, func.count())
            .where(
                Cycle.kind == CycleKind.CLOSING,
                Cycle.status == CycleStatus.CLOSED,
                Cycle.closed_at >= start,
                Cycle.closed_at < min(end, year_end),
                Cycle.round.like(f"{period.year}-%"),
            )
            .group_by(Cycle.lead_unit_id)
        ):
            counts[ScoreRule.CLOSED_ON_TIME][unit_id] += int(n)
    for unit_id, points in session.execute(
        select(ScoreAdjustment.unit_id, func.sum(ScoreAdjustment.points))
        .where(ScoreAdjustment.round == round_name)
        .group_by(ScoreAdjustment.unit_id)
    ):
        counts[ScoreRule.ADJUSTMENT][unit_id] = float(points or 0)  # type: ignore[assignment]
    return counts


def _rank(
    base: float,
    units: dict[int, tuple[str, League]],
    points: dict[int, list[RulePoints]],
    before: dict[int, tuple[float, int]],
) -> tuple[LeagueTable, ...]:
    """Each league's units by total (``base`` plus their points), highest first; equal totals share a rank."""
    tables = []
    for league in League:
        rows = [(uid, name) for uid, (name, lg) in units.items() if lg == league]
        scored = []
        for unit_id, name in rows:
            breakdown = tuple(points.get(unit_id, ()))
            total = round(base + sum(p.points for p in breakdown), 2)
            scored.append((unit_id, name, total, breakdown))
        scored.sort(key=lambda s: (-s[2], s[1]))
        ranked = []
        rank, last = 0, None
        for position, (unit_id, name, total, breakdown) in enumerate(scored, start=1):
            if total != last:
                rank, last = position, total
            previous = before.get(unit_id)
            ranked.append(
                UnitScore(
                    unit_id=unit_id,
                    unit=name,
                    league=league.value,
                    total=total,
                    rank=rank,
                    breakdown=breakdown,
                    previous_total=previous[0] if previous else None,
                    previous_rank=previous[1] if previous else None,
                )
            )
        tables.append(LeagueTable(league=league.value, label=league.label, units=tuple(ranked)))
    return tuple(tables)


def adjustments(work: Work, round_name: str) -> tuple[Adjustment, ...]:
    rows = work.session.execute(
        select(ScoreAdjustment, Unit.name, User.display_name)
        .join(Unit, Unit.id == ScoreAdjustment.unit_id)
        .outerjoin(User, User.id == ScoreAdjustment.created_by_id)
        .where(ScoreAdjustment.round == round_name)
        .order_by(ScoreAdjustment.id)
    ).all()
    return tuple(Adjustment(a.id, a.unit_id, unit, a.points, a.reason, a.created_at, by) for a, unit, by in rows)


# -- publications: the tables as published, and what a unit reads of them ----------------------


def as_published(result: Scores) -> dict[str, Any]:
    """The tables in the form a publication keeps (JSON)."""
    return {
        "round": result.round,
        "previous_round": result.previous_round,
        "computed_at": result.computed_at.isoformat(),
        "tables": [
            {
                "league": table.league,
                "label": table.label,
                "units": [
                    {
                        "unit_id": u.unit_id,
                        "unit": u.unit,
                        "total": u.total,
                        "rank": u.rank,
                        "previous_total": u.previous_total,
                        "previous_rank": u.previous_rank,
                        "breakdown": [p.__dict__ for p in u.breakdown],
                    }
                    for u in table.units
                ],
            }
            for table in result.tables
        ],
    }


def from_publication(published: LeaguePublication, published_by: str | None) -> Scores:
    kept = published.tables
    return Scores(
        round=published.round,
        previous_round=kept.get("previous_round"),
        computed_at=datetime.fromisoformat(kept["computed_at"]),
        published_at=published.published_at,
        published_by=published_by,
        tables=tuple(
            LeagueTable(
                league=table["league"],
                label=table["label"],
                units=tuple(
                    UnitScore(
                        unit_id=u["unit_id"],
                        unit=u["unit"],
                        league=table["league"],
                        total=u["total"],
                        rank=u["rank"],
                        breakdown=tuple(RulePoints(**p) for p in u["breakdown"]),
                        previous_total=u.get("previous_total"),
                        previous_rank=u.get("previous_rank"),
                    )
                    for u in table["units"]
                ),
            )
            for table in kept["tables"]
        ),
    )


def _for_unit(result: Scores, actor: Actor) -> Scores:
    """What a unit reads of published tables: every unit's total and rank, its own breakdown only."""
    tables = tuple(
        LeagueTable(
            table.league,
            table.label,
            tuple(
                u if u.unit_id == actor.unit_id else UnitScore(**{**u.__dict__, "breakdown": ()}) for u in table.units
            ),
        )
        for table in result.tables
    )
    return Scores(**{**result.__dict__, "tables": tables, "adjustments": ()})


def _name_of(work: Work, user_id: int | None) -> str | None:
    return work.session.scalar(select(User.display_name).where(User.id == user_id)) if user_id else None

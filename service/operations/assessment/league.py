"""The office's verbs on a round's scores: 加减分 (a manual adjustment with its reason) and 发布
(publishing the league tables, after which units read them and the round's scores stay as published).

Both are audited. A published round takes no more adjustments: what units read does not move.
"""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db.models import LeaguePublication, ScoreAdjustment, Unit

from ...errors import Conflict, Invalid, NotFound
from ...runtime import Work
from ...vocabulary import League
from ..common import audit, authz
from ..common.actor import Actor
from ..queries.scores import Scores, as_published, compute, score_rounds

MAX_POINTS = 100
MAX_REASON = 500


def add_adjustment(work: Work, actor: Actor, round_name: str, unit_id: int, points: object, reason: object) -> int:
    """加减分: ``points`` (non-zero, a multiple of 0.5 from -100 to 100; negative deducts) to a scored
    unit in a round that has
    something to score and is not published yet, with a reason. Returns the adjustment's id.

    Raises Forbidden (not the office), NotFound (no such round or unit), Conflict (published),
    Invalid (``points``, ``reason``, ``unit_id``)."""
    authz.ensure_can_adjust_scores(actor)
    _ensure_round(work, round_name)
    if work.session.scalar(select(LeaguePublication.id).where(LeaguePublication.round == round_name)):
        raise Conflict(f"{round_name} 轮次的打擂台结果已发布,不能再加减分")
    unit = work.session.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise NotFound(f"单位 {unit_id} 不存在或已停用")
    if League.of_kind(unit.kind) is None:
        raise Invalid(f"{unit.name}不参加考评(只有镇街和区直部门参加打擂台)", field="unit_id")
    rule = f"加减分应为 0.5 的整数倍,介于 -{MAX_POINTS} 与 {MAX_POINTS} 之间,且不为 0(负数为减分)"
    if isinstance(points, bool) or not isinstance(points, int | float) or not math.isfinite(points):
        raise Invalid(f"加减分应为数字:{rule}", field="points")
    if points == 0 or abs(points) > MAX_POINTS or (points * 2) != int(points * 2):
        raise Invalid(rule, field="points")
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise Invalid("请填写加减分理由", field="reason")
    if len(text) > MAX_REASON:
        raise Invalid(f"加减分理由不能超过 {MAX_REASON} 字", field="reason")
    row = ScoreAdjustment(
        round=round_name,
        unit_id=unit.id,
        points=float(points),
        reason=text,
        created_at=work.now,
        created_by_id=actor.user_id,
    )
    work.session.add(row)
    work.session.flush()
    audit.record(
        work,
        actor,
        "score.adjusted",
        unit_id=unit.id,
        data={"round": round_name, "unit": unit.name, "points": float(points), "reason": text, "adjustment_id": row.id},
    )
    return row.id


def remove_adjustment(work: Work, actor: Actor, adjustment_id: int) -> None:
    """Takes back a 加减分 (the office) while its round is not published. Audit:
    ``score.adjustment_removed`` with what it was.

    Raises Forbidden (not the office), NotFound (no such adjustment), Conflict (its round is
    published: what units read does not move)."""
    authz.ensure_can_adjust_scores(actor)
    row = work.session.get(ScoreAdjustment, adjustment_id, with_for_update=True)
    if row is None:
        raise NotFound(f"加减分记录 {adjustment_id} 不存在")
    if work.session.scalar(select(LeaguePublication.id).where(LeaguePublication.round == row.round)):
        raise Conflict(f"{row.round} 轮次的打擂台结果已发布,不能再删除加减分")
    unit = work.session.get(Unit, row.unit_id)
    audit.record(
        work,
        actor,
        "score.adjustment_removed",
        unit_id=row.unit_id,
        data={
            "round": row.round,
            "unit": unit.name if unit else None,
            "points": row.points,
            "reason": row.reason,
            "adjustment_id": row.id,
        },
    )
    work.session.delete(row)
    work.session.flush()


def publish_round(work: Work, actor: Actor, round_name: str) -> Scores:
    """发布: computes the round's league tables now and keeps them as published; from then on every
    unit reads them (and its own breakdown). Once per round.

    Raises Forbidden (not the office), NotFound (nothing to score), Conflict (published already; a
    second office member publishing at the same moment gets this too)."""
    authz.ensure_can_publish_league(actor)
    _ensure_round(work, round_name)
    if work.session.scalar(select(LeaguePublication.id).where(LeaguePublication.round == round_name)):
        raise Conflict(f"{round_name} 轮次的打擂台结果已经发布")
    result = compute(work, round_name)
    publication = LeaguePublication(
        round=round_name, published_at=work.now, published_by_id=actor.user_id, tables=as_published(result)
    )
    try:
        with work.session.begin_nested():
            work.session.add(publication)
    except IntegrityError:
        raise Conflict(f"{round_name} 轮次的打擂台结果刚刚由他人发布") from None
    audit.record(
        work,
        actor,
        "league.published",
        data={
            "round": round_name,
            "units": sum(len(t.units) for t in result.tables),
            "leaders": {t.league: t.units[0].unit for t in result.tables if t.units},
        },
    )
    return Scores(**{**result.__dict__, "published_at": work.now, "published_by": actor.display_name})


def _ensure_round(work: Work, round_name: str) -> None:
    if round_name not in score_rounds(work):
        raise NotFound(f"没有 {round_name} 轮次的考评记录")

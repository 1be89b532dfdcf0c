"""The demo's year: the round before the current one, played in full with indicator values and its
league table published; progress reports (values, completion, 存在问题, 下步打算) on the current
round's 汇总报送 and co-unit shares with their inputs; and one key task's 办结销号 under way.

Played on the same timeline as the current round (``round.py``): the previous round's events come
first, counted back in working days from today like the rest, so a first ``make run`` shows charts
and scores with something in them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from db.models import Cycle, HumanTask, HumanTaskState, Indicator

from ..operations.assessment.league import publish_round
from ..operations.cycles.complete import complete_human_task
from ..operations.cycles.start import start_cycle
from ..operations.supervision.rounds import round_of
from ..operations.year.closing import start_closing
from ..operations.year.progress import COUNTED
from ..runtime import Work

if TYPE_CHECKING:
    from .round import _Player

# How far each key task (by its place in the plan) has come, as a share of its targets: in the
# previous round, and now. A mix of on-track, lagging and far-behind tasks.
PREVIOUS_SHARE = (0.78, 0.72, 0.55, 0.80, 0.35, 0.70, 0.60, 0.74, 0.50, 0.76, 0.30, 0.65, 0.70, 0.45)
CURRENT_SHARE = (1.00, 0.95, 0.70, 0.96, 0.45, 0.92, 0.80, 0.97, 0.66, 0.93, 0.40, 0.88, 0.90, 0.60)
PROBLEMS = (
    "部分项目前期手续办理进度偏慢,用地、环评等要素保障仍需加强。",
    "个别责任单位报送不及时,数据口径与统计部门尚需衔接。",
    "受资金到位节奏影响,部分子项目开工时间推迟。",
    "",
)
NEXT_STEPS = (
    "对照年度目标倒排工期,每月调度一次,确保按期完成。",
    "加强与责任单位沟通对接,统一数据口径,按时报送。",
    "协调解决要素保障问题,推动项目尽快开工纳统。",
)


def previous_round_name(work: Work) -> str:
    """The round before the one open today."""
    today = work.now.astimezone(work.runtime.config.tz).date()
    current = round_of(work.runtime.config, today)
    start = today.replace(day=1, month=current.first_month) if current else today.replace(day=1)
    earlier = round_of(work.runtime.config, start - timedelta(days=1))
    return earlier.name if earlier else f"{start.year - 1}-Q4"


def progress_report(work: Work, key_task_id: int, share: float, rng: random.Random) -> dict[str, Any]:
    """A lead unit's progress report at ``share`` of its targets (values in each indicator's measure)."""
    values: dict[str, float] = {}
    for indicator in work.session.scalars(
        select(Indicator).where(Indicator.key_task_id == key_task_id, Indicator.active.is_(True))
    ):
        wiggle = share * rng.uniform(0.9, 1.08)
        if indicator.comparator.is_ceiling:  # the value comes down towards it
            value = indicator.target * (1 + max(0.0, 1 - wiggle))
        else:
            value = indicator.target * wiggle
        values[str(indicator.id)] = float(round(value)) if indicator.measure in COUNTED else round(value, 2)
    return {
        "percent": round(min(100.0, share * 100)),
        "problems": rng.choice(PROBLEMS) if share < 0.9 else "",
        "next_steps": rng.choice(NEXT_STEPS),
        "values": values,
    }


def share_report(work: Work, key_task_id: int, rng: random.Random) -> dict[str, Any] | None:
    """A co-unit's share: a small count towards each counted indicator, now and then."""
    values = {
        str(i.id): float(rng.randint(1, max(1, int(i.target // 8))))
        for i in work.session.scalars(
            select(Indicator).where(Indicator.key_task_id == key_task_id, Indicator.active.is_(True))
        )
        if i.measure in COUNTED and not i.comparator.is_ceiling and rng.random() < 0.5
    }
    return {"values": values} if values else None


def tell_previous_round(player: _Player, key_tasks: list[tuple[int, int, str]], round_name: str) -> None:
    """Every key task through the previous round, 50 to 38 working days back (a return now and then,
    one key task's inputs late); then the office publishes the round's league table."""
    rng = random.Random(2023)
    for index, (key_task_id, _number, _title) in enumerate(key_tasks):
        _tell_previous(player, key_task_id, index, round_name, rng)

    def publish(work: Work) -> None:
        publish_round(work, player.supervisor, round_name)

    player.add(player.at(36, "17:00"), publish)


def _tell_previous(player: _Player, key_task_id: int, index: int, round_name: str, rng: random.Random) -> None:
    state: dict[str, int] = {}
    reached = PREVIOUS_SHARE[index % len(PREVIOUS_SHARE)]

    def start(work: Work) -> None:
        state["cycle"] = start_cycle(work, player.supervisor, key_task_id, round_name).id
        player.summary.cycles += 1

    def step(step_id: str, **form: Any) -> Callable[[Work], None]:
        def run(work: Work) -> None:
            for task in _open(work, state["cycle"], step_id):
                actor = player.actor_for(task)
                given = dict(form)
                if step_id == "consolidate":
                    given["data"] = {"report": f"{actor.unit_name}关于本季度推进情况的报告:各项工作按计划推进。"}
                    given["progress"] = progress_report(work, key_task_id, reached, rng)
                elif step_id == "co_input":
                    given["data"] = {"text": f"{actor.unit_name}已按分工推进,相关台账资料已报牵头单位。"}
                complete_human_task(work, actor, task.id, **given)
                player.summary.steps_done += 1

        return run

    day = 50 - (index % 3)
    player.add(player.at(day, "09:00"), start)
    player.add(player.at(day, "10:00"), step("dispatch"))
    player.add(player.at(day - 1, "09:30"), step("sign_for"))
    # Task 5's co-units answer after their five working days: 逾期 and 催办 in that round.
    player.add(player.at(day - (8 if index == 4 else 3), "14:00"), step("co_input"))
    player.add(player.at(day - 9, "16:00"), step("consolidate"))
    if index in (2, 8):
        returned = step("review", decision="return", comment="请补充量化指标完成数据。")
        player.add(player.at(day - 10, "10:00"), returned)
        player.add(player.at(day - 10, "16:30"), step("consolidate"))
    player.add(player.at(day - 11, "10:00"), step("review", decision="pass"))
    player.add(player.at(day - 12, "15:00"), step("approve", decision="approve"))


def tell_closing(player: _Player, key_task_id: int) -> None:
    """The first key task, ahead of its targets, applies for 销号: the application is in, the
    office's review is open."""
    rng = random.Random(2025)
    state: dict[str, int] = {}

    def apply(work: Work) -> None:
        lead = work.session.scalar(select(Cycle.lead_unit_id).where(Cycle.key_task_id == key_task_id).limit(1))
        state["cycle"] = start_closing(work, player.head(lead or 0), key_task_id).id

    def fill(work: Work) -> None:
        (task,) = _open(work, state["cycle"], "apply")
        complete_human_task(
            work,
            player.actor_for(task),
            task.id,
            data={"summary": "本任务年度各项量化指标均已完成并超出目标,相关佐证材料已整理归档,申请办结销号。"},
            progress=progress_report(work, key_task_id, 1.05, rng),
        )
        player.summary.steps_done += 1

    player.add(player.at(3, "09:30"), apply)
    player.add(player.at(2, "15:00"), fill)


def _open(work: Work, cycle_id: int, step_id: str) -> list[HumanTask]:
    return list(
        work.session.scalars(
            select(HumanTask)
            .where(HumanTask.cycle_id == cycle_id, HumanTask.step_id == step_id, HumanTask.state == HumanTaskState.OPEN)
            .order_by(HumanTask.id)
        )
    )

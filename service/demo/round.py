"""A realistic reporting round for the demo data, played through the real operations.

A newcomer who logs in must see a living system: cycles standing at every step, some returned,
some rejected, some overdue and escalated, some closed, an extension asked for and one granted.
The round is played as a timeline of past events (start_cycle, complete_human_task, request and decide
an extension), each at its own instant, with the scheduler's passes (diagram timers, the
escalation ladder) run between them as they would have run. The instants are counted in working
days back from ``work.now``, so the lights are live whatever day the demo is loaded.

Everything happens in the caller's transaction (one ``Work`` whose ``now`` is moved event by
event), so a failure leaves nothing half-played. Played once: a plan that already has cycles is
left alone.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from db.models import Cycle, HumanTask, HumanTaskState, KeyTask, KeyTaskUnit, Role, UnitPart, User

from ..operations.common.actor import Actor
from ..operations.cycles.complete import complete_human_task
from ..operations.cycles.start import start_cycle
from ..operations.cycles.timers import advance_timers, due_timer_cycles
from ..operations.supervision.escalation_notices import notify_escalations
from ..operations.supervision.escalations import due_candidates, escalate, ladder
from ..operations.supervision.extensions import decide_extension, request_extension
from ..operations.supervision.rounds import round_of
from ..runtime import Work
from .year import CURRENT_SHARE, previous_round_name, progress_report, share_report, tell_closing, tell_previous_round

SUPERVISOR_USERNAME = "duchashi"
LEADER_USERNAME = "lingdao"


@dataclass
class RoundSummary:
    round: str | None = None
    cycles: int = 0
    steps_done: int = 0
    escalations: int = 0
    skipped: bool = False

    def describe(self) -> str:
        if self.skipped:
            return "演示轮次: 已存在,未重复办理"
        return (
            f"演示轮次 {self.round}: 启动办理周期 {self.cycles} 个, 办理步骤 {self.steps_done} 个, "
            f"提醒/催办/督办 {self.escalations} 次"
        )


# A cycle's story: on which working day (counted back from today) and at what time each step is
# done, and how.
@dataclass(frozen=True)
class Story:
    start: tuple[int, str]
    dispatch: tuple[int, str] | None = None
    sign_for: tuple[int, str] | None = None
    # (share of the co-units that answer, first day, last day): on-time answers spread over the days.
    co_input: tuple[float, int, int] | None = None
    # (how many of those answers come late, on which day): after the five working days allowed.
    late: tuple[int, int] = (0, 0)
    # Later steps in order: (step, day, time, decision, comment).
    after: tuple[tuple[str, int, str, str | None, str | None], ...] = ()
    # (step, day, time, working days more, granted by the supervisor at once)
    extension: tuple[str, int, str, int, bool] | None = None


RETURN_COMMENT = "报告中本季度量化指标完成情况不全,请补充技改项目和新登记市场主体的具体数据后重新报送。"
REJECT_COMMENT = "请核实重点项目投资完成额与统计部门口径是否一致,复核后再报。"
STORIES: tuple[Story, ...] = (
    # 1. closed, everything on time
    Story(
        (24, "09:00"),
        (24, "10:10"),
        (23, "09:40"),
        (1.0, 22, 20),
        after=(
            ("consolidate", 18, "16:20", None, None),
            ("review", 17, "10:05", "pass", None),
            ("approve", 16, "15:30", "approve", None),
        ),
    ),
    # 2. closed after one return; three co-units answered late
    Story(
        (25, "09:00"),
        (25, "09:50"),
        (24, "11:15"),
        (1.0, 23, 20),
        late=(3, 17),
        after=(
            ("consolidate", 15, "17:10", None, None),
            ("review", 14, "10:30", "return", RETURN_COMMENT),
            ("consolidate", 12, "16:00", None, None),
            ("review", 11, "09:45", "pass", None),
            ("approve", 10, "14:20", "approve", None),
        ),
    ),
    # 3. closed after the leader rejected it once; four co-units answered late
    Story(
        (22, "08:50"),
        (22, "09:30"),
        (21, "10:00"),
        (1.0, 20, 17),
        late=(4, 15),
        after=(
            ("consolidate", 14, "15:40", None, None),
            ("review", 13, "11:00", "pass", None),
            ("approve", 12, "16:00", "reject", REJECT_COMMENT),
            ("review", 11, "10:20", "pass", None),
            ("approve", 10, "09:30", "approve", None),
        ),
    ),
    # 4. returned yesterday; the lead unit asks for more time (pending)
    Story(
        (15, "09:10"),
        (15, "11:00"),
        (14, "10:40"),
        (1.0, 13, 10),
        late=(2, 7),
        after=(("consolidate", 6, "16:45", None, None), ("review", 1, "10:00", "return", RETURN_COMMENT)),
        extension=("consolidate", 0, "09:30", 3, False),
    ),
    # 5. the supervisor's review falls due tomorrow (yellow)
    Story(
        (14, "09:00"),
        (14, "10:00"),
        (13, "09:20"),
        (1.0, 12, 9),
        late=(3, 7),
        after=(("consolidate", 2, "15:00", None, None),),
    ),
    # 6. waiting for the leader's approval since this morning (green)
    Story(
        (16, "09:00"),
        (16, "09:40"),
        (15, "10:30"),
        (1.0, 14, 11),
        late=(5, 9),
        after=(("consolidate", 8, "16:30", None, None), ("review", 0, "09:40", "pass", None)),
    ),
    # 7. the consolidated report is long overdue: 催办, then 督办 (red)
    Story((22, "09:00"), (22, "09:30"), (21, "14:00"), (1.0, 20, 17), late=(6, 15)),
    # 8. co-units' inputs overdue, three in five answered: 催办 (red)
    Story((11, "09:00"), (11, "10:20"), (10, "09:10"), (0.6, 9, 6), late=(4, 3)),
    # 9. co-units' inputs due tomorrow, two in five answered (yellow)
    Story((5, "09:00"), (5, "09:45"), (4, "10:15"), (0.4, 3, 0)),
    # 10. signed for this morning; the first inputs arrive (green)
    Story((1, "09:30"), (1, "10:00"), (0, "09:00"), (0.12, 0, 0)),
    # 11. never signed for: 督办 (red)
    Story((10, "09:00"), (10, "09:20")),
    # 12. dispatched this morning; the lead unit got two more days to sign for
    Story((0, "08:45"), (0, "09:05"), extension=("sign_for", 0, "09:30", 2, True)),
    # 13. the supervisor's dispatch is due today (yellow)
    Story((1, "16:00")),
    # 14. started this morning (green)
    Story((0, "08:50")),
)

CO_INPUTS = (
    "{unit}已将该项任务纳入本单位年度重点工作,成立工作专班,本季度召开推进会{a}次,完成阶段目标的{b}%。",
    "{unit}按照分工推进,本季度完成{a}项具体工作,{b}%的年度目标已落实,下一步将加快进度。",
    "{unit}:相关工作正常推进,已报送台账资料{a}份,存在的困难是资金和用地指标紧张,建议统筹协调。",
    "{unit}已对照任务清单逐项落实,完成率约{b}%,已整理佐证材料{a}份,请牵头单位汇总。",
)
REPORT = (
    "{lead}关于“{title}”的季度推进情况报告\n一、总体进展:本季度共收到{n}家责任单位的报送,"
    "各项工作按计划推进,主要指标完成年度目标的{b}%。\n二、存在问题:部分单位进度偏慢,要素保障仍需加强。\n"
    "三、下步打算:对照年度目标倒排工期,每月调度一次,确保按时完成。"
)


@dataclass(order=True)
class _Event:
    at: datetime
    seq: int
    run: Callable[[Work], None] = field(compare=False)


class _Player:
    def __init__(self, work: Work) -> None:
        self.work = work
        self.runtime = work.runtime
        self.tz = work.runtime.config.tz
        self.now = work.now
        self.random = random.Random(2024)
        self.summary = RoundSummary()
        self.events: list[_Event] = []
        self._seq = 0
        session = work.session
        self.users: dict[tuple[int, str], Actor] = {}
        for user in session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)):
            self.users.setdefault((user.unit_id, user.role.value), Actor.of(user))
        by_name = {
            u.username: u
            for u in session.scalars(select(User).where(User.username.in_((SUPERVISOR_USERNAME, LEADER_USERNAME))))
        }
        self.supervisor = Actor.of(by_name[SUPERVISOR_USERNAME])
        self.leader = Actor.of(by_name[LEADER_USERNAME])
        self.last_tick: datetime | None = None

    # -- time -------------------------------------------------------------------------------
    def day(self, back: int) -> date:
        """The working day ``back`` working days before the latest working day up to today."""
        today = self.now.astimezone(self.tz).date()
        return self.runtime.calendar.back_working_days(today, back + 1)

    def at(self, back: int, clock: str) -> datetime:
        hours, minutes = (int(p) for p in clock.split(":"))
        when = datetime.combine(self.day(back), time(hours, minutes), self.tz)
        # Nothing in the future: what "today" holds that has not happened yet happens just now.
        return min(when, self.now - timedelta(minutes=1))

    def add(self, at: datetime, run: Callable[[Work], None]) -> None:
        self._seq += 1
        self.events.append(_Event(at, self._seq, run))

    # -- who --------------------------------------------------------------------------------
    def head(self, unit_id: int) -> Actor:
        return self.users.get((unit_id, Role.UNIT_HEAD.value)) or self.users[(unit_id, Role.UNIT_STAFF.value)]

    def staff(self, unit_id: int) -> Actor:
        return self.users.get((unit_id, Role.UNIT_STAFF.value)) or self.head(unit_id)

    def actor_for(self, task: HumanTask) -> Actor:
        """Who does a step: the office, the leader, or the unit's head."""
        if task.role == "supervisor":
            return self.supervisor
        if task.role == "leader":
            return self.leader
        assert task.unit_id is not None
        return self.head(task.unit_id)

    # -- the scheduler, as it would have run between events ------------------------------------
    def tick(self, work: Work) -> None:
        if self.last_tick is not None and work.now - self.last_tick < timedelta(hours=1):
            return
        self.last_tick = work.now
        for cycle_id in due_timer_cycles(work):
            advance_timers(work, cycle_id)
        for rung in ladder(self.runtime.config):
            batch = due_candidates(work, rung, limit=10_000)
            self.summary.escalations += len(escalate(work, rung, batch))
        notify_escalations(work)

    def run(self) -> None:
        for event in sorted(self.events):
            work = dataclasses.replace(self.work, now=event.at)
            self.tick(work)
            event.run(work)
        self.last_tick = None
        self.tick(dataclasses.replace(self.work, now=self.now))


def _open(work: Work, cycle_id: int, step_id: str) -> list[HumanTask]:
    return list(
        work.session.scalars(
            select(HumanTask)
            .where(HumanTask.cycle_id == cycle_id, HumanTask.step_id == step_id, HumanTask.state == HumanTaskState.OPEN)
            .order_by(HumanTask.id)
        )
    )


def _round_name(work: Work) -> str:
    today = work.now.astimezone(work.runtime.config.tz).date()
    found = round_of(work.runtime.config, today)
    return found.name if found else f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def play_demo_round(work: Work, plan_id: int) -> RoundSummary:
    """Plays the demo round for the plan's key tasks (by number, one story each), once."""
    session = work.session
    has_cycles = session.scalar(
        select(func.count())
        .select_from(Cycle)
        .join(KeyTask, KeyTask.id == Cycle.key_task_id)
        .where(KeyTask.plan_id == plan_id)
    )
    if has_cycles:
        return RoundSummary(skipped=True)
    player = _Player(work)
    round_name = _round_name(work)
    player.summary.round = round_name
    key_tasks = session.execute(
        select(KeyTask.id, KeyTask.number, KeyTask.title)
        .where(KeyTask.plan_id == plan_id, KeyTask.active.is_(True))
        .order_by(KeyTask.number)
    ).all()
    # The year so far: the previous round in full (values, a published league table), then this one.
    tell_previous_round(player, [(k.id, k.number, k.title) for k in key_tasks], previous_round_name(work))
    for index, ((key_task_id, _number, title), story) in enumerate(zip(key_tasks, STORIES, strict=False)):
        _tell(player, key_task_id, title, round_name, story, CURRENT_SHARE[index % len(CURRENT_SHARE)])
    if key_tasks:
        tell_closing(player, key_tasks[0][0])
    player.run()
    return player.summary


def _tell(player: _Player, key_task_id: int, title: str, round_name: str, story: Story, reached: float) -> None:
    """Puts one cycle's events on the player's timeline; its 汇总报送 reports ``reached`` of the targets."""
    state: dict[str, int] = {}

    def start(work: Work) -> None:
        started = start_cycle(work, player.supervisor, key_task_id, round_name)
        state["cycle"] = started.id
        state["lead"] = work.session.scalar(select(Cycle.lead_unit_id).where(Cycle.id == started.id)) or 0
        player.summary.cycles += 1

    player.add(player.at(*story.start), start)

    def complete(step_id: str, decision: str | None = None, comment: str | None = None) -> Callable[[Work], None]:
        def run(work: Work) -> None:
            (task,) = _open(work, state["cycle"], step_id)
            actor = player.actor_for(task)
            data = None
            progress = None
            if step_id == "consolidate":
                progress = progress_report(work, key_task_id, reached, player.random)
                answered = work.session.scalar(
                    select(func.count()).where(
                        HumanTask.cycle_id == state["cycle"],
                        HumanTask.step_id == "co_input",
                        HumanTask.state == HumanTaskState.DONE,
                    )
                )
                share = player.random.randint(60, 95)
                data = {"report": REPORT.format(lead=actor.unit_name, title=title, n=answered, b=share)}
            complete_human_task(work, actor, task.id, data=data, decision=decision, comment=comment, progress=progress)
            player.summary.steps_done += 1

        return run

    def answer(work: Work) -> None:
        # Whichever co-unit is next in the plan's order answers.
        task = _open(work, state["cycle"], "co_input")[0]
        assert task.unit_id is not None
        staff = player.staff(task.unit_id)
        text = player.random.choice(CO_INPUTS).format(
            unit=staff.unit_name, a=player.random.randint(2, 9), b=player.random.randint(40, 100)
        )
        complete_human_task(
            work, staff, task.id, data={"text": text}, progress=share_report(work, key_task_id, player.random)
        )
        player.summary.steps_done += 1

    if story.dispatch:
        player.add(player.at(*story.dispatch), complete("dispatch"))
    if story.sign_for:
        player.add(player.at(*story.sign_for), complete("sign_for"))
    if story.co_input and story.sign_for:
        share, first, last = story.co_input
        co_units = _co_unit_count(player.work, key_task_id)
        answers = co_units if share >= 1 else max(1, round(co_units * share))
        late_count, late_day = story.late
        signed = player.at(*story.sign_for)
        on_time = answers - late_count
        for index in range(answers):
            day = first - (index * (first - last + 1)) // max(1, on_time) if index < on_time else late_day
            # Spread over office hours; never before the step exists.
            at = player.at(day, "09:00") + timedelta(minutes=(index * 47) % 480)
            if at <= signed:
                at = signed + timedelta(minutes=10 + 7 * index)
            player.add(min(at, player.now - timedelta(minutes=1)), answer)
    for step_id, day, clock, decision, comment in story.after:
        player.add(player.at(day, clock), complete(step_id, decision, comment))
    if story.extension:
        step_id, day, clock, extra, granted = story.extension

        def ask(work: Work) -> None:
            (task,) = _open(work, state["cycle"], step_id)
            due_day = task.due_at.astimezone(player.tz).date()
            new_day, _basis = work.runtime.calendar.add_working_days(due_day, extra)
            view = request_extension(
                work,
                player.head(state["lead"]),
                task.id,
                new_due_date=new_day.isoformat(),
                reason="需等待第三方评估机构出具评估报告,并经单位党组会研究后方能报送,申请延期。",
            )
            state["extension"] = view.id

        def grant(work: Work) -> None:
            decide_extension(
                work, player.supervisor, state["extension"], decision="grant", comment="同意延期,请抓紧办理。"
            )

        asked = player.at(day, clock)
        player.add(asked, ask)
        if granted:
            player.add(min(asked + timedelta(minutes=25), player.now - timedelta(seconds=30)), grant)


def _co_unit_count(work: Work, key_task_id: int) -> int:
    """Co-units that give input: those listed as co-units and not also leading (as start_cycle counts)."""
    parts = work.session.execute(
        select(KeyTaskUnit.unit_id, KeyTaskUnit.part).where(KeyTaskUnit.key_task_id == key_task_id)
    ).all()
    leads = {unit for unit, part in parts if part == UnitPart.LEAD}
    return len({unit for unit, part in parts if part == UnitPart.CO and unit not in leads})

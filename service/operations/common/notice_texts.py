"""What every notice says, in one place: the verbs choose who hears of what, this module the words.

Every notice about a step names its key task by number and title and its round in Chinese, then
says what happened: ``重点任务5「培育经济增长点」2026年第四季度:汇总报送被退回``. One quotation style
everywhere: 「」 around a key task's title, nothing around a step's name (it follows the colon). Dates
are local (Asia/Shanghai as configured), ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM``.

A party that is a role (the supervision office, the leaders) is never addressed as a unit: their own
overdue step is a reminder to them (and to the leaders for the office's), not a 催办 "to the unit".

Pure functions: no database, no clock; the callers pass what the words need.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ...vocabulary import Assignee, EscalationLevel, NoticeKind, round_label

TITLE_MAX = 200  # notifications.title is String(200)


@dataclass(frozen=True)
class Words:
    """A notice's kind, title (one line) and body (may hold several lines)."""

    kind: NoticeKind
    title: str
    body: str


@dataclass(frozen=True)
class Subject:
    """The key task and round a notice is about."""

    number: int
    title: str
    round: str | None

    @property
    def label(self) -> str:
        """重点任务5「培育经济增长点」2026年第四季度"""
        return f"重点任务{self.number}「{self.title}」{round_label(self.round)}"


def _day(at: datetime, tz: object) -> str:
    return f"{at.astimezone(tz):%Y-%m-%d}"  # type: ignore[arg-type]


def _minute(at: datetime, tz: object) -> str:
    return f"{at.astimezone(tz):%Y-%m-%d %H:%M}"  # type: ignore[arg-type]


def _title(subject: Subject, what: str) -> str:
    text = f"{subject.label}:{what}"
    if len(text) <= TITLE_MAX:
        return text
    room = TITLE_MAX - len(what) - 1 - len(subject.label) + len(subject.title) - 1
    shortened = Subject(subject.number, subject.title[: max(room, 1)] + "…", subject.round)
    return f"{shortened.label}:{what}"[:TITLE_MAX]


def _said(comment: str | None, lead: str = "意见") -> str:
    return f"\n{lead}:{comment}" if comment else ""


# -- hand-offs of the flow ----------------------------------------------------------------------


def step_opened(subject: Subject, step: str, due_at: datetime, tz: object, *, unit: str | None) -> Words:
    """A step became ready for someone (a unit, or a role's people)."""
    whom = f"请{unit}" if unit else "请"
    return Words(
        NoticeKind.STEP_OPENED,
        _title(subject, f"{step}待办理"),
        f"{subject.label}的{step}已交办,{whom}于 {_minute(due_at, tz)} 前办理。",
    )


def step_returned(
    subject: Subject, step: str, decision: str, by_step: str, due_at: datetime, tz: object, comment: str | None
) -> Words:
    """A step sent back (退回, 驳回): it opens again for the one who did it before."""
    return Words(
        NoticeKind.STEP_RETURNED,
        _title(subject, f"{step}被{decision}"),
        f"{subject.label}的{step}在{by_step}环节被{decision},请修改后于 {_minute(due_at, tz)} 前重新办理。"
        + _said(comment, f"{decision}意见"),
    )


def cycle_closed(subject: Subject, last_step: str, decision: str | None, comment: str | None) -> Words:
    """The cycle ended (the last approval): the round's work on this key task is done."""
    how = f"{last_step}{decision}" if decision else last_step
    return Words(
        NoticeKind.CYCLE_CLOSED,
        _title(subject, "已办结"),
        f"{subject.label}已办结({how})。" + _said(comment),
    )


# -- the escalation ladder ----------------------------------------------------------------------


def reminder(subject: Subject, step: str, due_at: datetime, tz: object) -> Words:
    """提醒: the deadline is near."""
    return Words(
        NoticeKind.REMINDER,
        _title(subject, f"{step}将于{_day(due_at, tz)}到期"),
        f"{subject.label}的{step}将于 {_minute(due_at, tz)} 到期,请按时办理。",
    )


def cuiban(subject: Subject, step: str, due_at: datetime, tz: object, unit: str) -> Words:
    """催办 to a unit (its head, copied to the office) for a unit's overdue step."""
    return Words(
        NoticeKind.CUIBAN,
        _title(subject, f"{step}已逾期(催办)"),
        f"{subject.label}的{step}已于 {_day(due_at, tz)} 到期未办理,请{unit}负责同志督促尽快办理。(抄送督查室)",
    )


def duban(subject: Subject, step: str, due_at: datetime, tz: object, unit: str, days: int) -> Words:
    """督办 for a unit's step overdue ``days`` working days: to the leaders, the office and the unit."""
    return Words(
        NoticeKind.DUBAN,
        _title(subject, f"{step}逾期{days}个工作日(督办)"),
        f"{subject.label}的{step}自 {_day(due_at, tz)} 到期后逾期已达 {days} 个工作日,仍未办理,已列入督办({unit})。",
    )


def role_overdue(subject: Subject, step: str, due_at: datetime, tz: object, role: str, days: int | None) -> Words:
    """A role's own step overdue (the office's 审核, the leaders' 审批): a reminder to that role (and
    to the leaders for the office's), never a 催办 or 督办 addressed as if the role were a unit."""
    late = f"逾期已达 {days} 个工作日" if days else "已逾期"
    return Words(
        NoticeKind.OVERDUE_REMINDER,
        _title(subject, f"{role}的{step}{late}"),
        f"{subject.label}的{step}由{role}办理,已于 {_day(due_at, tz)} 到期,{late},请尽快办理。",
    )


def ladder_level_words(level: EscalationLevel, role: str) -> str:
    """How the ledger and the digest name a rung for this assignee (a role's 催办 is a reminder)."""
    if role != Assignee.UNIT and level > EscalationLevel.REMINDER:
        return "逾期提醒"
    return level.label


@dataclass(frozen=True)
class DigestLine:
    what: str  # 催办, 督办, 提醒, 逾期提醒
    subject: Subject
    step: str
    unit: str
    link: str  # the page of the human task


def digest(lines: Sequence[DigestLine]) -> Words:
    """One notice for many rungs one scheduler pass raised for the same person (after a gap)."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.what] = counts.get(line.what, 0) + 1
    summary = "、".join(f"{n} 项{what}" for what, n in counts.items())
    body = "\n".join(f"{line.what}:{line.subject.label}:{line.step}({line.unit})→ {line.link}" for line in lines)
    return Words(NoticeKind.DIGEST, f"您有 {summary}", f"本次定时检查共 {len(lines)} 项:\n{body}")


# -- extensions ---------------------------------------------------------------------------------


def extension_requested(
    subject: Subject, step: str, unit: str, old_day: str, new_day: str, days: int, needs_leader: bool, reason: str
) -> Words:
    leader = ",需区领导审批" if needs_leader else ""
    return Words(
        NoticeKind.EXTENSION_REQUESTED,
        _title(subject, f"{step}申请延期至{new_day}"),
        f"{unit}申请将{subject.label}的{step}期限由 {old_day} 延至 {new_day}(延长 {days} 个工作日{leader})。"
        f"\n理由:{reason}",
    )


def extension_forwarded(subject: Subject, step: str, new_day: str, days: int, leader_above: int) -> Words:
    return Words(
        NoticeKind.EXTENSION_FORWARDED,
        _title(subject, f"{step}延期申请待区领导审批"),
        f"督查室已同意{subject.label}的{step}延期至 {new_day}(延长 {days} 个工作日),"
        f"超过 {leader_above} 个工作日,需区领导审批。",
    )


def extension_granted(subject: Subject, step: str, new_day: str, comment: str | None) -> Words:
    return Words(
        NoticeKind.EXTENSION_GRANTED,
        _title(subject, f"{step}延期至{new_day}已批准"),
        f"{subject.label}的{step}延期申请已批准,新期限 {new_day};此前的催办按新期限重新计算。" + _said(comment),
    )


def extension_refused(subject: Subject, step: str, new_day: str, old_day: str, comment: str | None) -> Words:
    return Words(
        NoticeKind.EXTENSION_REFUSED,
        _title(subject, f"{step}延期未批准"),
        f"{subject.label}的{step}延期至 {new_day} 的申请未获批准,原期限 {old_day} 不变。" + _said(comment, "理由"),
    )


def extension_lapsed(subject: Subject, step: str, why: str) -> Words:
    """A pending request that ended with its step (done, waived, reassigned, cancelled): 已失效."""
    return Words(
        NoticeKind.EXTENSION_LAPSED,
        _title(subject, f"{step}延期申请已失效"),
        f"{subject.label}的{step}{why},其待审批的延期申请已失效。",
    )


# -- rounds ---------------------------------------------------------------------------------------


def round_opened(round_name: str, started: int, report_due: datetime, tz: object) -> Words:
    label = round_label(round_name)
    return Words(
        NoticeKind.ROUND_OPENED,
        f"{label}轮次已开启",
        f"{label}轮次已为 {started} 项重点任务启动办理周期,请及时交办;本轮报告截止 {_day(report_due, tz)}。",
    )


# -- the office's moves off the happy path (issue 11: urge, waive, reassign, decline, cancel) ---------


def urged(subject: Subject, step: str, unit: str, by: str, times: int, comment: str | None) -> Words:
    """催办 by hand (the office, or the lead unit on its co-units' inputs)."""
    nth = f"(第 {times} 次)" if times > 1 else ""
    return Words(
        NoticeKind.URGED,
        _title(subject, f"{step}催办{nth}"),
        f"{by}催办{subject.label}的{step},请{unit}尽快办理。" + _said(comment, "催办意见"),
    )


def waived(subject: Subject, step: str, unit: str, comment: str | None) -> Words:
    """免报: the office finished a co-unit's input as not required."""
    return Words(
        NoticeKind.WAIVED,
        _title(subject, f"{step}已免报"),
        f"督查室已将{unit}在{subject.label}的{step}免报,无需再办理。" + _said(comment, "理由"),
    )


def reassigned_to(
    subject: Subject, step: str, from_unit: str, due_at: datetime, tz: object, comment: str | None
) -> Words:
    """转办: a step now waits for this unit (a fresh deadline)."""
    return Words(
        NoticeKind.REASSIGNED_TO,
        _title(subject, f"{step}转办给你单位"),
        f"督查室将{subject.label}的{step}由{from_unit}转办给你单位,请于 {_minute(due_at, tz)} 前办理。"
        + _said(comment, "转办说明"),
    )


def reassigned_from(subject: Subject, step: str, to_unit: str, comment: str | None, *, later_rounds: bool) -> Words:
    """转办: the step no longer waits for this unit."""
    later = "以后各轮次也不再由你单位办理。" if later_rounds else ""
    return Words(
        NoticeKind.REASSIGNED_FROM,
        _title(subject, f"{step}已转办{to_unit}"),
        f"督查室已将{subject.label}的{step}转办给{to_unit},你单位无需再办理。{later}" + _said(comment, "转办说明"),
    )


def declined(subject: Subject, step: str, unit: str, comment: str | None) -> Words:
    """退回交办: a unit says a step is not its business; the office must decide."""
    return Words(
        NoticeKind.DECLINED,
        _title(subject, f"{unit}退回交办{step}"),
        f"{unit}认为{subject.label}的{step}不属于本单位职责,申请退回交办,请督查室决定转办或坚持交办。"
        + _said(comment, "理由"),
    )


def decline_insisted(subject: Subject, step: str, comment: str | None) -> Words:
    """The office's answer to a 退回交办: the step stays with the unit (维持交办). (The other answer,
    转办, is told by ``reassigned_to`` and ``reassigned_from``.)"""
    return Words(
        NoticeKind.DECLINE_INSISTED,
        _title(subject, f"{step}维持交办"),
        f"督查室维持交办:{subject.label}的{step}仍由你单位办理,请按期办理。" + _said(comment),
    )


def inputs_closed(subject: Subject, step: str, missing: Sequence[str], comment: str | None) -> Words:
    """截止汇总: the lead unit closed the round of inputs; the missing ones ended as 逾期未报."""
    late = f"未报单位({len(missing)}):{'、'.join(missing)},记为逾期未报。" if missing else "各单位均已报送。"
    return Words(
        NoticeKind.INPUTS_CLOSED,
        _title(subject, f"{step}已截止汇总"),
        f"牵头单位已截止{subject.label}的{step},汇总报送以已报送的意见进行;{late}" + _said(comment, "说明"),
    )


def withdrawn(subject: Subject, step: str, unit: str) -> Words:
    """撤回: a unit took back what it had handed in; the step is open again for it."""
    return Words(
        NoticeKind.WITHDRAWN,
        _title(subject, f"{unit}撤回了{step}"),
        f"{unit}撤回了{subject.label}的{step},修改后将重新报送。",
    )


def cancelled(subject: Subject, comment: str | None) -> Words:
    """撤销: the office cancelled the cycle; its open steps ended."""
    return Words(
        NoticeKind.CANCELLED,
        _title(subject, "办理周期已撤销"),
        f"督查室已撤销{subject.label}的办理周期,未办结的环节无需再办理。" + _said(comment, "理由"),
    )

"""The words of the domain, each defined once, with the Chinese the pages and messages use.

Every enum the product stores or shows is here: the parties of a diagram's lanes, the roles people
(and the system) act in, who a human task waits for, the statuses of cycles, human tasks and
extension requests, the escalation ladder's levels, the lights. A member's ``label`` is what a
user reads; its value is what the database, the API and the diagrams carry.

A leaf module: it imports nothing but the standard library, so every layer may import it (the
models in ``db/`` and the diagram reader in ``workflows/`` included; tests/test_layering.py keeps it
so). Add new words here, not as string literals or ``*_NAMES`` dicts beside the code that uses them.
"""

from __future__ import annotations

import enum
from typing import Any


class Labelled(enum.StrEnum):
    """A string enum whose members carry the Chinese word for them: ``Member = "value", "标签"``."""

    label: str

    def __new__(cls, value: str, label: str = "") -> Any:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        return member

    @classmethod
    def labels(cls) -> dict[str, str]:
        """value -> label, in definition order (for choices in forms and messages)."""
        return {member.value: member.label for member in cls}

    @classmethod
    def label_of(cls, value: str | None, default: str = "") -> str:
        """The label of a stored value; ``default`` (or the value itself) for one this enum lacks."""
        if value is None:
            return default
        try:
            return cls(value).label
        except ValueError:
            return default or value


# -- who acts ---------------------------------------------------------------------------------


class Party(Labelled):
    """Who acts in a diagram's lane (``<duban:party>``): the parties of supervision work."""

    SUPERVISOR = "supervisor", "区政府督查室"
    LEAD_UNIT = "lead_unit", "牵头单位"
    CO_UNIT = "co_unit", "责任单位"
    LEADER = "leader", "区领导"

    @property
    def is_unit(self) -> bool:
        """Steps of unit parties are done by a unit's people; the others by a role."""
        return self in (Party.LEAD_UNIT, Party.CO_UNIT)


class Role(Labelled):
    """What a person logs in as; and the two actors that are no person: the system (scheduler,
    CLI, demo loader) and an anonymous caller (a failed login, as the audit trail records it).

    Neither ``SYSTEM`` nor ``ANONYMOUS`` is ever a user's role: the users table's CHECK constraint
    (migration 0001) admits only the ``PERSON_ROLES``, and adding an account refuses the others."""

    UNIT_STAFF = "unit_staff", "单位经办人"
    UNIT_HEAD = "unit_head", "单位负责人"
    SUPERVISOR = "supervisor", "督查室"
    LEADER = "leader", "区领导"
    ADMIN = "admin", "系统管理员"
    SYSTEM = "system", "系统"
    ANONYMOUS = "anonymous", "未登录用户"


PERSON_ROLES = (Role.UNIT_STAFF, Role.UNIT_HEAD, Role.SUPERVISOR, Role.LEADER, Role.ADMIN)
UNIT_ROLES = frozenset({Role.UNIT_STAFF, Role.UNIT_HEAD})


class Assignee(Labelled):
    """Who a human task waits for (``human_tasks.role``): a unit's people, or a role's."""

    UNIT = "unit", "承办单位"
    SUPERVISOR = "supervisor", "区政府督查室"
    LEADER = "leader", "区领导"

    @classmethod
    def of(cls, party: str) -> Assignee:
        """The supervisor's and the leader's steps wait for that role; every unit party's for a unit."""
        if party == Party.SUPERVISOR:
            return cls.SUPERVISOR
        if party == Party.LEADER:
            return cls.LEADER
        return cls.UNIT


# -- statuses ---------------------------------------------------------------------------------


class CycleStatus(Labelled):
    RUNNING = "running", "办理中"
    CLOSED = "closed", "已办结"
    CANCELLED = "cancelled", "已撤销"  # 撤销: the supervisor called the cycle off


class Progress(Labelled):
    """Where a key task stands in a round (the ledger's and dashboard's status): no cycle yet, or
    its cycle's status."""

    NONE = "none", "未启动"
    RUNNING = "running", "办理中"
    CLOSED = "closed", "已办结"
    CANCELLED = "cancelled", "已撤销"


class HumanTaskState(Labelled):
    OPEN = "open", "待办"
    DONE = "done", "已办"
    CANCELLED = "cancelled", "已取消"


class HumanTaskOutcome(Labelled):
    """How a human task ended when nobody completed it (``human_tasks.outcome``; its state is then
    ``cancelled``): the supervision office's moves off the happy path."""

    WAIVED = "waived", "免报"
    MISSED = "missed", "逾期未报"  # 截止汇总 closed the inputs without it
    REASSIGNED = "reassigned", "已转办"
    CANCELLED = "cancelled", "已撤销"  # the cycle was called off
    WITHDRAWN = "withdrawn", "已撤回"  # the step before it was withdrawn by its unit


class ExtensionStatus(Labelled):
    PENDING = "pending", "待审批"
    GRANTED = "granted", "已批准"
    REFUSED = "refused", "未批准"
    EXPIRED = "expired", "已失效"  # its step ended (done, waived, reassigned, cancelled) first
    WITHDRAWN = "withdrawn", "已撤回"  # the unit took it back


class DeclineStatus(Labelled):
    """A unit's 退回交办 (this step is not our business) and the supervisor's answer."""

    PENDING = "pending", "待督查室处理"
    REASSIGNED = "reassigned", "已转办"
    INSISTED = "insisted", "维持交办"
    LAPSED = "lapsed", "已失效"  # the step ended before the supervisor decided


class ReassignScope(Labelled):
    """What a 转办 changes: this cycle's open step only, or the key task's unit list as well."""

    CYCLE = "cycle", "仅本轮"
    KEY_TASK = "key_task", "本轮及以后各轮"


class Move(Labelled):
    """The moves off the happy path, as the pages' buttons and the audit trail name them."""

    URGE = "urge", "催办"
    WAIVE = "waive", "免报"
    REASSIGN = "reassign", "转办"
    DECLINE = "decline", "退回交办"
    CLOSE_INPUTS = "close_inputs", "截止汇总"
    WITHDRAW = "withdraw", "撤回"
    CANCEL = "cancel", "撤销"


class ExtensionStage(Labelled):
    """Who decides a pending extension request next."""

    SUPERVISOR = "supervisor", "督查室"
    LEADER = "leader", "区领导"

    @property
    def role(self) -> Role:
        return Role.LEADER if self is ExtensionStage.LEADER else Role.SUPERVISOR


class MailStatus(Labelled):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class NoticeKind(Labelled):
    """What a notice is about (``notifications.kind``); the label tags it on the notifications page."""

    STEP_OPENED = "step_opened", "待办"
    STEP_RETURNED = "step_returned", "退回"
    CYCLE_CLOSED = "cycle_closed", "办结"
    REMINDER = "reminder", "提醒"
    CUIBAN = "cuiban", "催办"
    DUBAN = "duban", "督办"
    OVERDUE_REMINDER = "overdue_reminder", "逾期提醒"
    DIGEST = "digest", "汇总"
    EXTENSION_REQUESTED = "extension_requested", "延期申请"
    EXTENSION_FORWARDED = "extension_forwarded", "延期待审批"
    EXTENSION_GRANTED = "extension_granted", "延期批准"
    EXTENSION_REFUSED = "extension_refused", "延期未批准"
    EXTENSION_LAPSED = "extension_lapsed", "延期失效"
    ROUND_OPENED = "round_opened", "轮次开启"
    URGED = "urged", "催办"
    WAIVED = "waived", "免报"
    REASSIGNED_TO = "reassigned", "转办"
    REASSIGNED_FROM = "reassigned_away", "转办"
    DECLINED = "declined", "退回交办"
    DECLINE_INSISTED = "decline_insisted", "维持交办"
    INPUTS_CLOSED = "inputs_closed", "截止汇总"
    WITHDRAWN = "withdrawn", "撤回"
    CANCELLED = "cycle_cancelled", "撤销"


class RobotChannel(Labelled):
    """A group robot a unit's notices may also go to (a webhook URL the admin sets per unit)."""

    WECOM = "wecom", "企业微信群机器人"
    DINGTALK = "dingtalk", "钉钉群机器人"


# -- units ------------------------------------------------------------------------------------


class UnitKind(Labelled):
    DISTRICT = "district", "区"
    STREET = "street", "街道"
    TOWN = "town", "镇"
    TOWNSHIP = "township", "乡"
    ZONE = "zone", "开发区"
    DEPARTMENT = "department", "区直部门"
    OFFICE = "office", "督查室"  # the supervision office
    LEADERSHIP = "leadership", "区领导"  # the district leaders
    OTHER = "other", "其他"


class UnitPart(Labelled):
    """A unit's part in a key task."""

    LEAD = "lead", "牵头单位"
    CO = "co", "责任单位"


class PlanStatus(Labelled):
    """Where a plan stands: a draft is checked and corrected; only a published plan's key tasks get
    rounds (the rounds job and hand starts); an archived plan stays readable and opens nothing."""

    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    ARCHIVED = "archived", "已归档"


class TaskRevision(Labelled):
    """What a revision of a plan does to one key task (the revision preview's words)."""

    CHANGED = "changed", "有修改"
    ADDED = "added", "新增"
    REMOVED = "removed", "删除"
    SAME = "same", "未变"


# -- supervision ------------------------------------------------------------------------------


class EscalationLevel(enum.IntEnum):
    """The rungs of the escalation ladder, in order (the level is stored as an integer)."""

    REMINDER = 1
    CUIBAN = 2
    DUBAN = 3

    @property
    def kind(self) -> str:
        """The English word the API and the audit trail use (``step.cuiban``)."""
        return _ESCALATION_KINDS[self]

    @property
    def label(self) -> str:
        return _ESCALATION_LABELS[self]

    @property
    def reached_label(self) -> str:
        """What the ledger says of a step that reached this rung."""
        return "已" + _ESCALATION_LABELS[self]

    @classmethod
    def of_kind(cls, kind: str) -> EscalationLevel:
        for level, name in _ESCALATION_KINDS.items():
            if name == kind:
                return level
        raise ValueError(kind)


_ESCALATION_KINDS = {
    EscalationLevel.REMINDER: "reminder",
    EscalationLevel.CUIBAN: "cuiban",
    EscalationLevel.DUBAN: "duban",
}
_ESCALATION_LABELS = {EscalationLevel.REMINDER: "提醒", EscalationLevel.CUIBAN: "催办", EscalationLevel.DUBAN: "督办"}
ESCALATION_KINDS = tuple(_ESCALATION_KINDS.values())


class Light(Labelled):
    """Traffic lights, in order of urgency: green, yellow (close to the deadline), red (overdue)."""

    GREEN = "green", "绿灯"
    YELLOW = "yellow", "黄灯"
    RED = "red", "红灯"

    @property
    def rank(self) -> int:
        return _LIGHT_ORDER.index(self)

    @classmethod
    def of_rank(cls, rank: int) -> Light:
        return _LIGHT_ORDER[rank]


_LIGHT_ORDER = (Light.GREEN, Light.YELLOW, Light.RED)


# -- reporting rounds -----------------------------------------------------------------------------

_QUARTERS = {"1": "一", "2": "二", "3": "三", "4": "四"}
_HALVES = {"1": "上", "2": "下"}


def round_label(name: str | None) -> str:
    """A round as people say it: ``2026-Q4`` 2026年第四季度, ``2026-M03`` 2026年3月, ``2026-H1``
    2026年上半年, ``2026`` 2026年度. A name of another form is returned as it is."""
    if not name:
        return ""
    year, _, part = name.partition("-")
    if not (len(year) == 4 and year.isdigit()):
        return name
    if not part:
        return f"{year}年度"
    kind, number = part[:1], part[1:]
    if kind == "Q" and number in _QUARTERS:
        return f"{year}年第{_QUARTERS[number]}季度"
    if kind == "H" and number in _HALVES:
        return f"{year}年{_HALVES[number]}半年"
    if kind == "M" and number.isdigit() and 1 <= int(number) <= 12 and len(number) == 2:
        return f"{year}年{int(number)}月"
    return name


# -- the year: indicators, progress reports, 销号 and 挂账, 考评 (issue 12) ------------------------


class Comparator(Labelled):
    """How an indicator's target reads: 技改项目 ≥ 20 个 (不少于), 审批时限 ≤ 5 个工作日 (不超过)."""

    AT_LEAST = "≥", "不少于"
    AT_MOST = "≤", "不超过"
    EQUAL = "=", "达到"
    ABOUT = "≈", "约"
    MORE_THAN = ">", "超过"
    LESS_THAN = "<", "低于"

    @property
    def is_ceiling(self) -> bool:
        """A ceiling (审批时限压缩至 5 个工作日): the value should come down to it, not up."""
        return self in (Comparator.AT_MOST, Comparator.LESS_THAN)


class IndicatorSource(Labelled):
    """Where an indicator came from: read from the plan at import, or added by the office."""

    IMPORTED = "imported", "导入识别"
    MANUAL = "manual", "人工添加"


class ReportPart(Labelled):
    """Whose progress report: the lead unit's consolidated one, or a co-unit's share with its input."""

    TOTAL = "total", "牵头单位汇总"
    SHARE = "share", "责任单位分项"


class CycleKind(Labelled):
    """What a cycle runs: a reporting round of a key task, or its year's 办结销号 application."""

    ROUND = "round", "报送轮次"
    CLOSING = "closing", "办结销号"


class YearStatus(Labelled):
    """Where a key task's year stands (the ledger's mark beside its number)."""

    OPEN = "open", "推进中"
    CLOSING = "closing", "销号中"
    CLOSED = "closed", "已销号"
    CARRIED = "carried", "挂账"


class League(Labelled):
    """打擂台: units compete with units of their own kind."""

    TOWNS = "towns", "镇街组"
    DEPARTMENTS = "departments", "区直部门组"

    @classmethod
    def of_kind(cls, kind: str) -> League | None:
        """Streets, towns, the township and the development zone compete with each other; district
        departments with each other; the office, the leaders and the district itself are not scored."""
        if kind in ("street", "town", "township", "zone"):
            return cls.TOWNS
        if kind == "department":
            return cls.DEPARTMENTS
        return None


class ScoreRule(Labelled):
    """The 考评 rules (config.toml [scoring] gives each its points; README explains them)."""

    ON_TIME_STEP = "on_time_step", "按时办理环节"
    OVERDUE_STEP = "overdue_step", "逾期办理或逾期未报"
    CUIBAN = "cuiban", "被催办"
    DUBAN = "duban", "被督办"
    RETURNED = "returned", "报告被退回"
    REJECTED = "rejected", "报告被驳回"
    INDICATOR_ON_TRACK = "indicator_on_track", "指标达到序时进度"
    INDICATOR_BEHIND = "indicator_behind", "指标严重滞后"
    CLOSED_ON_TIME = "closed_on_time", "按时办结销号"
    ADJUSTMENT = "adjustment", "加减分"


class SearchKind(Labelled):
    """What a search finds (``GET /api/v1/search``): the groups of its answer."""

    KEY_TASK = "key_task", "重点任务"
    HUMAN_TASK = "human_task", "办理环节"
    REPORT = "progress_report", "进展报告"

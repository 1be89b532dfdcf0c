"""/api/v1 extensions (延期申请), notifications, escalations and the holiday calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import fields, validate

from ..operations.common.authz import ensure_can_manage
from ..operations.common.notifications import list_notifications, mark_read, unread_count
from ..operations.supervision.calendar import calendar_status, load_year, parse_year_file, refresh_calendar
from ..operations.supervision.escalations import list_escalations
from ..operations.supervision.extensions import decide_extension, get_extension, list_extensions, request_extension
from .base import Blueprint, actor, runtime, work
from .schemas import Bool, Int, Schema, Str, ids

blp = Blueprint("scheduling", __name__, url_prefix="/api/v1", description="延期申请、通知、催办督办与节假日安排")
ID = "int(max=2147483647)"
LIMIT = Int(load_default=50, validate=validate.Range(min=1, max=200, error="应在 1 到 200 之间"))
CURSOR = Str(validate=validate.Length(max=200, error="过长"), metadata={"description": "上一页的 next_cursor"})


# -- schemas --------------------------------------------------------------------------------


class ExtensionRequestSchema(Schema):
    new_due_date = Str(required=True, metadata={"description": "新的截止日期(工作日),如 2024-04-18"})
    reason = Str(required=True, validate=validate.Length(max=2000, error="过长"))


class ExtensionDecisionSchema(Schema):
    decision = Str(required=True, metadata={"enum": ["grant", "refuse"]})
    comment = Str(validate=validate.Length(max=2000, error="过长"), metadata={"description": "不批准时必填"})


class ExtensionSchema(Schema):
    id = Int(required=True)
    human_task_id = Int(required=True)
    cycle_id = Int(required=True)
    key_task_id = Int(required=True)
    key_task_number = Int(required=True)
    key_task_title = Str(required=True)
    step = Str(required=True)
    step_name = Str(required=True)
    step_state = Str(required=True)
    unit_id = Int(required=True)
    unit = Str(required=True)
    requested_by = Str(required=True)
    requested_at = fields.DateTime(required=True)
    reason = Str(required=True)
    old_due_at = fields.DateTime(required=True)
    new_due_at = fields.DateTime(required=True)
    working_days = Int(required=True, metadata={"description": "延长的工作日数"})
    status = Str(required=True, metadata={"enum": ["pending", "granted", "refused"]})
    status_name = Str(required=True)
    stage = Str(allow_none=True, metadata={"description": "待审批时由谁审批: supervisor / leader"})
    needs_leader = Bool(required=True)
    decided_at = fields.DateTime(allow_none=True)
    comment = Str(allow_none=True)


class ExtensionQuery(Schema):
    status = Str(validate=validate.OneOf(["pending", "granted", "refused"], error="应为 pending、granted 或 refused"))
    awaiting_me = Bool(load_default=False, metadata={"description": "只看等我审批的"})
    human_task = ids()
    limit = LIMIT
    cursor = CURSOR


class ExtensionPageSchema(Schema):
    items = fields.List(fields.Nested(ExtensionSchema), required=True)
    total = Int(required=True)
    next_cursor = Str(allow_none=True, required=True)


class NotificationSchema(Schema):
    id = Int(required=True)
    kind = Str(required=True)
    title = Str(required=True)
    body = Str(required=True)
    human_task_id = Int(allow_none=True)
    key_task_id = Int(allow_none=True)
    escalation_id = Int(allow_none=True)
    extension_id = Int(allow_none=True)
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(allow_none=True)


class NotificationQuery(Schema):
    unread = Bool(load_default=False, metadata={"description": "只看未读"})
    limit = LIMIT
    cursor = CURSOR


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    unread = Int(required=True)
    next_cursor = Str(allow_none=True, required=True)


class UnreadSchema(Schema):
    unread = Int(required=True)


class MarkReadSchema(Schema):
    ids = fields.List(ids(), metadata={"description": "要标为已读的通知编号"})
    all = Bool(load_default=False, metadata={"description": "true: 全部标为已读"})


class MarkedSchema(Schema):
    marked = Int(required=True)
    unread = Int(required=True)


class EscalationQuery(Schema):
    level = Int(validate=validate.Range(min=1, max=3, error="应为 1(提醒)、2(催办)或 3(督办)"))
    kind = Str(validate=validate.OneOf(["reminder", "cuiban", "duban"], error="应为 reminder、cuiban 或 duban"))
    unit = ids()
    key_task = ids()
    cycle = ids()
    open = Bool(load_default=False, metadata={"description": "只看环节仍未办结的"})
    since = fields.DateTime(metadata={"description": "发生时间不早于(ISO 时间)"})
    until = fields.DateTime(metadata={"description": "发生时间早于(ISO 时间)"})
    limit = LIMIT
    cursor = CURSOR


class EscalationSchema(Schema):
    id = Int(required=True)
    level = Int(required=True)
    kind = Str(required=True, metadata={"enum": ["reminder", "cuiban", "duban"]})
    kind_name = Str(required=True)
    human_task_id = Int(required=True)
    cycle_id = Int(required=True)
    round = Str(required=True)
    key_task_id = Int(required=True)
    key_task_number = Int(required=True)
    key_task_title = Str(required=True)
    step = Str(required=True)
    step_name = Str(required=True)
    unit_id = Int(allow_none=True)
    unit = Str(required=True)
    due_at = fields.DateTime(required=True, metadata={"description": "据以计算的期限"})
    fired_at = fields.DateTime(required=True)
    step_state = Str(required=True)
    step_due_at = fields.DateTime(required=True, metadata={"description": "环节现在的期限(延期后可能变化)"})
    light = Str(required=True)


class EscalationPageSchema(Schema):
    items = fields.List(fields.Nested(EscalationSchema), required=True)
    total = Int(required=True)
    next_cursor = Str(allow_none=True, required=True)


class CalendarLoadSchema(Schema):
    content = Str(
        required=True,
        validate=validate.Length(min=1, max=64 * 1024, error="应为 1 到 65536 个字符"),
        metadata={"description": "一年放假安排的 TOML 文本(格式见 duban calendar load 的说明)"},
    )


class LoadedYearSchema(Schema):
    year = Int(required=True)
    holidays = Int(required=True)
    workdays = Int(required=True)
    replaced = Bool(required=True)
    recounted = Int(required=True, metadata={"description": "按新安排重新计算期限的待办数(原按周末推算的)"})


class YearStatusSchema(Schema):
    year = Int(required=True)
    basis = Str(required=True, metadata={"description": "loaded(管理员导入)/ official(内置)/ fallback(仅按周末)"})
    source = Str(allow_none=True)
    loaded_at = fields.DateTime(allow_none=True)


class CalendarStatusSchema(Schema):
    years = fields.List(fields.Nested(YearStatusSchema), required=True)
    fallback_steps = Int(required=True)
    warnings = fields.List(Str(), required=True)


# -- extensions -----------------------------------------------------------------------------


@blp.route(f"/human-tasks/<{ID}:task_id>/extensions", methods=["POST"])
@blp.arguments(ExtensionRequestSchema)
@blp.response(201, ExtensionSchema)
@blp.alt_response(403, description="不是本单位牵头环节,或不是单位负责人")
@blp.alt_response(409, description="已过期限、已办结,或已有待审批的申请")
@blp.alt_response(422, description="理由或新期限有误(field 指出字段)")
def request_ext(args: dict[str, Any], task_id: int) -> Any:
    """牵头单位负责人在期限前为本单位的环节申请延期,填写理由和新的截止日期(须为工作日)。"""
    who = actor()
    with work(write=True) as unit:
        return request_extension(unit, who, task_id, new_due_date=args["new_due_date"], reason=args["reason"])


@blp.route("/extensions", methods=["GET"])
@blp.arguments(ExtensionQuery, location="query")
@blp.response(200, ExtensionPageSchema)
def extensions(args: dict[str, Any]) -> Any:
    """延期申请(最新的在前)。单位只能看本单位的;awaiting_me=true 列出等我审批的。"""
    who = actor()
    with work() as unit:
        return list_extensions(
            unit,
            who,
            status=args.get("status"),
            awaiting_me=args["awaiting_me"],
            human_task_id=args.get("human_task"),
            limit=args["limit"],
            cursor=args.get("cursor"),
        )


@blp.route(f"/extensions/<{ID}:extension_id>", methods=["GET"])
@blp.response(200, ExtensionSchema)
def extension(extension_id: int) -> Any:
    """一份延期申请。"""
    who = actor()
    with work() as unit:
        return get_extension(unit, who, extension_id)


@blp.route(f"/extensions/<{ID}:extension_id>/decision", methods=["POST"])
@blp.arguments(ExtensionDecisionSchema)
@blp.response(200, ExtensionSchema)
@blp.alt_response(403, description="不是该阶段的审批人")
@blp.alt_response(409, description="已审批过,或刚被他人审批")
def decide(args: dict[str, Any], extension_id: int) -> Any:
    """督查室审批(grant 批准 / refuse 不批准,不批准须填 comment);超过规定天数的,督查室同意后
    再由区领导审批。批准后环节的期限、黄灯时间、流程定时器和尚未发生的催办督办一并顺延。"""
    who = actor()
    with work(write=True) as unit:
        return decide_extension(unit, who, extension_id, decision=args["decision"], comment=args.get("comment"))


# -- notifications --------------------------------------------------------------------------


@blp.route("/notifications", methods=["GET"])
@blp.arguments(NotificationQuery, location="query")
@blp.response(200, NotificationPageSchema)
def notifications(args: dict[str, Any]) -> Any:
    """我的通知(最新的在前)。"""
    who = actor()
    with work() as unit:
        return list_notifications(unit, who, unread_only=args["unread"], limit=args["limit"], cursor=args.get("cursor"))


@blp.route("/notifications/unread-count", methods=["GET"])
@blp.response(200, UnreadSchema)
def unread() -> Any:
    """我的未读通知数。"""
    who = actor()
    with work() as unit:
        return {"unread": unread_count(unit, who)}


@blp.route("/notifications/read", methods=["POST"])
@blp.arguments(MarkReadSchema)
@blp.response(200, MarkedSchema)
def read(args: dict[str, Any]) -> Any:
    """把通知标为已读:ids 列出的,或 all=true 全部。他人的通知编号被忽略。"""
    who = actor()
    with work(write=True) as unit:
        marked = mark_read(unit, who, args.get("ids"), everything=args["all"])
        return {"marked": marked, "unread": unread_count(unit, who)}


# -- escalations ----------------------------------------------------------------------------


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=runtime().config.tz)  # a time without offset is local time


@blp.route("/escalations", methods=["GET"])
@blp.arguments(EscalationQuery, location="query")
@blp.response(200, EscalationPageSchema)
def escalations(args: dict[str, Any]) -> Any:
    """提醒、催办、督办记录(最新的在前)。level=3(或 kind=duban)加 open=true 即督查室的督办清单。
    单位只能看本单位的。"""
    who = actor()
    with work() as unit:
        return list_escalations(
            unit,
            who,
            level=args.get("level"),
            kind=args.get("kind"),
            unit_id=args.get("unit"),
            key_task_id=args.get("key_task"),
            cycle_id=args.get("cycle"),
            open_only=args["open"],
            since=_aware(args.get("since")),
            until=_aware(args.get("until")),
            limit=args["limit"],
            cursor=args.get("cursor"),
        )


# -- the holiday calendar -------------------------------------------------------------------


@blp.route("/calendar", methods=["GET"])
@blp.response(200, CalendarStatusSchema)
def calendar() -> Any:
    """各年份的工作日日历来源:管理员导入、内置日历,或未覆盖(仅按周末计算)。"""
    actor()
    with work() as unit:
        return calendar_status(unit)


@blp.route("/calendar/years", methods=["POST"])
@blp.arguments(CalendarLoadSchema)
@blp.response(201, LoadedYearSchema)
@blp.alt_response(403, description="只有管理员可以导入")
@blp.alt_response(422, description="文件内容有误(detail 指出行和项)")
def load_calendar_year(args: dict[str, Any]) -> Any:
    """导入(或替换)一年的法定节假日安排(管理员)。内容为 TOML 文本,例如:
    year = 2027 / [holidays] 春节 = ["2027-02-05..2027-02-11"] / [workdays] 春节 = ["2027-02-14"]。"""
    who = actor()
    ensure_can_manage(who, "导入节假日安排")  # before reading the content: a 403, not a 422
    parsed = parse_year_file(args["content"])
    with work(write=True) as unit:
        loaded = load_year(unit, who, parsed)
    refresh_calendar(runtime())  # this process at once; the others within calendar_check_seconds
    return loaded

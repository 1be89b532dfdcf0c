"""/api/v1/calendar: how each year's working days are known, and loading a year's holidays."""

from __future__ import annotations

from typing import Any

from ..operations.common.authz import ensure_can_manage
from ..operations.supervision.calendar import calendar_status, load_year, parse_year_file
from ..scheduling.calendar import refresh_calendar
from .base import Blueprint, acting, runtime
from .schemas.calendar import CalendarLoadSchema, CalendarStatusSchema, LoadedYearSchema

blp = Blueprint("calendar", __name__, url_prefix="/api/v1", description="节假日安排")


@blp.route("/calendar", methods=["GET"])
@blp.response(200, CalendarStatusSchema)
def calendar() -> Any:
    """各年份的工作日日历来源:管理员导入、内置日历,或未覆盖(仅按周末计算)。"""
    with acting() as (_actor, work):
        return calendar_status(work)


@blp.route("/calendar/years", methods=["POST"])
@blp.arguments(CalendarLoadSchema)
@blp.response(201, LoadedYearSchema)
@blp.problem(403, "只有管理员可以导入")
@blp.problem(422, "文件内容有误(detail 指出行和项)")
def load_calendar_year(args: dict[str, Any]) -> Any:
    """导入(或替换)一年的法定节假日安排(管理员)。内容为 TOML 文本,例如:
    year = 2027 / [holidays] 春节 = ["2027-02-05..2027-02-11"] / [workdays] 春节 = ["2027-02-14"]。"""
    with acting(write=True) as (actor, work):
        ensure_can_manage(actor, "导入节假日安排")  # before reading the content: a 403, not a 422
        loaded = load_year(work, actor, parse_year_file(args["content"]))
    refresh_calendar(runtime())  # this process at once; the others within calendar_check_seconds
    return loaded

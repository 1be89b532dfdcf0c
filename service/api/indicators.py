"""A key task's year over the API: /api/v1/key-tasks/{id}/indicators, /api/v1/plans/{id}/indicators
and /api/v1/indicators/{id} — indicators (量化指标) with their values by round, 序时进度 and progress
lights, added, corrected and retired by the supervision office and the admins (each change audited);
/api/v1/key-tasks/{id}/closing — applying for 办结销号."""

from __future__ import annotations

from typing import Any

from ..operations.queries.cycle_views import cycle_detail
from ..operations.queries.progress import IndicatorView, key_task_indicators, plan_indicators
from ..operations.year.closing import start_closing
from ..operations.year.indicators import (
    add_indicator,
    correct_indicator,
    mapping_of,
    retire_indicator,
)
from .base import ID, Blueprint, acting
from .schemas.indicators import (
    IndicatorInSchema,
    IndicatorPatchSchema,
    IndicatorSchema,
    KeyTaskIndicatorsSchema,
    PlanIndicatorsSchema,
    RetireSchema,
    RoundQuery,
)
from .schemas.key_tasks import CycleSchema

blp = Blueprint("indicators", __name__, url_prefix="/api/v1", description="量化指标与进展")


def _one(work: Any, actor: Any, indicator_id: int, key_task_id: int | None, plan_id: int) -> IndicatorView:
    if key_task_id is not None:
        views = key_task_indicators(work, actor, key_task_id).indicators
    else:
        views = tuple(plan_indicators(work, actor, plan_id))
    return next(v for v in views if v.id == indicator_id)


@blp.route(f"/key-tasks/<{ID}:key_task_id>/indicators", methods=["GET"])
@blp.arguments(RoundQuery, location="query")
@blp.response(200, KeyTaskIndicatorsSchema)
def key_task_indicator_list(args: dict[str, Any], key_task_id: int) -> Any:
    """一项重点任务的量化指标:目标、各轮报送的累计值(含退回后被替换的值)、完成比例、序时进度和进度灯,
    以及任务的总体进度(牵头单位报送的完成比例、存在问题、下步打算)。

    序时进度 = 计划年度 1 月 1 日至该轮报送截止日的工作日数 ÷ 全年工作日数(有阶段目标的指标按阶段目标);
    进度灯:完成比例落后序时进度 [progress] yellow_behind 个百分点起为黄灯,超过 red_behind 为红灯。
    看得到该任务的人都可查看(否则 404)。"""
    with acting() as (actor, work):
        return key_task_indicators(work, actor, key_task_id, round_name=args.get("round"))


@blp.route(f"/key-tasks/<{ID}:key_task_id>/indicators", methods=["POST"])
@blp.arguments(IndicatorInSchema)
@blp.response(201, IndicatorSchema)
def key_task_indicator_add(args: dict[str, Any], key_task_id: int) -> Any:
    """为重点任务添加量化指标(督查室或管理员;记入审计)。责任单位默认为主牵头单位。"""
    with acting(write=True) as (actor, work):
        made = add_indicator(work, actor, mapping_of(args), key_task_id=key_task_id)
        return _one(work, actor, made.id, made.key_task_id, made.plan_id)


@blp.route(f"/plans/<{ID}:plan_id>/indicators", methods=["GET"])
@blp.response(200, PlanIndicatorsSchema)
def plan_indicator_list(plan_id: int) -> Any:
    """计划的主要目标指标(导入时从“主要目标”部分识别,或由督查室添加)。"""
    with acting() as (actor, work):
        return {"plan_id": plan_id, "indicators": plan_indicators(work, actor, plan_id)}


@blp.route(f"/plans/<{ID}:plan_id>/indicators", methods=["POST"])
@blp.arguments(IndicatorInSchema)
@blp.response(201, IndicatorSchema)
def plan_indicator_add(args: dict[str, Any], plan_id: int) -> Any:
    """为计划添加主要目标指标(督查室或管理员;记入审计)。"""
    with acting(write=True) as (actor, work):
        made = add_indicator(work, actor, mapping_of(args), plan_id=plan_id)
        return _one(work, actor, made.id, None, made.plan_id)


@blp.route(f"/indicators/<{ID}:indicator_id>", methods=["PATCH"])
@blp.arguments(IndicatorPatchSchema)
@blp.response(200, IndicatorSchema)
def indicator_correct(args: dict[str, Any], indicator_id: int) -> Any:
    """更正指标的名称、比较方式、目标值、计量单位、责任单位或阶段目标(督查室或管理员;记入审计,
    含更正前后的值)。已停用的指标不能更正(409)。"""
    with acting(write=True) as (actor, work):
        changed = correct_indicator(work, actor, indicator_id, mapping_of(args))
        return _one(work, actor, changed.id, changed.key_task_id, changed.plan_id)


@blp.route(f"/indicators/<{ID}:indicator_id>/retire", methods=["POST"])
@blp.arguments(RetireSchema)
@blp.response(200, IndicatorSchema)
def indicator_retire(args: dict[str, Any], indicator_id: int) -> Any:
    """停用指标(须填写理由;记入审计)。已报送的值保留,但不再计入进度灯和考评。"""
    with acting(write=True) as (actor, work):
        retired = retire_indicator(work, actor, indicator_id, args["reason"])
        return _one(work, actor, retired.id, retired.key_task_id, retired.plan_id)


@blp.route(f"/key-tasks/<{ID}:key_task_id>/closing", methods=["POST"])
@blp.response(201, CycleSchema)
@blp.problem(409, "该任务本年度已申请或已完成销号")
def apply_for_closing(key_task_id: int) -> Any:
    """申请办结销号:主牵头单位负责人(或督查室代为发起)为重点任务开启本年度的销号流程(独立的流程图:
    销号申请 → 督查室审核 → 区领导审批),期限、催办督办和审计与办理周期相同。第一个环节“销号申请”
    由牵头单位填写办结情况、各指标最终值并上传佐证材料。"""
    with acting(write=True) as (actor, work):
        started = start_closing(work, actor, key_task_id)
        return cycle_detail(work, actor, started.id)

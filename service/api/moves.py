"""/api/v1: the moves off the happy path (issue 11). The paths are fixed by the issue so that
scripts can rely on them: 催办 ``…/urge``, 免报 ``…/waive``, 转办 ``…/reassign``, 退回交办
``…/decline``, 撤回 ``…/withdraw`` on a human task; 截止汇总 ``/cycles/{id}/close-inputs`` and
撤销 ``/cycles/{id}/cancel``; the office's answers to 退回交办 under ``/declines``."""

from __future__ import annotations

from typing import Any

from ..operations.cycles.moves import cancel_cycle, close_inputs, withdraw_human_task
from ..operations.directory.unit_admin import set_unit_active
from ..operations.supervision.declines import decide_decline, decline_human_task, list_declines
from ..operations.supervision.extensions import withdraw_extension
from ..operations.supervision.step_moves import reassign_human_task, urge_human_task, waive_human_task
from .base import ID, Blueprint, acting
from .schemas.extensions import ExtensionSchema
from .schemas.moves import (
    CommentSchema,
    CycleMovedSchema,
    DeclineDecisionSchema,
    DeclineListSchema,
    DeclineQuery,
    DeclineSchema,
    DisableUnitSchema,
    MovedSchema,
    ReasonSchema,
    ReassignSchema,
    UnitStateSchema,
)

blp = Blueprint("moves", __name__, url_prefix="/api/v1", description="催办、免报、转办、退回交办、截止汇总、撤回、撤销")


def _moved(task: Any, opened: Any = ()) -> dict[str, Any]:
    return {
        "id": task.id,
        "state": task.state.value,
        "outcome": task.outcome,
        "urge_count": task.urge_count,
        "opened": list(opened),
    }


@blp.route(f"/human-tasks/<{ID}:task_id>/urge", methods=["POST"])
@blp.arguments(CommentSchema)
@blp.response(200, MovedSchema)
@blp.problem(403, "不是督查室,也不是该任务牵头单位的负责人(催办责任单位意见)")
@blp.problem(409, "已办结,或今天已催办过(每个环节每个工作日最多一次)")
def urge(args: dict[str, Any], task_id: int) -> Any:
    """催办:督查室可催办任何单位的待办;牵头单位负责人可催办本任务责任单位的意见。通知该单位
    (负责人和经办人),责任单位意见同时抄送牵头单位。每个环节每天最多催办一次;催办次数记在环节上。"""
    with acting(write=True) as (actor, work):
        task = urge_human_task(work, actor, task_id, comment=args.get("comment"))
        return _moved(task)


@blp.route(f"/human-tasks/<{ID}:task_id>/waive", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, MovedSchema)
@blp.problem(403, "不是督查室")
@blp.problem(409, "已办结,或不是责任单位分别报送的意见")
@blp.problem(422, "缺少理由")
def waive(args: dict[str, Any], task_id: int) -> Any:
    """免报(督查室):一个未报的责任单位意见按免报结束(须填理由);其余意见都已报送时,汇总报送随即开启。"""
    with acting(write=True) as (actor, work):
        task, opened = waive_human_task(work, actor, task_id, comment=args["comment"])
        return _moved(task, opened)


@blp.route(f"/human-tasks/<{ID}:task_id>/reassign", methods=["POST"])
@blp.arguments(ReassignSchema)
@blp.response(200, MovedSchema)
@blp.problem(403, "不是督查室")
@blp.problem(409, "已办结,或不是单位的待办")
@blp.problem(422, "单位已停用或与原单位相同、缺少理由、scope 有误(field 指出字段)")
def reassign(args: dict[str, Any], task_id: int) -> Any:
    """转办(督查室):未办结的单位环节转给另一个单位,期限自现在起按该环节的规则重新计算(工作日);
    原待办以“已转办”结束。scope=key_task 时同时修改该重点任务的单位名单,以后各轮也由新单位办理。"""
    with acting(write=True) as (actor, work):
        old, new = reassign_human_task(
            work, actor, task_id, unit_id=args["unit_id"], comment=args["comment"], scope=args["scope"]
        )
        return _moved(old, [new])


@blp.route(f"/human-tasks/<{ID}:task_id>/decline", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(201, DeclineSchema)
@blp.problem(403, "不是该环节的办理人")
@blp.problem(409, "已办结,或已退回交办待处理")
@blp.problem(422, "缺少理由")
def decline(args: dict[str, Any], task_id: int) -> Any:
    """退回交办:单位认为签收或意见不属于本单位职责,说明理由;督查室在待办中处理(转办或维持交办)。
    处理前环节仍然有效,期限照常计算。"""
    with acting(write=True) as (actor, work):
        return decline_human_task(work, actor, task_id, comment=args["comment"])


@blp.route(f"/human-tasks/<{ID}:task_id>/withdraw", methods=["POST"])
@blp.response(200, MovedSchema)
@blp.problem(403, "不是该环节的办理人")
@blp.problem(409, "尚未办理,或下一环节已经办理")
def withdraw(task_id: int) -> Any:
    """撤回:单位在下一环节办理之前撤回本单位已提交的意见或报告;环节重新变为待办,原填写内容保留。"""
    with acting(write=True) as (actor, work):
        return _moved(withdraw_human_task(work, actor, task_id))


@blp.route(f"/cycles/<{ID}:cycle_id>/close-inputs", methods=["POST"])
@blp.arguments(CommentSchema)
@blp.response(200, CycleMovedSchema)
@blp.problem(403, "不是牵头单位负责人")
@blp.problem(409, "没有未报的意见,或意见期限未到")
def close_cycle_inputs(args: dict[str, Any], cycle_id: int) -> Any:
    """截止汇总(牵头单位负责人):责任单位意见期限已过后,未报的意见按“逾期未报”结束(记在该单位),
    汇总报送随即开启;此后再报送的意见不予接收。"""
    with acting(write=True) as (actor, work):
        return close_inputs(work, actor, cycle_id, comment=args.get("comment"))


@blp.route(f"/cycles/<{ID}:cycle_id>/cancel", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, CycleMovedSchema)
@blp.problem(403, "不是督查室")
@blp.problem(409, "已办结或已撤销")
@blp.problem(422, "缺少理由")
def cancel(args: dict[str, Any], cycle_id: int) -> Any:
    """撤销(督查室):本轮办理撤销,未办的环节以“已撤销”结束,定时器和待审批的延期申请随之失效;
    台账显示“已撤销”。"""
    with acting(write=True) as (actor, work):
        return cancel_cycle(work, actor, cycle_id, comment=args["comment"])


@blp.route("/declines", methods=["GET"])
@blp.arguments(DeclineQuery, location="query")
@blp.response(200, DeclineListSchema)
def declines(args: dict[str, Any]) -> Any:
    """退回交办(最新的在前,最多 200 条)。单位只能看本单位的;pending=true 列出等待督查室处理的。"""
    with acting() as (actor, work):
        return {"items": list_declines(work, actor, pending_only=args["pending"])}


@blp.route(f"/declines/<{ID}:decline_id>/decision", methods=["POST"])
@blp.arguments(DeclineDecisionSchema)
@blp.response(200, DeclineSchema)
@blp.problem(403, "不是督查室")
@blp.problem(409, "已处理过或已失效")
@blp.problem(422, "决定、理由、单位或 scope 有误(field 指出字段)")
def decide(args: dict[str, Any], decline_id: int) -> Any:
    """督查室处理退回交办:reassign 转办给 unit_id(可带 scope),或 insist 维持交办;都须填写意见。"""
    with acting(write=True) as (actor, work):
        return decide_decline(
            work,
            actor,
            decline_id,
            decision=args["decision"],
            comment=args["comment"],
            unit_id=args.get("unit_id"),
            scope=args["scope"],
        )


@blp.route(f"/extensions/<{ID}:extension_id>/withdraw", methods=["POST"])
@blp.response(200, ExtensionSchema)
@blp.problem(403, "不是申请单位的人员")
@blp.problem(409, "已审批、已失效或已撤回")
def withdraw_ext(extension_id: int) -> Any:
    """撤回本单位待审批的延期申请(任何审批阶段均可)。"""
    with acting(write=True) as (actor, work):
        return withdraw_extension(work, actor, extension_id)


@blp.route(f"/units/<{ID}:unit_id>/disable", methods=["POST"])
@blp.arguments(DisableUnitSchema)
@blp.response(200, UnitStateSchema)
@blp.problem(403, "不是系统管理员")
@blp.problem(409, "该单位还有未办结的环节(open_steps 列出),须为每个环节选择免报或转办")
@blp.problem(422, "某环节的处理有误(field 为 steps.<待办编号>)")
def disable_unit(args: dict[str, Any], unit_id: int) -> Any:
    """停用单位(机构改革等)。该单位有未办结的环节时,须在 steps 中为每个环节指定免报或转办给哪个单位,
    否则返回 409 并在 open_steps 中列出这些环节。停用后新的办理周期不再给该单位交办。"""
    with acting(write=True) as (actor, work):
        set_unit_active(work, actor, unit_id, False, steps=args.get("steps"), comment=args.get("comment"))
        return {"id": unit_id, "active": False}


@blp.route(f"/units/<{ID}:unit_id>/enable", methods=["POST"])
@blp.response(200, UnitStateSchema)
@blp.problem(403, "不是系统管理员")
def enable_unit(unit_id: int) -> Any:
    """重新启用单位。"""
    with acting(write=True) as (actor, work):
        set_unit_active(work, actor, unit_id, True)
        return {"id": unit_id, "active": True}

"""/api/v1/key-tasks and /api/v1/cycles: the ledger's rows, cycles and their diagrams."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from ..errors import Conflict
from ..operations.cycles.start import start_cycle
from ..operations.queries.cycle_views import cycle_detail, cycle_diagram
from ..operations.queries.key_tasks import key_task_detail, list_key_tasks
from .base import ID, Blueprint, acting
from .schemas.key_tasks import (
    CycleSchema,
    DiagramSchema,
    KeyTaskDetailSchema,
    KeyTaskListSchema,
    KeyTaskQuery,
    StartCycleSchema,
)

blp = Blueprint("key_tasks", __name__, url_prefix="/api/v1", description="重点任务与办理周期")


@blp.route("/key-tasks", methods=["GET"])
@blp.arguments(KeyTaskQuery, location="query")
@blp.response(200, KeyTaskListSchema)
def key_tasks(args: dict[str, Any]) -> Any:
    """重点任务(本单位参与的;督查室、领导、管理员可见全部),可按计划、单位、灯色、状态筛选。

    灯色是该任务所有未办结环节中最差的灯;状态是最近一个办理周期的状态。"""
    with acting() as (actor, work):
        return list_key_tasks(
            work,
            actor,
            plan_id=args.get("plan"),
            unit_id=args.get("unit"),
            light=args.get("light"),
            state=args.get("state"),
            limit=args["limit"],
            offset=args["offset"],
        )


def _detail(detail: Any) -> dict[str, Any]:
    summary = detail.summary
    return {
        **{name: getattr(summary, name) for name in summary.__dataclass_fields__},
        "body": detail.body,
        "lead_units_text": detail.lead_units_text,
        "co_units_text": detail.co_units_text,
        "targets": detail.targets,
        "deadline_date": detail.deadline_date,
        "cycles": detail.cycles,
    }


@blp.route(f"/key-tasks/<{ID}:key_task_id>", methods=["GET"])
@blp.response(200, KeyTaskDetailSchema)
def key_task(key_task_id: int) -> Any:
    """一项重点任务:正文、牵头和责任单位、各轮办理周期及其未办结环节和灯色。"""
    with acting() as (actor, work):
        return _detail(key_task_detail(work, actor, key_task_id))


@blp.route(f"/key-tasks/<{ID}:key_task_id>/cycles", methods=["POST"])
@blp.arguments(StartCycleSchema)
@blp.response(201, CycleSchema)
@blp.problem(409, "该轮次已有办理周期,或任务已停用")
def start(args: dict[str, Any], key_task_id: int) -> Any:
    """为一项重点任务启动某一报送轮次的办理周期(督查室或管理员),第一个环节“交办”随即开启。"""
    try:
        with acting(write=True) as (actor, work):
            started = start_cycle(work, actor, key_task_id, args["round"])
            return cycle_detail(work, actor, started.id)
    except IntegrityError:
        # Two starts of the same round at the same moment (PostgreSQL): both found no cycle, the
        # unique (key task, round) let one insert. The loser's transaction is rolled back.
        raise Conflict(f"重点任务 {key_task_id} 在 {args['round']} 轮次的办理周期刚刚由他人启动") from None


@blp.route(f"/cycles/<{ID}:cycle_id>", methods=["GET"])
@blp.response(200, CycleSchema)
def cycle(cycle_id: int) -> Any:
    """办理周期:状态,已办和待办环节,谁在何时办理。"""
    with acting() as (actor, work):
        return cycle_detail(work, actor, cycle_id)


@blp.route(f"/cycles/<{ID}:cycle_id>/diagram", methods=["GET"])
@blp.response(200, DiagramSchema)
def diagram(cycle_id: int) -> Any:
    """流程图(BPMN XML)及每个元素的状态(done 已办 / open 待办 / overdue 逾期),供 bpmn-js 着色。"""
    with acting() as (actor, work):
        return cycle_diagram(work, actor, cycle_id)

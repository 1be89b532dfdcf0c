"""/api/v1/…/batch: many human tasks completed, or many cycles started, each item in a transaction
of its own (service/batches.py) with its own result."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from ..batches import each, summary
from ..operations.common import authz
from ..operations.common.actor import Actor
from ..operations.cycles.batch import complete_forward_said, start_cycle_said
from ..security import client_ip, require_actor
from .base import Blueprint, runtime
from .schemas.batches import BatchCompleteSchema, BatchResultSchema, BatchStartSchema

blp = Blueprint("batches", __name__, url_prefix="/api/v1", description="批量办理")


def allowed_first(check: Callable[[Actor], None]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Authz before the body: one who may do none of a batch hears 401/403 (``check``), never a
    422 about its content. Goes between ``route`` and ``arguments``."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            check(require_actor())
            return view(*args, **kwargs)

        return guarded

    return decorate


@blp.route("/human-tasks/batch-complete", methods=["POST"])
@allowed_first(authz.ensure_may_batch_complete)
@blp.arguments(BatchCompleteSchema)
@blp.response(200, BatchResultSchema)
def batch_complete(args: dict[str, Any]) -> Any:
    """批量办理(批量交办、批量审核通过):逐项办理所选待办,每项单独一个事务,一项失败不影响其他项。
    有结论的环节取流程图中不属于退回的那一个结论(审核通过);comment 为各项共用的意见。需要填写内容
    或须逐项选择结论的环节,该项 422。每项的 status 即单独办理时的状态码(404 不存在或无权查看,
    403 无权办理,409 已办理)。ids 为 1–100 项。批量办理仅限督查室和区领导:其他人整个请求 403
    (先于请求体的校验)。"""
    actor = require_actor()
    comment = args["comment"]
    results = each(
        runtime(), args["ids"], lambda work, item: complete_forward_said(work, actor, item, comment), ip=client_ip()
    )
    return {"results": results, **summary(results)}


@blp.route("/cycles/batch-start", methods=["POST"])
@allowed_first(authz.ensure_can_start_cycles)
@blp.arguments(BatchStartSchema)
@blp.response(200, BatchResultSchema)
def batch_start(args: dict[str, Any]) -> Any:
    """批量启动:为所选重点任务逐项启动 round 轮的办理周期,每项单独一个事务。每项的 status 即单独启动时
    的状态码(404 无此重点任务,409 已有该轮周期或已停用,422 轮次格式有误)。无权启动周期的人整个请求
    403(先于请求体的校验)。"""
    actor = require_actor()
    round_name = args["round"]
    results = each(
        runtime(),
        args["key_task_ids"],
        lambda work, item: start_cycle_said(work, actor, item, round_name),
        ip=client_ip(),
    )
    return {"results": results, **summary(results)}

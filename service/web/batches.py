"""批量办理 on 待办 and 批量启动 on 督查台账: the chosen items one by one, each in its own transaction
(``service/batches.py``), and a page of the results, item by item."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for

from ..batches import each, summary
from ..errors import Invalid
from ..operations.cycles.batch import complete_forward_said, start_cycle_said
from ..security import client_ip, login_required
from .base import bp, me, runtime, to_int


def _ids(name: str, label: str) -> list[int]:
    return [to_int(value, name, label) for value in request.form.getlist(name)]


def _results(title: str, back: str, kind: str, results: list[Any]) -> Any:
    return render_template("batch_results.html", title=title, back=back, kind=kind, results=results, **summary(results))


@bp.post("/inbox/batch")
@login_required
def inbox_batch() -> Any:
    """批量办理: 交办 and 审核 steps with their forward decision and one comment for all."""
    actor = me()
    ids = _ids("id", "待办编号")
    comment = request.form.get("comment", "").strip()
    if len(comment) > 2000:
        raise Invalid("意见不能超过 2000 字", field="comment")
    results = each(runtime(), ids, lambda work, item: complete_forward_said(work, actor, item, comment), ip=client_ip())
    return _results("批量办理结果", url_for("web.inbox_page"), "待办", results)


@bp.post("/ledger/batch-start")
@login_required
def ledger_batch_start() -> Any:
    """批量启动: a round's cycles for the chosen key tasks."""
    actor = me()
    ids = _ids("key_task", "重点任务编号")
    round_name = request.form.get("round", "").strip()
    if not round_name:
        raise Invalid("请选择轮次", field="round")
    results = each(runtime(), ids, lambda work, item: start_cycle_said(work, actor, item, round_name), ip=client_ip())
    return _results("批量启动结果", url_for("web.ledger_page", round=round_name), "重点任务", results)

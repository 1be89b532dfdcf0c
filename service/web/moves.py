"""The moves off the happy path on the pages (issue 11): 催办, 免报, 转办, 退回交办, 撤回 on the
step's page; 截止汇总 and 撤销 on the cycle's page; the office's answer to a 退回交办 in its inbox.
Each form posts here, runs one operation in one transaction, and goes back to the page with a
message (the refusal's, when the operation refuses: a 409 or 422 says what and why)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, request, url_for

from ..errors import DomainError
from ..operations.cycles.moves import cancel_cycle, close_inputs, withdraw_human_task
from ..operations.supervision.declines import decide_decline, decline_human_task
from ..operations.supervision.extensions import withdraw_extension
from ..operations.supervision.step_moves import reassign_human_task, urge_human_task, waive_human_task
from ..security import login_required
from ..vocabulary import Move
from .base import FORM_STATUSES, bp, me, writing


def _run(move: Callable[[Any], object], done: str, back: str) -> Any:
    try:
        with writing() as work:
            move(work)
    except DomainError as error:
        if error.status not in FORM_STATUSES and error.status != 403:
            raise
        flash(error.detail, "error")
        return redirect(back)
    flash(done, "success")
    return redirect(back)


def _comment() -> str:
    return request.form.get("comment", "")


def _step_page(task_id: int) -> str:
    return url_for("web.human_task_page", task_id=task_id, _anchor="moves")


@bp.post("/human-tasks/<int(max=2147483647):task_id>/urge")
@login_required
def urge_page(task_id: int) -> Any:
    return _run(
        lambda work: urge_human_task(work, me(), task_id, comment=_comment()),
        f"已{Move.URGE.label},承办单位已收到通知。",
        _step_page(task_id),
    )


@bp.post("/human-tasks/<int(max=2147483647):task_id>/waive")
@login_required
def waive_page(task_id: int) -> Any:
    return _run(
        lambda work: waive_human_task(work, me(), task_id, comment=_comment()),
        f"已{Move.WAIVE.label}。",
        _step_page(task_id),
    )


@bp.post("/human-tasks/<int(max=2147483647):task_id>/reassign")
@login_required
def reassign_page(task_id: int) -> Any:
    unit = request.form.get("unit_id", "")
    return _run(
        lambda work: reassign_human_task(
            work,
            me(),
            task_id,
            unit_id=int(unit) if unit.isdigit() else None,
            comment=_comment(),
            scope=request.form.get("scope", "cycle"),
        ),
        f"已{Move.REASSIGN.label},新的承办单位已收到通知。",
        _step_page(task_id),
    )


@bp.post("/human-tasks/<int(max=2147483647):task_id>/decline")
@login_required
def decline_page(task_id: int) -> Any:
    return _run(
        lambda work: decline_human_task(work, me(), task_id, comment=_comment()),
        f"已{Move.DECLINE.label},请等待督查室处理;处理前本环节期限照常计算。",
        _step_page(task_id),
    )


@bp.post("/human-tasks/<int(max=2147483647):task_id>/withdraw")
@login_required
def withdraw_page(task_id: int) -> Any:
    return _run(
        lambda work: withdraw_human_task(work, me(), task_id),
        f"已{Move.WITHDRAW.label},可修改后重新提交。",
        _step_page(task_id),
    )


@bp.post("/cycles/<int(max=2147483647):cycle_id>/close-inputs")
@login_required
def close_inputs_page(cycle_id: int) -> Any:
    return _run(
        lambda work: close_inputs(work, me(), cycle_id, comment=_comment()),
        f"已{Move.CLOSE_INPUTS.label},未报的意见按逾期未报处理,汇总报送已开启。",
        url_for("web.cycle_page", cycle_id=cycle_id),
    )


@bp.post("/cycles/<int(max=2147483647):cycle_id>/cancel")
@login_required
def cancel_page(cycle_id: int) -> Any:
    return _run(
        lambda work: cancel_cycle(work, me(), cycle_id, comment=_comment()),
        f"本轮办理已{Move.CANCEL.label}。",
        url_for("web.cycle_page", cycle_id=cycle_id),
    )


@bp.post("/declines/<int(max=2147483647):decline_id>/decide")
@login_required
def decline_decide_page(decline_id: int) -> Any:
    decision = request.form.get("decision", "")
    unit = request.form.get("unit_id", "")
    return _run(
        lambda work: decide_decline(
            work,
            me(),
            decline_id,
            decision=decision,
            comment=_comment(),
            unit_id=int(unit) if unit.isdigit() else None,
            scope=request.form.get("scope", "cycle"),
        ),
        "退回交办已处理。",
        url_for("web.inbox_page"),
    )


@bp.post("/extensions/<int(max=2147483647):extension_id>/withdraw")
@login_required
def extension_withdraw_page(extension_id: int) -> Any:
    return _run(
        lambda work: withdraw_extension(work, me(), extension_id),
        "延期申请已撤回。",
        url_for("web.extensions_page"),
    )

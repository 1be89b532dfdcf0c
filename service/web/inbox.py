"""待办 / 已办: the steps to do (or done), with filters by plan, key task, round, light (待办) or
how they finished (已办), paged."""

from __future__ import annotations

from typing import Any

from flask import render_template

from ..operations.common import authz
from ..operations.common.timing import LATE, ON_TIME
from ..operations.queries.inbox import inbox, inbox_counts
from ..operations.queries.ledger import key_task_choices, known_rounds, plans_list
from ..operations.queries.moves import active_units, pending_declines
from ..security import login_required
from ..vocabulary import Light
from .base import arg_choice, arg_int, arg_text, bp, me, reading

PER_PAGE = 20
STATES = {"open": "待办", "done": "已办"}
ORDERS = {"asc": "升序", "desc": "降序"}
DEFAULT_ORDER = {"open": "asc", "done": "desc"}
OUTCOMES = {ON_TIME: "按期办结", LATE: "超期办结"}


@bp.get("/inbox")
@login_required
def inbox_page() -> Any:
    actor = me()
    state = arg_choice("state", "状态", STATES) or "open"
    light = arg_choice("light", "灯色", Light.labels()) if state == "open" else None
    outcome = arg_choice("outcome", "办理结果", OUTCOMES) if state == "done" else None
    plan_id = arg_int("plan", "计划")
    key_task_id = arg_int("key_task", "重点任务")
    round_name = arg_text("round", max_length=20)
    order = arg_choice("order", "排序", ORDERS)
    cursor = arg_text("cursor", max_length=200)
    page_number = arg_int("page", "页码", default=1) or 1
    with reading() as work:
        found = inbox(
            work,
            actor,
            state=state,
            limit=PER_PAGE,
            cursor=cursor,
            light=light,
            outcome=outcome,
            key_task_id=key_task_id,
            round_name=round_name,
            plan_id=plan_id,
            order=order,
        )
        counts = (
            inbox_counts(work, actor, key_task_id=key_task_id, round_name=round_name, plan_id=plan_id)
            if state == "open"
            else None
        )
        plans = plans_list(work)
        key_tasks = key_task_choices(work, actor, plan_id)
        rounds = known_rounds(work)
        declines = pending_declines(work, actor) if state == "open" else ()
        units = active_units(work) if declines else ()
    return render_template(
        "inbox.html",
        page=found,
        state=state,
        states=STATES,
        order=order or DEFAULT_ORDER[state],
        light_filter=light,  # not "light": the template imports the macro of that name
        outcome_filter=outcome,
        outcomes=OUTCOMES,
        plan_id=plan_id,
        plans=plans,
        key_task_id=key_task_id,
        round_name=round_name,
        counts=counts,
        key_tasks=key_tasks,
        rounds=rounds,
        page_number=page_number,
        per_page=PER_PAGE,
        declines=declines,
        units=units,
        may_batch=authz.permits(authz.ensure_may_batch_complete, actor),
    )

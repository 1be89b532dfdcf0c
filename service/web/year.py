"""A key task's year (/key-tasks/<id>): its indicators against 序时进度 with their progress lights and a
chart of the values reported round by round, its progress reports, its cycles, and where its year
stands (销号, 挂账). The office adds, corrects and retires indicators here; the lead unit's head (or
the office) applies for 办结销号."""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from ..errors import DomainError, Invalid
from ..operations.common import authz
from ..operations.queries.key_tasks import key_task_detail
from ..operations.queries.progress import key_task_indicators, report_history
from ..operations.queries.year_status import year_states
from ..operations.year.closing import start_closing
from ..operations.year.indicators import IndicatorFields, add_indicator, correct_indicator, retire_indicator
from ..security import login_required
from ..vocabulary import Comparator, YearStatus
from .base import FormErrors, arg_text, bp, me, reading, to_int, writing

INDICATOR_FIELDS = ("name", "comparator", "target", "measure", "responsible_unit", "schedule", "reason")
_MILESTONE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*[::=]\s*([\d.]+)\s*%?\s*$")


def _render(
    key_task_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    editing: int | None = None,
) -> str:
    actor = me()
    with reading() as work:
        detail = key_task_detail(work, actor, key_task_id)
        indicators = key_task_indicators(work, actor, key_task_id, round_name=arg_text("round", max_length=20))
        reports = report_history(work, actor, key_task_id)
        year = year_states(work, [key_task_id])[key_task_id]
        may_close = year.status in (YearStatus.OPEN, YearStatus.CARRIED) and authz.may_apply_for_closing(
            work.session, actor, key_task_id
        )
    summary = detail.summary
    chart = {
        "rounds": list(indicators.rounds),
        "expected": [e for _name, e in indicators.expected_line],
        "series": [
            {
                "name": f"{i.name}({i.target_text})",
                "completion": [
                    next((p.completion for p in i.points if p.round == name), None) for name in indicators.rounds
                ],
                "values": [next((p.value for p in i.points if p.round == name), None) for name in indicators.rounds],
                "measure": i.measure,
            }
            for i in indicators.indicators
            if i.active
        ],
    }
    return render_template(
        "key_task.html",
        task=detail,
        summary=summary,
        indicators=indicators,
        reports=reports,
        year=year,
        may_manage=authz.may_manage_indicators(actor),
        may_close=may_close,
        units=[*summary.lead_units, *summary.co_units],
        comparators=Comparator.labels(),
        chart=chart,
        values=values or {},
        errors=errors or FormErrors(),
        editing=editing,
    )


@bp.get("/key-tasks/<int(max=2147483647):key_task_id>")
@login_required
def key_task_page(key_task_id: int) -> Any:
    return _render(key_task_id)


def _schedule(text: str) -> list[dict[str, str]] | None:
    """Milestones typed one per line or separated by ;: "2024-06-30: 50%" → [{"by": …, "share": …}]."""
    parts = [p for p in re.split(r"[;;\n]", text or "") if p.strip()]
    if not parts:
        return []
    out = []
    for part in parts:
        found = _MILESTONE.match(part)
        if found is None:
            raise Invalid(f"阶段目标“{part.strip()[:30]}”格式不对,应如 2024-06-30: 50%", field="schedule")
        out.append({"by": found.group(1), "share": found.group(2)})
    return out


def _fields(form: dict[str, str], *, partial: bool) -> IndicatorFields:
    def given(name: str) -> str | None:
        value = form.get(name, "")
        return None if partial and not value.strip() else value

    unit = form.get("responsible_unit", "").strip()
    return IndicatorFields(
        name=given("name"),
        comparator=given("comparator"),
        target=given("target"),
        measure=given("measure"),
        responsible_unit_id=to_int(unit, "responsible_unit", "责任单位") if unit else None,
        schedule=_schedule(form.get("schedule", "")) if form.get("schedule", "").strip() or not partial else None,
    )


def _form() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in INDICATOR_FIELDS}


@bp.post("/key-tasks/<int(max=2147483647):key_task_id>/indicators")
@login_required
def indicator_add(key_task_id: int) -> Any:
    form = _form()
    try:
        with writing() as work:
            made = add_indicator(work, me(), _fields(form, partial=False), key_task_id=key_task_id)
            name = made.name
    except DomainError as error:
        errors = FormErrors()
        errors.take(error, {f"new.{f}" for f in INDICATOR_FIELDS}, rename={f: f"new.{f}" for f in INDICATOR_FIELDS})
        return _render(key_task_id, values={f"new.{k}": v for k, v in form.items()}, errors=errors), error.status
    flash(f"已添加指标“{name}”。", "success")
    return redirect(url_for("web.key_task_page", key_task_id=key_task_id) + "#indicators")


@bp.post("/indicators/<int(max=2147483647):indicator_id>/<any(correct, retire):action>")
@login_required
def indicator_change(indicator_id: int, action: str) -> Any:
    form = _form()
    key_task_id = to_int(request.form.get("key_task", ""), "key_task", "重点任务")
    prefix = f"{indicator_id}."
    try:
        with writing() as work:
            if action == "retire":
                changed = retire_indicator(work, me(), indicator_id, form["reason"])
            else:
                changed = correct_indicator(work, me(), indicator_id, _fields(form, partial=True))
            name = changed.name
    except DomainError as error:
        errors = FormErrors()
        errors.take(error, {prefix + f for f in INDICATOR_FIELDS}, rename={f: prefix + f for f in INDICATOR_FIELDS})
        values = {prefix + k: v for k, v in form.items()}
        return _render(key_task_id, values=values, errors=errors, editing=indicator_id), error.status
    flash(f"指标“{name}”已{'停用' if action == 'retire' else '更正'}。", "success")
    return redirect(url_for("web.key_task_page", key_task_id=key_task_id) + "#indicators")


@bp.post("/key-tasks/<int(max=2147483647):key_task_id>/closing")
@login_required
def closing_apply(key_task_id: int) -> Any:
    try:
        with writing() as work:
            started = start_closing(work, me(), key_task_id)
            opened = started.opened[0].id if started.opened else None
    except DomainError as error:
        errors = FormErrors()
        errors.take(error, set())
        return _render(key_task_id, errors=errors), error.status
    flash("已开启办结销号流程,请填写销号申请(办结情况、各指标最终值)并上传佐证材料。", "success")
    if opened is not None and authz.applies_for_itself(me()):  # the applicant goes on to fill it in
        return redirect(url_for("web.human_task_page", task_id=opened))
    return redirect(url_for("web.key_task_page", key_task_id=key_task_id))

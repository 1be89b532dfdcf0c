"""打擂台 (/league): the 考评 league tables of a round — scores by rule, ranks and the change since the
last round; the office adds 加减分 and publishes (发布) from here; once a round is published every unit
reads its tables and its own breakdown. The .xlsx exports of 打擂台 and 统计 live here too."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, flash, redirect, render_template, request, url_for

from ..errors import DomainError, NotFound
from ..exports.scores_xlsx import league_xlsx, statistics_xlsx
from ..operations.assessment.league import add_adjustment, publish_round, remove_adjustment
from ..operations.common import authz
from ..operations.queries.dashboard import dashboard
from ..operations.queries.progress_lights import key_task_progress
from ..operations.queries.scores import score_rounds, scores
from ..security import login_required
from .base import FormErrors, arg_text, bp, local_time, me, plan_choice, reading, runtime, to_int, writing

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(data: bytes, ascii_name: str, name: str) -> Response:
    return Response(
        data,
        mimetype=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )


def _render(round_name: str | None, *, values: dict[str, str] | None = None, errors: FormErrors | None = None) -> Any:
    actor = me()
    note: str | None = None
    with reading() as work:
        rounds = score_rounds(work)
        try:
            result = scores(work, actor, round_name)
        except NotFound as missing:
            if round_name and round_name not in rounds:
                raise
            # A unit before the round is published, or nothing scored yet.
            result, note = None, missing.detail if rounds else "还没有可以考评的轮次。"
        units = []
        if result is not None and authz.sees_all_scores(actor):
            units = [(u.unit_id, u.unit) for t in result.tables for u in t.units]
    charts = {}
    if result is not None:
        charts = {
            "scores": [
                {"label": t.label, "units": [u.unit for u in t.units], "totals": [u.total for u in t.units]}
                for t in result.tables
            ]
        }
    return render_template(
        "league.html",
        result=result,
        rounds=rounds,
        chosen=round_name or (result.round if result else None),
        note=note,
        units=sorted(units, key=lambda u: u[1]),
        sees_all=authz.sees_all_scores(actor),
        may_adjust=authz.may_adjust_scores(actor),
        may_publish=authz.may_publish_league(actor),
        charts=charts,
        values=values or {},
        errors=errors or FormErrors(),
        base=runtime().config.scoring.base,
    )


@bp.get("/league")
@login_required
def league_page() -> Any:
    return _render(arg_text("round", max_length=20))


@bp.post("/league/publish")
@login_required
def league_publish() -> Any:
    round_name = (request.form.get("round") or "").strip()
    try:
        with writing() as work:
            publish_round(work, me(), round_name)
    except DomainError as error:
        errors = FormErrors()
        errors.take(error, set())
        return _render(round_name or None, errors=errors), error.status
    flash(f"{round_name} 轮次的打擂台结果已发布,各单位现在可以查看。", "success")
    return redirect(url_for("web.league_page", round=round_name))


@bp.post("/league/adjustments")
@login_required
def league_adjust() -> Any:
    form = {k: request.form.get(k, "") for k in ("round", "unit", "points", "reason")}
    round_name = form["round"].strip()
    try:
        unit_id = to_int(form["unit"], "unit", "单位") if form["unit"].strip() else 0
        try:
            points = float(form["points"].strip())
        except ValueError:
            points = form["points"]  # type: ignore[assignment]  # the operation names what is wrong
        with writing() as work:
            add_adjustment(work, me(), round_name, unit_id, points, form["reason"])
    except DomainError as error:
        errors = FormErrors()
        errors.take(error, {"unit", "points", "reason"}, rename={"unit_id": "unit"})
        return _render(round_name or None, values=form, errors=errors), error.status
    flash("加减分已记录。", "success")
    return redirect(url_for("web.league_page", round=round_name) + "#adjustments")


@bp.post("/league/adjustments/<int(max=2147483647):adjustment_id>/remove")
@login_required
def league_adjustment_remove(adjustment_id: int) -> Any:
    round_name = (request.form.get("round") or "").strip()
    back = url_for("web.league_page", round=round_name or None) + "#adjustments"
    try:
        with writing() as work:
            remove_adjustment(work, me(), adjustment_id)
    except DomainError as error:
        if error.status not in (403, 404, 409):
            raise
        flash(error.detail, "error")
        return redirect(back)
    flash("加减分已删除。", "success")
    return redirect(back)


@bp.get("/league.xlsx")
@login_required
def league_export() -> Any:
    with reading() as work:
        result = scores(work, me(), arg_text("round", max_length=20))
        data = league_xlsx(result, work.runtime.config.tz)
    return _download(data, f"league-{result.round}.xlsx", f"打擂台-{result.round}.xlsx")


@bp.get("/dashboard.xlsx")
@login_required
def dashboard_export() -> Any:
    asked, remembered = plan_choice()
    with reading() as work:
        board = dashboard(
            work, me(), plan_id=asked, round_name=arg_text("round", max_length=20), remembered_plan=remembered
        )
        progress = key_task_progress(work, [k.key_task_id for k in board.key_tasks], board.round)
        data = statistics_xlsx(board, progress, work.runtime.config.tz)
    stamp = local_time(board.now, "%Y%m%d")
    return _download(data, "statistics.xlsx", f"{board.plan.title}统计-{board.round or '未启动'}-{stamp}.xlsx")

"""督查台账: the ledger page, its print view and its .xlsx export (one layout, three forms)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, flash, redirect, render_template, request, url_for

from ..errors import DomainError
from ..exports.ledger_xlsx import ledger_xlsx
from ..operations.common import authz
from ..operations.cycles.start import start_cycle
from ..operations.queries.ledger import Ledger, ledger
from ..operations.supervision.rounds import current_round, round_choices, round_of
from ..security import login_required
from ..vocabulary import Light, Progress, round_label
from .base import (
    FORM_STATUSES,
    FormErrors,
    arg_choice,
    arg_int,
    arg_text,
    back_to,
    bp,
    form_state,
    local_time,
    me,
    plan_choice,
    query_with,
    reading,
    runtime,
    to_int,
    writing,
)

PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _read(*, every_row: bool) -> Ledger:
    asked, remembered = plan_choice()
    with reading() as work:
        return ledger(
            work,
            me(),
            plan_id=asked,
            remembered_plan=remembered,
            round_name=arg_text("round", max_length=20),
            light=arg_choice("light", "灯色", Light.labels()),
            status=arg_choice("status", "状态", Progress.labels()),
            page=(arg_int("page", "页码", default=1) or 1) if not every_row else 1,
            per_page=None if every_row else PER_PAGE,
        )


def _page(errors: FormErrors | None = None, values: dict[str, str] | None = None) -> str:
    book = _read(every_row=False)
    actor = me()
    may_start = authz.may_start_cycles(actor)
    today = book.now.astimezone(runtime().config.tz).date()
    choices: tuple[str, ...] = ()
    default_round = book.round
    if may_start:
        choices = tuple(r.name for r in round_choices(runtime().config, today))
        if default_round is None or default_round not in choices:
            found = current_round(runtime(), book.now) or round_of(runtime().config, today)
            default_round = found.name if found else choices[0]
    return render_template(
        "ledger.html",
        book=book,
        statuses=Progress.labels(),
        may_start=may_start,
        default_round=default_round or "",
        round_choices=choices,
        errors=errors or FormErrors(),
        values=values or {},
    )


@bp.get("/ledger")
@login_required
def ledger_page() -> Any:
    return _page(*form_state())


@bp.post("/ledger/start")
@login_required
def ledger_start() -> Any:
    """Starts a key task's cycle for a round (the office; rounds also open by themselves)."""
    key_task_id = to_int(request.form.get("key_task", ""), "key_task", "重点任务编号")
    round_name = request.form.get("round", "")
    try:
        with writing() as work:
            started = start_cycle(work, me(), key_task_id, round_name)
    except DomainError as error:
        if error.status not in FORM_STATUSES:
            raise
        # A clash (the round already started) is said above the table: that row has no form any more.
        errors = FormErrors({FormErrors.FORM if error.status == 409 else f"start.{key_task_id}": error.detail})
        return back_to(url_for("web.ledger_page") + query_with(), errors, {f"start.{key_task_id}": round_name})
    flash(f"已启动{round_label(started.round)}轮次的办理,交办环节已进入督查室待办。", "success")
    return redirect(url_for("web.ledger_page") + query_with(round=started.round, page=None))


@bp.get("/ledger/print")
@login_required
def ledger_print() -> Any:
    return render_template("ledger_print.html", book=_read(every_row=True))


@bp.get("/ledger.xlsx")
@login_required
def ledger_export() -> Any:
    book = _read(every_row=True)
    data = ledger_xlsx(book, runtime().config.tz)
    name = f"{book.plan.title}督查台账-{book.round or '未启动'}-{local_time(book.now, '%Y%m%d')}.xlsx"
    return Response(
        data,
        mimetype=XLSX,
        headers={
            # RFC 5987: the Chinese file name for browsers, an ASCII one for the rest.
            "Content-Disposition": f"attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )

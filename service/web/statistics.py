"""统计 and 打擂台 (the office, the leaders, the admins): figures and charts (ECharts)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from ..operations.queries.dashboard import dashboard, league
from ..security import login_required
from .base import arg_text, bp, me, plan_choice, reading


@bp.get("/dashboard")
@login_required
def dashboard_page() -> Any:
    asked, remembered = plan_choice()
    with reading() as work:
        board = dashboard(
            work, me(), plan_id=asked, round_name=arg_text("round", max_length=20), remembered_plan=remembered
        )
    charts = {
        "sections": {
            "names": [s.name for s in board.sections],
            "closed": [s.closed for s in board.sections],
            "running": [s.running for s in board.sections],
            "none": [s.not_started for s in board.sections],
        },
        "lights": board.lights,
        "progress": {
            "names": [f"{k.number}. {k.title}" for k in board.key_tasks],
            "percent": [k.percent for k in board.key_tasks],
            "lights": [k.light or "" for k in board.key_tasks],
        },
    }
    return render_template("dashboard.html", board=board, charts=charts)


@bp.get("/league")
@login_required
def league_page() -> Any:
    asked, remembered = plan_choice()
    with reading() as work:
        table = league(
            work, me(), plan_id=asked, round_name=arg_text("round", max_length=20), remembered_plan=remembered
        )
    ranked = [s for s in table.standings if s.on_time_rate is not None]
    charts = {
        "units": [s.unit for s in ranked],
        "rate": [round(s.on_time_rate * 100) for s in ranked if s.on_time_rate is not None],
        "returns": [s.returns for s in ranked],
        "escalations": [s.escalations for s in ranked],
    }
    return render_template("league.html", table=table, charts=charts)

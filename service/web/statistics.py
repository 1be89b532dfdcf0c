"""统计 and 打擂台 (the office, the leaders, the admins): figures and charts (ECharts)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import render_template

from ..operations.common import authz
from ..operations.queries.dashboard import dashboard
from ..operations.queries.progress_lights import key_task_progress
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
        progress = key_task_progress(work, [k.key_task_id for k in board.key_tasks], board.round)
    counts = Counter(p.light or "none" for p in progress.values())
    expected = next((p.expected for p in progress.values() if p.expected is not None), None)
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
    return render_template(
        "dashboard.html",
        board=board,
        charts=charts,
        progress=progress,
        expected=expected,
        may_draft_bulletin=authz.may_draft_bulletin(me()),
        may_issue_notices=authz.may_issue_notices(me()),
        progress_counts={key: counts.get(key, 0) for key in ("red", "yellow", "green", "none")},
    )

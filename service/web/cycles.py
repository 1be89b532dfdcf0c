"""办理过程: one cycle's steps done and open, with who and when, and its diagram."""

from __future__ import annotations

from typing import Any

from flask import render_template

from ..operations.queries.cycle_views import cycle_detail, cycle_diagram
from ..operations.queries.moves import cycle_moves
from ..security import login_required
from .base import bp, diagram_data, me, reading


@bp.get("/cycles/<int(max=2147483647):cycle_id>")
@login_required
def cycle_page(cycle_id: int) -> Any:
    actor = me()
    with reading() as work:
        detail = cycle_detail(work, actor, cycle_id)
        diagram = cycle_diagram(work, actor, cycle_id)
        moves = cycle_moves(work, actor, cycle_id)
    return render_template("cycle.html", cycle=detail, moves=moves, diagram=diagram_data(diagram))

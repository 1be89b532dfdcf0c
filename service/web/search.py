"""查找: the header's search box and its page of results (key tasks, steps, progress reports)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from ..errors import Invalid
from ..operations.queries.search import MAX_QUERY, search
from ..security import login_required
from ..vocabulary import SearchKind
from .base import bp, me, reading


@bp.get("/search")
@login_required
def search_page() -> Any:
    query = request.args.get("q", "").strip()[: MAX_QUERY + 1]
    found, error = None, None
    if query:
        try:
            with reading() as work:
                found = search(work, me(), query, limit=30)
        except Invalid as refused:
            error = refused.detail
    return render_template("search.html", query=query, found=found, error=error, kinds=list(SearchKind))

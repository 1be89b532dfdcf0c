"""/api/v1/search: key tasks, human tasks and progress reports by words."""

from __future__ import annotations

from typing import Any

from ..operations.queries.search import search as find
from .base import Blueprint, acting
from .schemas.search import SearchQuery, SearchResultSchema

blp = Blueprint("search", __name__, url_prefix="/api/v1", description="查找")


@blp.route("/search", methods=["GET"])
@blp.arguments(SearchQuery, location="query")
@blp.response(200, SearchResultSchema)
def search(args: dict[str, Any]) -> Any:
    """按词查找本人有权查看的重点任务(标题、正文、单位)、办理环节(环节名、承办单位、意见、填报内容)
    和进展报告(存在问题、下步打算);多个词用空格分隔,须都出现。每类按新到旧,最多 limit 条,
    more 列出还有更多结果的类别。q 为空、超过 100 字或多于 5 个词时 422(field: q)。"""
    with acting() as (actor, work):
        return find(work, actor, args["q"], limit=args["limit"])

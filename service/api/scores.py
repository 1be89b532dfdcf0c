"""/api/v1/scores and /api/v1/rounds/{round}/…: 考评 scores, 加减分, publishing the 打擂台 tables, and
the round's 督查通报."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response

from ..exports.bulletin_docx import bulletin_docx
from ..operations.assessment.league import add_adjustment, publish_round, remove_adjustment
from ..operations.queries.bulletin import bulletin
from ..operations.queries.scores import adjustments, scores
from .base import ID, Blueprint, acting
from .schemas.scores import AdjustmentInSchema, AdjustmentSchema, BulletinQuery, ScoresQuery, ScoresSchema

blp = Blueprint("scores", __name__, url_prefix="/api/v1", description="考评与打擂台")
ROUND = "string(maxlength=20)"


@blp.route("/scores", methods=["GET"])
@blp.arguments(ScoresQuery, location="query")
@blp.response(200, ScoresSchema)
def round_scores(args: dict[str, Any]) -> Any:
    """一轮的考评得分:每个参评单位(镇街组、区直部门组)的总分、组内名次、较上一轮的变化和各项明细。

    得分 = [scoring] base + 各规则的次数 × 分值 + 加减分,由数据库按本轮的记录计算(规则见 README)。
    督查室、领导、管理员随时可查看;单位只能查看已发布的轮次,且只看到本单位的明细(未发布为 404)。
    已发布的轮次返回发布时的结果。"""
    with acting() as (actor, work):
        return scores(work, actor, args.get("round"))


@blp.route("/scores/adjustments", methods=["POST"])
@blp.arguments(AdjustmentInSchema)
@blp.response(201, AdjustmentSchema)
@blp.problem(409, "该轮次已发布")
def adjust(args: dict[str, Any]) -> Any:
    """加减分(督查室):为参评单位(``unit_id``;旧名 ``unit`` 仍接受)在某一轮次加分或减分,分值为 0.5 的
    整数倍、介于 -100 与 100 之间且不为 0,须填写理由;记入审计。已发布的轮次不能再加减分(409)。"""
    with acting(write=True) as (actor, work):
        unit_id = int(args["unit_id"] if "unit_id" in args else args["unit"])  # the schema requires one
        made = add_adjustment(work, actor, args["round"], unit_id, args["points"], args["reason"])
        return next(a for a in adjustments(work, args["round"]) if a.id == made)


@blp.route(f"/scores/adjustments/<{ID}:adjustment_id>", methods=["DELETE"])
@blp.response(204)
@blp.problem(404, "没有这条加减分")
@blp.problem(409, "该轮次已发布")
def delete_adjustment(adjustment_id: int) -> Any:
    """删除一条加减分(督查室):只在其轮次发布之前;记入审计(删除前的分值和理由)。发布后为 409。"""
    with acting(write=True) as (actor, work):
        remove_adjustment(work, actor, adjustment_id)
    return None


@blp.route(f"/rounds/<{ROUND}:round_name>/publish", methods=["POST"])
@blp.response(200, ScoresSchema)
@blp.problem(409, "该轮次已经发布")
def publish(round_name: str) -> Any:
    """发布一轮的打擂台结果(督查室):按当前记录计算并保存;此后各单位可查看,结果不再变化。"""
    with acting(write=True) as (actor, work):
        return publish_round(work, actor, round_name)


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def download(data: bytes, mimetype: str, ascii_name: str, name: str) -> Response:
    """A file to save: the Chinese name for browsers (RFC 5987), an ASCII one for the rest."""
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )


@blp.route(f"/rounds/<{ROUND}:round_name>/bulletin.docx", methods=["GET"])
@blp.arguments(BulletinQuery, location="query")
@blp.response(200, description="督查通报(Word 文档)", content_type=DOCX)
def round_bulletin(args: dict[str, Any], round_name: str) -> Any:
    """一个计划本轮的督查通报(.docx,A4,公文字体):总体情况、各板块推进情况、进度红黄灯事项及牵头单位、
    打擂台排名、通报表扬和批评的单位、附件重点任务一览表。督查室、领导、管理员可下载。

    plan_id:只统计、列出该计划的重点任务和单位,并以该计划署名;缺省为「统计」页默认显示的计划
    (当年第一个发布的计划)。打擂台排名是本轮的考评结果,不分计划(与 GET /api/v1/scores 相同)。
    计划不存在或该计划本轮没有办理记录:404。"""
    with acting() as (actor, work):
        made = bulletin(work, actor, round_name, args.get("plan_id"))
        tz = work.runtime.config.tz
    return download(bulletin_docx(made, tz), DOCX, f"bulletin-{round_name}.docx", f"{made.title}.docx")

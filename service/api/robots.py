"""/api/v1/units/{id}/robot: a unit's group robot (企业微信 or 钉钉), admins only."""

from __future__ import annotations

from typing import Any

from ..operations.directory.robots import remove_robot, robot_of, set_robot
from .base import ID, Blueprint, acting
from .schemas.robots import RobotArgs, RobotSchema

blp = Blueprint("robots", __name__, url_prefix="/api/v1", description="单位群机器人(系统管理员)")


@blp.route(f"/units/<{ID}:unit_id>/robot", methods=["GET"])
@blp.response(200, RobotSchema)
def robot(unit_id: int) -> Any:
    """单位的群机器人设置(加签密钥从不返回,地址中的 key 已遮盖)。"""
    with acting() as (actor, work):
        return robot_of(work, actor, unit_id)


@blp.route(f"/units/<{ID}:unit_id>/robot", methods=["PUT"])
@blp.arguments(RobotArgs)
@blp.response(200, RobotSchema)
def put(args: dict[str, Any], unit_id: int) -> Any:
    """设置单位的群机器人:发给该单位的通知同时推送到该群(企业微信或钉钉,markdown)。地址须为 https://。"""
    with acting(write=True) as (actor, work):
        return set_robot(work, actor, unit_id, channel=args["channel"], url=args["url"], secret=args.get("secret"))


@blp.route(f"/units/<{ID}:unit_id>/robot", methods=["DELETE"])
@blp.response(200, RobotSchema)
def delete(unit_id: int) -> Any:
    """取消单位的群机器人。"""
    with acting(write=True) as (actor, work):
        return remove_robot(work, actor, unit_id)

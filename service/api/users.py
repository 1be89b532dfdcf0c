"""/api/v1/users: accounts (admins only)."""

from __future__ import annotations

from typing import Any

from ..operations.directory.users import (
    add_user,
    disable_user,
    enable_user,
    list_users,
    reset_password,
    set_mobile,
    username_of,
)
from .base import ID, Blueprint, acting
from .schemas.users import MobileSchema, NewUserSchema, PasswordSchema, UserListSchema, UserSchema

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="用户管理(系统管理员)")


@blp.route("/users", methods=["GET"])
@blp.response(200, UserListSchema)
def users() -> Any:
    """所有账号。"""
    with acting() as (actor, work):
        return {"items": list_users(work, actor)}


@blp.route("/users", methods=["POST"])
@blp.arguments(NewUserSchema)
@blp.response(201, UserSchema)
@blp.problem(409, "用户名已存在")
def create(args: dict[str, Any]) -> Any:
    """新建账号。"""
    with acting(write=True) as (actor, work):
        return add_user(
            work,
            actor,
            args["username"],
            unit_name=args["unit"],
            role=args["role"],
            password=args["password"],
            display_name=args.get("display_name"),
            email=args.get("email"),
            mobile=args.get("mobile"),
        )


@blp.route(f"/users/<{ID}:user_id>/disable", methods=["POST"])
@blp.response(200, UserSchema)
def disable(user_id: int) -> Any:
    """停用账号:其会话和访问令牌立即失效。"""
    with acting(write=True) as (actor, work):
        return disable_user(work, actor, username_of(work, actor, user_id))


@blp.route(f"/users/<{ID}:user_id>/enable", methods=["POST"])
@blp.response(200, UserSchema)
def enable(user_id: int) -> Any:
    """重新启用账号。"""
    with acting(write=True) as (actor, work):
        return enable_user(work, actor, username_of(work, actor, user_id))


@blp.route(f"/users/<{ID}:user_id>/password", methods=["POST"])
@blp.arguments(PasswordSchema)
@blp.response(200, UserSchema)
def password(args: dict[str, Any], user_id: int) -> Any:
    """重设密码:其会话和访问令牌立即失效。"""
    with acting(write=True) as (actor, work):
        return reset_password(work, actor, username_of(work, actor, user_id), args["password"])


@blp.route(f"/users/<{ID}:user_id>/mobile", methods=["PUT"])
@blp.arguments(MobileSchema)
@blp.response(200, UserSchema)
def mobile(args: dict[str, Any], user_id: int) -> Any:
    """设置或清除手机号(大陆手机号,11 位;供今后短信通知使用)。"""
    with acting(write=True) as (actor, work):
        return set_mobile(work, actor, username_of(work, actor, user_id), args["mobile"])

"""/api/v1/me and /api/v1/auth/…: who am I, session login/logout, bearer tokens."""

from __future__ import annotations

from typing import Any

from flask import session

from ..errors import DomainError
from ..operations.directory.auth import issue_token, list_tokens, revoke_token
from ..security import bearer_token, csrf_token, current_token_id, logout_user, require_actor, sign_in, with_password
from .base import Blueprint, acting
from .schemas.identity import CsrfSchema, LoginSchema, MeSchema, TokenInfoSchema, TokenRequestSchema, TokenSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="身份:登录、访问令牌、当前用户")
PUBLIC: list[dict[str, list[str]]] = []


class NotWithToken(DomainError):
    status = 400
    code = "no_token"
    title = "请求中没有访问令牌"


def _me(via: str) -> dict[str, Any]:
    actor = require_actor()
    return {
        "user_id": actor.user_id,
        "username": actor.username,
        "display_name": actor.display_name,
        "role": actor.role,
        "role_name": actor.role.label,
        "unit_id": actor.unit_id,
        "unit_name": actor.unit_name,
        "via": via,
    }


@blp.route("/me", methods=["GET"])
@blp.response(200, MeSchema)
def me() -> Any:
    """当前登录的用户(会话或访问令牌)。"""
    return _me("token" if bearer_token() is not None else "session")


@blp.route("/auth/csrf", methods=["GET"])
@blp.response(200, CsrfSchema)
@blp.doc(security=PUBLIC)
def csrf() -> Any:
    """本会话的 CSRF 令牌:使用会话 Cookie 的 POST/DELETE 请求须在 X-CSRFToken 头中附上它。"""
    return {"csrf_token": csrf_token()}


@blp.route("/auth/login", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(200, MeSchema)
@blp.problem(401, "用户名或密码错误")
@blp.problem(429, "失败次数过多,稍后再试(见 Retry-After)")
@blp.doc(security=PUBLIC)
def login(args: dict[str, Any]) -> Any:
    """用户名和密码登录,开始一个会话(Set-Cookie)。只接受 JSON。"""
    sign_in(args["username"], args["password"])
    return _me("session")


@blp.route("/auth/logout", methods=["POST"])
@blp.response(204)
@blp.doc(security=PUBLIC)
def logout() -> Any:
    """结束会话(服务器端):此后该会话的 Cookie(包括其副本)不再有效。"""
    logout_user()
    session.modified = True
    return None


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
@blp.problem(401, "用户名或密码错误")
@blp.problem(429, "失败次数过多,稍后再试(见 Retry-After)")
@blp.doc(security=PUBLIC)
def create_token(args: dict[str, Any]) -> Any:
    """用用户名和密码换取 Bearer 访问令牌(有效期见 config.toml [auth] token_days)。"""
    issued = with_password(args["username"], args["password"], lambda work, user: issue_token(work, user, args["name"]))
    return {"id": issued.id, "token": issued.token, "token_type": "Bearer", "expires_at": issued.expires_at}


@blp.route("/auth/token", methods=["DELETE"])
@blp.response(204)
def revoke_current_token() -> Any:
    """撤销本次请求所用的访问令牌。"""
    with acting(write=True) as (actor, work):
        token_id = current_token_id()
        if token_id is None:
            raise NotWithToken("本请求没有使用访问令牌;请在 Authorization: Bearer 头中附上要撤销的令牌")
        revoke_token(work, actor, token_id)
    return None


@blp.route("/auth/tokens", methods=["GET"])
@blp.response(200, TokenInfoSchema(many=True))
def tokens() -> Any:
    """我的访问令牌(管理员:所有人的)。令牌本身不再显示。"""
    with acting() as (actor, work):
        return list_tokens(work, actor)


@blp.route("/auth/tokens/<int(max=2147483647):token_id>", methods=["DELETE"])
@blp.response(200, TokenInfoSchema)
def revoke(token_id: int) -> Any:
    """撤销一个访问令牌(本人的;管理员可撤销任何人的)。"""
    with acting(write=True) as (actor, work):
        return revoke_token(work, actor, token_id)


__all__ = ["blp"]

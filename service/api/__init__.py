"""The JSON API under /api/v1, documented by an OpenAPI 3 document at /api/v1/openapi.json and an
interactive page at /api/v1/docs (Swagger UI, served from this machine)."""

from __future__ import annotations

from flask import Flask

from ..problems import install
from . import (
    audit,
    auth,
    batches,
    calendar,
    directory,
    docs,
    escalations,
    extensions,
    indicators,
    key_tasks,
    moves,
    notifications,
    robots,
    scores,
    search,
    tasks,
    users,
)
from .base import BEARER, Api, known_query, size_limit

DESCRIPTION = """督办(duban)的 JSON 接口。

身份:脚本用 `POST /api/v1/auth/token` 换取访问令牌,请求时放在 `Authorization: Bearer …` 头中;
网页内的脚本可用登录会话(Cookie),此时 POST/DELETE 请求须在 `X-CSRFToken` 头中附上
`GET /api/v1/auth/csrf` 返回的令牌。

出错时返回 RFC 9457 问题详情(`application/problem+json`):type、title、status、detail(中文),
以及出错的字段 field。"""


def register(app: Flask) -> None:
    """Registers the API's blueprints, its OpenAPI document and its error handling on the app."""
    app.config.update(
        API_TITLE="督办 duban API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "security": BEARER,
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token 所得"},
                    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "duban_session"},
                }
            },
        },
    )
    api = Api(app)
    from flask_smorest.spec.plugins import integerconverter2paramschema

    from ..routing import KeyConverter

    api.register_converter(KeyConverter, integerconverter2paramschema)  # documented as integer ≤ 2^31-1
    blueprints = [
        auth.blp,
        directory.blp,
        key_tasks.blp,
        tasks.blp,
        audit.blp,
        users.blp,
        extensions.blp,
        notifications.blp,
        escalations.blp,
        calendar.blp,
        indicators.blp,
        scores.blp,
        moves.blp,
        search.blp,
        batches.blp,
        robots.blp,
    ]
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.blp)
    install(app)
    app.before_request(size_limit)
    app.before_request(known_query)

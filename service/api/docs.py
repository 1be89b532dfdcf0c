"""/api/v1/docs: Swagger UI over /api/v1/openapi.json, from files vendored on this machine
(``make assets``), never a CDN: the service runs offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, render_template_string, send_from_directory

from ..problems import handle_errors_of
from ..security import csrf_token

SWAGGER = Path(__file__).resolve().parent.parent / "web" / "static" / "vendor" / "swagger-ui"
OWN = Path(__file__).resolve().parent / "static"
SWAGGER_FILES = {"swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"}

blp = Blueprint("api_docs_page", __name__, url_prefix="/api/v1/docs")
handle_errors_of(blp)

PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="csrf-token" content="{{ csrf }}">
  <title>督办 duban API 文档</title>
  <link rel="stylesheet" href="{{ url_for('api_docs_page.asset', name='swagger-ui.css') }}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{{ url_for('api_docs_page.asset', name='swagger-ui-bundle.js') }}"></script>
  <script src="{{ url_for('api_docs_page.asset', name='swagger-ui-standalone-preset.js') }}"></script>
  <script src="{{ url_for('api_docs_page.asset', name='duban-docs.js') }}"
          data-spec="{{ url_for('api-docs.openapi_json') }}"></script>
</body>
</html>
"""


@blp.get("")
def page() -> Any:
    response = render_template_string(PAGE, csrf=csrf_token())
    headers = {
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
    }
    return response, 200, headers


@blp.get("/assets/<name>")
def asset(name: str) -> Any:
    if name in SWAGGER_FILES:
        if not (SWAGGER / name).is_file():
            abort(404, description="Swagger UI 文件缺失(请先运行 make assets)")
        return send_from_directory(SWAGGER, name, max_age=3600)
    if name == "duban-docs.js":
        return send_from_directory(OWN, name, max_age=3600)
    abort(404)

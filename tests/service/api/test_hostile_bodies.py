"""Bodies built to break the parser: JSON nested far deeper than any form is refused with a 400
problem on every API route that takes a body, never a 500 (Python's parser raises RecursionError
near a thousand levels)."""

from __future__ import annotations

import re

import pytest

from service.api.base import MAX_JSON_DEPTH


def _json_operations(app) -> list[tuple[str, str]]:
    """Every API operation the OpenAPI document says takes a JSON body."""
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put", "patch", "delete") and "application/json" in operation.get(
                "requestBody", {}
            ).get("content", {}):
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return sorted(found)


def _nested(depth: int) -> str:
    return '{"data": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deep_json_is_a_400_problem_on_every_route(app, api, world, depth):
    client = api(world.supervisor)
    routes = _json_operations(app)
    assert len(routes) >= 8  # the API's writes are all here
    for method, path in routes:
        response = client.request(method, path, data=_nested(depth), content_type="application/json")
        assert response.status_code == 400, (method, path, response.status_code, response.get_data(as_text=True)[:200])
        assert response.content_type.startswith("application/problem+json")
        assert f"{MAX_JSON_DEPTH} 层" in response.get_json()["detail"]


def test_deep_json_is_refused_before_login_too(app):
    response = app.test_client().post("/api/v1/auth/token", data=_nested(1000), content_type="application/json")
    assert response.status_code == 400 and response.get_json()["type"] == "urn:duban:problem:bad_json"


def test_json_just_within_the_bound_reaches_the_schema(app, api, world):
    """At the bound the body is parsed and judged by the endpoint's schema (422), not refused as JSON."""
    client = api(world.supervisor)
    body = '{"round": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"
    within = client.post(f"/api/v1/key-tasks/{world.key_task.id}/cycles", data=body, content_type="application/json")
    assert within.status_code == 422
    deeper = "[" + body.replace('{"round": ', '{"round": [').removesuffix("}") + "]}]"
    beyond = client.post(f"/api/v1/key-tasks/{world.key_task.id}/cycles", data=deeper, content_type="application/json")
    assert beyond.status_code == 400

"""One rule for query parameters on every API endpoint: one it does not declare is a 400 naming
it (and what the endpoint takes), never silently ignored."""

from __future__ import annotations


def test_an_unknown_query_parameter_is_a_400_naming_it(world, api):
    office = api(world.supervisor)
    everything = office.get("/api/v1/key-tasks")
    assert everything.status_code == 200
    typo = office.get(f"/api/v1/key-tasks?plan_id={world.plan.id}")
    assert typo.status_code == 400 and typo.content_type.startswith("application/problem+json")
    body = typo.get_json()
    assert "plan_id" in body["detail"] and "plan" in body["detail"] and body["field"] == "plan_id"
    assert office.get(f"/api/v1/key-tasks?plan={world.plan.id}").status_code == 200
    # Endpoints that take no query parameter, and list endpoints with their own, alike.
    for path in ("/api/v1/units?kind=street", "/api/v1/users?page=2", "/api/v1/inbox?sort=due", "/api/v1/me?x=1"):
        refused = office.get(path)
        assert refused.status_code == 400, path
        assert path.split("?")[1].split("=")[0] in refused.get_json()["detail"]
    assert office.get("/api/v1/inbox").status_code == 200

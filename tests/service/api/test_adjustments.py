"""加减分 through the API: points a multiple of 0.5 within ±100 (the 422 says so), the unit named
``unit_id`` as elsewhere (``unit`` still accepted), and taking one back before 发布 (audited; 409
after)."""

from __future__ import annotations

from db.models import ScoreAdjustment
from tests.helpers import actions, count


def test_points_are_halves_within_a_hundred_and_the_unit_is_unit_id(world, start, api):
    start()
    office = api(world.supervisor)
    body = {"round": "2024-Q2", "unit_id": world.lead_unit.id, "reason": "主动作为"}
    for bad in (0.3, 100.5, -101, 0):
        refused = office.post("/api/v1/scores/adjustments", json={**body, "points": bad})
        assert refused.status_code == 422, (bad, refused.get_json())
        assert refused.get_json()["field"] == "points" and "0.5 的整数倍" in refused.get_json()["detail"]
    made = office.post("/api/v1/scores/adjustments", json={**body, "points": -2.5})
    assert (
        made.status_code == 201
        and made.get_json()["points"] == -2.5
        and made.get_json()["unit_id"] == world.lead_unit.id
    )
    alias = office.post(
        "/api/v1/scores/adjustments",
        json={"round": "2024-Q2", "unit": world.lead_unit.id, "points": 100, "reason": "x"},
    )
    assert alias.status_code == 201
    neither = office.post("/api/v1/scores/adjustments", json={"round": "2024-Q2", "points": 1, "reason": "x"})
    assert neither.status_code == 422 and neither.get_json()["field"] == "unit_id"
    clash = office.post(
        "/api/v1/scores/adjustments",
        json={**body, "unit": world.co_units[0].id, "points": 1},
    )
    assert clash.status_code == 422 and clash.get_json()["field"] == "unit_id"


def test_an_adjustment_is_deleted_before_publication_only(world, start, api, runtime):
    start()
    office = api(world.supervisor)
    body = {"round": "2024-Q2", "unit_id": world.lead_unit.id, "points": 1.5, "reason": "主动作为"}
    first = office.post("/api/v1/scores/adjustments", json=body).get_json()["id"]
    second = office.post("/api/v1/scores/adjustments", json=body).get_json()["id"]
    assert api(world.lead_head).delete(f"/api/v1/scores/adjustments/{first}").status_code == 403
    assert office.delete(f"/api/v1/scores/adjustments/{first}").status_code == 204
    assert office.delete(f"/api/v1/scores/adjustments/{first}").status_code == 404
    assert actions(runtime, "score.adjustment_removed") == ["score.adjustment_removed"]
    assert office.post("/api/v1/rounds/2024-Q2/publish").status_code == 200
    late = office.delete(f"/api/v1/scores/adjustments/{second}")
    assert late.status_code == 409 and "已发布" in late.get_json()["detail"]
    assert count(runtime, ScoreAdjustment) == 1

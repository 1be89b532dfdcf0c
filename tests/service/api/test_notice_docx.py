"""GET /api/v1/human-tasks/{id}/notice.docx answers like the step itself: 404 for a missing step
and for another unit's step, before anything about who may draw up a notice."""

from __future__ import annotations

from tests.helpers import local


def test_the_notice_of_a_step_one_does_not_see_is_a_404(world, consolidating, api, clock):
    clock.set(local(2024, 4, 18, 10))
    office = api(world.supervisor)
    assert office.get(f"/api/v1/human-tasks/{consolidating.id + 10_000}/notice.docx").status_code == 404
    assert office.get(f"/api/v1/human-tasks/{consolidating.id}/notice.docx").status_code == 200
    other = api(world.co_heads[0])
    assert other.get(f"/api/v1/human-tasks/{consolidating.id}").status_code == 404
    missing = other.get(f"/api/v1/human-tasks/{consolidating.id}/notice.docx")
    assert missing.status_code == 404 and missing.content_type.startswith("application/problem+json")
    own = api(world.lead_head).get(f"/api/v1/human-tasks/{consolidating.id}/notice.docx")
    assert own.status_code == 403  # the lead unit sees its step but may not draw up a notice

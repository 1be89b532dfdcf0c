"""加减分 on the 打擂台 page: the office deletes one before 发布 (the button goes with 发布)."""

from __future__ import annotations

import re

from db.models import ScoreAdjustment
from service.operations.assessment.league import add_adjustment, publish_round
from tests.helpers import actions, count


def test_the_office_deletes_an_adjustment_before_publication(world, start, runtime, web):
    start()
    with runtime.work() as work:
        made = add_adjustment(work, world.supervisor, "2024-Q2", world.lead_unit.id, 1.5, "主动作为")
    office = web("duchashi")
    page = office.get("/league?round=2024-Q2").get_data(as_text=True)
    assert f'id="remove-adjustment-{made}"' in page
    assert web("lead_head").post(f"/league/adjustments/{made}/remove", {"round": "2024-Q2"}).status_code == 302
    assert count(runtime, ScoreAdjustment) == 1  # a unit may not
    done = office.post(f"/league/adjustments/{made}/remove", {"round": "2024-Q2"})
    assert done.status_code == 302 and "#adjustments" in done.headers["Location"]
    assert count(runtime, ScoreAdjustment) == 0 and actions(runtime, "score.adjustment_removed")
    assert "加减分已删除" in office.get("/league?round=2024-Q2").get_data(as_text=True)
    with runtime.work() as work:
        kept = add_adjustment(work, world.supervisor, "2024-Q2", world.lead_unit.id, -1, "迟报")
        publish_round(work, world.supervisor, "2024-Q2")
    after = office.get("/league?round=2024-Q2").get_data(as_text=True)
    assert not re.search(r'id="remove-adjustment-\d+"', after)
    office.post(f"/league/adjustments/{kept}/remove", {"round": "2024-Q2"})
    assert count(runtime, ScoreAdjustment) == 1

"""督办通知单: the notice of an overdue step, its .docx, and who may draw it up (issue 14 item 11)."""

from __future__ import annotations

import io

import pytest
from docx import Document

from service.errors import Conflict, Forbidden, NotFound
from service.exports.notice_docx import notice_docx
from service.operations.queries.notices import overdue_notice
from tests.helpers import TZ, local


def _notice(runtime, actor, task_id, now):
    with runtime.work(write=False, now=now) as work:
        return overdue_notice(work, actor, task_id)


def test_an_overdue_step_has_a_notice_addressed_to_its_unit(runtime, world, consolidating, tick):
    tick(local(2024, 4, 18, 10))  # the ladder has run: three working days late
    notice = _notice(runtime, world.supervisor, consolidating.id, local(2024, 4, 18, 10))
    assert notice.addressee == "区发展改革和经济信息化局"
    assert (notice.key_task_title, notice.round_label, notice.step_name) == (
        "推行产业链长制",
        "2024年第二季度",
        "汇总报送",
    )
    assert notice.working_days_late == 3
    assert notice.level > 0 and notice.level_label and notice.since is not None
    assert notice.number == f"督办〔2024〕第 {consolidating.id} 号"

    text = "\n".join(
        [p.text for p in Document(io.BytesIO(notice_docx(notice, TZ))).paragraphs]
        + [c.text for row in Document(io.BytesIO(notice_docx(notice, TZ))).tables[0].rows for c in row.cells]
    )
    for said in (
        "督办通知单",
        "区发展改革和经济信息化局：",
        "推行产业链长制",
        "汇总报送",
        "2024年4月15日",
        "已逾期3个工作日",
        notice.level_label,
        "（盖章）",
        "回执",
    ):
        assert said in text, said


def test_no_notice_before_the_deadline_nor_for_units(runtime, world, consolidating):
    with pytest.raises(Conflict, match="尚未逾期"):
        _notice(runtime, world.supervisor, consolidating.id, local(2024, 4, 15, 17))
    with pytest.raises(Forbidden):
        _notice(runtime, world.lead_head, consolidating.id, local(2024, 4, 18, 10))
    assert _notice(runtime, world.leader, consolidating.id, local(2024, 4, 16, 9)).working_days_late == 1


def test_a_step_one_does_not_see_has_no_notice_as_it_has_no_page(runtime, world, consolidating):
    """A missing step and another unit's step answer 404, as ``GET /api/v1/human-tasks/{id}`` does."""
    late = local(2024, 4, 18, 10)
    with pytest.raises(NotFound):
        _notice(runtime, world.co_heads[0], consolidating.id, late)
    with pytest.raises(NotFound):
        _notice(runtime, world.supervisor, consolidating.id + 10_000, late)

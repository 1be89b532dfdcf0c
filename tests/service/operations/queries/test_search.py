"""Search by words: what is found (titles, unit names, inputs, comments, reports), only what the
actor may see, the index kept in the writing transaction, short Chinese words, bad queries."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from db.models import HumanTask, KeyTask
from service.errors import Invalid
from service.operations.queries.search import search
from service.vocabulary import SearchKind


def _find(runtime, actor, query):
    with runtime.work(write=False) as work:
        return search(work, actor, query)


def _ids(result, kind):
    return {hit.id for hit in result.of(kind)}


def test_key_tasks_are_found_by_title_unit_and_short_words(runtime, world, make):
    other = make.key_task([world.co_units[0]], [], plan=world.plan, number=2, title="建设数字政府")
    assert _ids(_find(runtime, world.supervisor, "产业链长制"), SearchKind.KEY_TASK) == {world.key_task.id}
    # two characters (under the trigram tokenizer's three) and a unit's name
    assert _ids(_find(runtime, world.supervisor, "数字"), SearchKind.KEY_TASK) == {other.id}
    assert _ids(_find(runtime, world.supervisor, "财政局"), SearchKind.KEY_TASK) == {world.key_task.id, other.id}
    # every word must occur
    assert _ids(_find(runtime, world.supervisor, "财政局 产业链"), SearchKind.KEY_TASK) == {world.key_task.id}
    assert _find(runtime, world.supervisor, "不存在的词语").hits == ()


def test_inputs_and_comments_are_found_as_they_are_written_and_only_by_whom_may_see_them(
    runtime, world, to_consolidate, open_steps, act
):
    cycle_id = to_consolidate()
    (consolidate,) = open_steps(cycle_id, "consolidate")
    act(world.lead_head, consolidate.id, data={"report": "汇总:产业链招商引资进展顺利"}, comment="请审核Alpha")
    supervisor = _find(runtime, world.supervisor, "招商引资")
    assert _ids(supervisor, SearchKind.HUMAN_TASK) == {consolidate.id}
    assert "招商引资" in supervisor.of(SearchKind.HUMAN_TASK)[0].snippet
    assert _ids(_find(runtime, world.supervisor, "alpha"), SearchKind.HUMAN_TASK) == {consolidate.id}
    assert _ids(_find(runtime, world.lead_staff, "招商引资"), SearchKind.HUMAN_TASK) == {consolidate.id}
    # a co-unit sees the key task but not the lead unit's step; a unit with no part sees nothing
    assert _ids(_find(runtime, world.co_heads[0], "招商引资"), SearchKind.HUMAN_TASK) == set()
    assert _find(runtime, world.outsider, "产业链").hits == ()
    # a co-unit's own input, by its words, and its steps by the unit's name
    own = _find(runtime, world.co_heads[1], "凤凰街道的意见")
    assert {hit.unit_name for hit in own.of(SearchKind.HUMAN_TASK)} == {"凤凰街道"}
    by_unit = _find(runtime, world.supervisor, "泽林镇")
    assert {hit.unit_name for hit in by_unit.of(SearchKind.HUMAN_TASK)} == {"泽林镇"}


def test_the_index_follows_every_write_in_its_transaction(runtime, world):
    with runtime.work() as work:
        work.session.execute(update(KeyTask).where(KeyTask.id == world.key_task.id).values(title="推行林长制"))
        # the writing transaction already finds what it wrote
        assert [hit.id for hit in search(work, world.supervisor, "林长制").hits] == [world.key_task.id]
    assert _ids(_find(runtime, world.supervisor, "林长制"), SearchKind.KEY_TASK) == {world.key_task.id}
    assert _find(runtime, world.supervisor, "产业链").hits == ()


def test_a_rolled_back_write_leaves_the_index_as_it_was(runtime, world, to_consolidate):
    to_consolidate()
    with pytest.raises(RuntimeError), runtime.work() as work:
        work.session.execute(update(HumanTask).values(comment="撤回的意见内容"))
        raise RuntimeError
    assert _find(runtime, world.supervisor, "撤回的意见").hits == ()


@pytest.mark.parametrize("query", ["", "   ", "词" * 101, "a b c d e f"])
def test_bad_queries_are_refused_naming_the_field(runtime, world, query):
    with pytest.raises(Invalid) as refused:
        _find(runtime, world.supervisor, query)
    assert refused.value.field == "q"


def test_like_characters_are_words(runtime, world, make):
    make.key_task([world.lead_unit], [], plan=world.plan, number=3, title="完成率100%_目标")
    assert len(_find(runtime, world.supervisor, "100%_").of(SearchKind.KEY_TASK)) == 1
    assert _find(runtime, world.supervisor, "%").of(SearchKind.KEY_TASK)[0].title == "完成率100%_目标"
    assert _find(runtime, world.supervisor, '"产业').of(SearchKind.KEY_TASK) == []

"""A cycle's stored state as the operations meet it: its format is read back and written current."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from db.models import AuditEvent, Cycle, HumanTask, HumanTaskState
from service.errors import Conflict
from workflows import STATE_FORMAT
from workflows import state as state_module


def test_a_state_of_an_unknown_format_is_a_clear_conflict_and_nothing_is_written(
    runtime, world, start, act, open_steps
):
    cycle_id = start()
    (dispatch,) = open_steps(cycle_id)
    with runtime.work() as work:
        work.session.execute(update(Cycle).where(Cycle.id == cycle_id).values(state_format="spiff9-ref+zstd/7"))
        events_before = work.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    with pytest.raises(Conflict) as caught:
        act(world.supervisor, dispatch.id)
    assert "spiff9-ref+zstd/7" in caught.value.detail and STATE_FORMAT in caught.value.detail
    with runtime.work(write=False) as work:
        assert work.session.get(HumanTask, dispatch.id).state == HumanTaskState.OPEN
        assert work.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) == events_before


def test_a_state_of_an_older_format_is_upgraded_and_written_in_the_current_one(
    runtime, world, start, act, open_steps, monkeypatch
):
    # An older format made up for the test (one format has been stored so far), read as the current.
    monkeypatch.setitem(state_module.UPGRADES, "test-old/0", (STATE_FORMAT, lambda dct: dct))
    cycle_id = start()
    with runtime.work() as work:
        work.session.execute(update(Cycle).where(Cycle.id == cycle_id).values(state_format="test-old/0"))
    (dispatch,) = open_steps(cycle_id)
    act(world.supervisor, dispatch.id)
    with runtime.work(write=False) as work:
        assert work.session.scalar(select(Cycle.state_format).where(Cycle.id == cycle_id)) == STATE_FORMAT

"""Notices on every hand-off of the flow: a step opened for you, sent back, the cycle closed; each
names the key task by number and title and the round in Chinese, in one quotation style."""

from __future__ import annotations

from tests.helpers import notified

SUBJECT = "重点任务1「推行产业链长制」2024年第二季度"


def test_each_hand_off_tells_who_must_act_next_naming_key_task_and_round(runtime, world, start, act, open_steps):
    cycle_id = start()
    # The cycle's start announces nothing step by step (the round's notice tells the office).
    assert notified(runtime, "duchashi") == []
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
    (sign,) = notified(runtime, "lead_head", "step_opened")
    assert sign.title == f"{SUBJECT}:签收待办理" and sign.human_task_id == open_steps(cycle_id, "sign_for")[0].id
    assert [n.title for n in notified(runtime, "lead_staff")] == [sign.title]
    act(world.lead_head, open_steps(cycle_id, "sign_for")[0].id)
    # Every co-unit hears of its own input, the unit's staff as much as its head.
    for head in ("co_head_0", "co_staff_1", "co_head_2"):
        (co,) = notified(runtime, head, "step_opened")
        assert co.title == f"{SUBJECT}:配合单位意见待办理"
    assert notified(runtime, "outsider") == []
    head_of = {head.unit_id: head for head in world.co_heads}
    inputs = open_steps(cycle_id, "co_input")
    for task in inputs[:-1]:
        act(head_of[task.unit_id], task.id, data={"text": "意见"})
    assert len(notified(runtime, "lead_head")) == 1  # nothing opened yet: nobody to tell
    act(head_of[inputs[-1].unit_id], inputs[-1].id, data={"text": "意见"})
    assert [n.title for n in notified(runtime, "lead_head")][-1] == f"{SUBJECT}:汇总报送待办理"

    act(world.lead_head, open_steps(cycle_id, "consolidate")[0].id, data={"report": "报告"})
    (review,) = notified(runtime, "duchashi", "step_opened")
    assert review.title == f"{SUBJECT}:审核待办理"
    act(world.supervisor, open_steps(cycle_id, "review")[0].id, decision="return", comment="数据不全,请补充")
    (back,) = notified(runtime, "lead_head", "step_returned")
    assert back.title == f"{SUBJECT}:汇总报送被退回"
    assert "数据不全,请补充" in back.body and "审核环节" in back.body
    assert back.human_task_id == open_steps(cycle_id, "consolidate")[0].id

    act(world.lead_head, open_steps(cycle_id, "consolidate")[0].id, data={"report": "补充后的报告"})
    act(world.supervisor, open_steps(cycle_id, "review")[0].id, decision="pass")
    (approve,) = notified(runtime, "lingdao", "step_opened")
    assert approve.title == f"{SUBJECT}:审批待办理"
    act(world.leader, open_steps(cycle_id, "approve")[0].id, decision="approve")
    (closed,) = notified(runtime, "lead_head", "cycle_closed")
    assert closed.title == f"{SUBJECT}:已办结"
    # One quotation style: 「」 around titles, never “” or ‘’ or 《》 in what the flow sent.
    with runtime.work(write=False) as work:
        from sqlalchemy import select

        from db.models import Notification

        texts = [n.title + n.body for n in work.session.scalars(select(Notification))]
    assert texts and not [t for t in texts if any(q in t for q in "“”‘’《》")]

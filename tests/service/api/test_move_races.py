"""Different moves on one step at the same moment (issue 15 item 10): a unit completing its step while
the office reassigns or waives it. Real HTTP on a threaded server, the two clients released together by
a barrier, several rounds: each time exactly one move wins, the other gets a 409 problem, the step
ends once, and the audit chain holds. (Two clients completing one step, two supervisors starting one
round and simultaneous wrong passwords have tests of their own: test_http_cycle.py, test_login_races.py.)"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from db.models import AuditEvent, HumanTask, HumanTaskState
from service.operations.common.audit import verify_chain

ROUNDS = 8


def _open(runtime, cycle_id: int, step: str, unit_id: int | None = None) -> int:
    with runtime.work(write=False) as work:
        query = select(HumanTask.id).where(
            HumanTask.cycle_id == cycle_id, HumanTask.step_id == step, HumanTask.state == HumanTaskState.OPEN
        )
        if unit_id is not None:
            query = query.where(HumanTask.unit_id == unit_id)
        return work.session.scalars(query).one()


def _race(base, pairs):
    """Each (session, path, body) posted at once; the responses in that order."""
    barrier = threading.Barrier(len(pairs))

    def post(pair):
        session, path, body = pair
        barrier.wait(timeout=30)
        return session.post(f"{base}{path}", json=body, timeout=60)

    with ThreadPoolExecutor(max_workers=len(pairs)) as pool:
        return list(pool.map(post, pairs))


def _ended_once(runtime, task_ids: list[int]) -> None:
    with runtime.work(write=False) as work:
        ended = work.session.execute(
            select(AuditEvent.human_task_id, func.count())
            .where(
                AuditEvent.human_task_id.in_(task_ids),
                AuditEvent.action.in_(("step.completed", "step.reassigned", "step.waived")),
            )
            .group_by(AuditEvent.human_task_id)
        ).all()
        assert {task: n for task, n in ended} == dict.fromkeys(task_ids, 1)
        assert verify_chain(work.session).ok


def test_completing_a_step_while_it_is_reassigned_one_wins(live_server, http_login, world, runtime, start, act):
    supervisor, lead = http_login(world.supervisor), http_login(world.lead_head)
    tasks = []
    for i in range(ROUNDS):
        cycle_id = start(f"{2100 + i}")
        act(world.supervisor, _open(runtime, cycle_id, "dispatch"))
        sign_for = _open(runtime, cycle_id, "sign_for")
        tasks.append(sign_for)
        done, moved = _race(
            live_server,
            [
                (lead, f"/api/v1/human-tasks/{sign_for}/complete", {}),
                (
                    supervisor,
                    f"/api/v1/human-tasks/{sign_for}/reassign",
                    {"unit_id": world.co_units[0].id, "comment": "职责调整"},
                ),
            ],
        )
        codes = sorted((done.status_code, moved.status_code))
        assert codes == [200, 409], (done.text, moved.text)
        loser = done if done.status_code == 409 else moved
        assert loser.headers["Content-Type"].startswith("application/problem+json")
    _ended_once(runtime, tasks)


def test_a_co_unit_reporting_while_the_office_waives_it_one_wins(live_server, http_login, world, runtime, start, act):
    supervisor, co = http_login(world.supervisor), http_login(world.co_heads[0])
    tasks = []
    for i in range(ROUNDS):
        cycle_id = start(f"{2200 + i}")
        act(world.supervisor, _open(runtime, cycle_id, "dispatch"))
        act(world.lead_head, _open(runtime, cycle_id, "sign_for"))
        mine = _open(runtime, cycle_id, "co_input", world.co_units[0].id)
        tasks.append(mine)
        done, waived = _race(
            live_server,
            [
                (co, f"/api/v1/human-tasks/{mine}/complete", {"data": {"text": "已落实"}}),
                (supervisor, f"/api/v1/human-tasks/{mine}/waive", {"comment": "本轮免报"}),
            ],
        )
        assert sorted((done.status_code, waived.status_code)) == [200, 409], (done.text, waived.text)
    _ended_once(runtime, tasks)

"""Whole cycles and races over real HTTP (a threaded server on loopback), by real users with tokens."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from db.models import AuditEvent, Role
from service.operations.common.audit import verify_chain


def open_step(session, base, cycle_id, step):
    """The one open step of that kind in the cycle, as its user's inbox shows it."""
    response = session.get(f"{base}/api/v1/inbox", params={"state": "open", "limit": 200}, timeout=30)
    assert response.status_code == 200, response.text
    found = [i for i in response.json()["items"] if i["cycle_id"] == cycle_id and i["step"] == step]
    assert len(found) == 1, (step, response.json())
    return found[0]


def test_a_full_cycle_by_six_users_with_a_return_and_a_reject(live_server, http_login, world, runtime):
    base = live_server
    supervisor, leader = http_login(world.supervisor), http_login(world.leader)
    lead = http_login(world.lead_head)
    co = [http_login(head) for head in world.co_heads]

    started = supervisor.post(f"{base}/api/v1/key-tasks/{world.key_task.id}/cycles", json={"round": "2024-Q2"})
    assert started.status_code == 201, started.text
    cycle = started.json()
    assert cycle["status"] == "running" and [s["step"] for s in cycle["steps_open"]] == ["dispatch"]
    cycle_id = cycle["id"]

    def complete(session, item, **body):
        response = session.post(f"{base}/api/v1/human-tasks/{item['id']}/complete", json=body, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    complete(supervisor, open_step(supervisor, base, cycle_id, "dispatch"))
    sign_for = open_step(lead, base, cycle_id, "sign_for")
    assert sign_for["unit"] == "区发展改革和经济信息化局" and sign_for["key_task_title"] == "推行产业链长制"
    opened = complete(lead, sign_for)["opened"]
    assert sorted(o["step"] for o in opened) == ["co_input", "co_input", "co_input"]

    for i, session in enumerate(co):
        item = open_step(session, base, cycle_id, "co_input")
        assert item["unit"] == world.co_units[i].name
        complete(session, item, data={"text": f"{world.co_units[i].name}:已落实"})

    consolidate = open_step(lead, base, cycle_id, "consolidate")
    detail = lead.get(f"{base}/api/v1/human-tasks/{consolidate['id']}").json()
    (inputs,) = detail["shown"]  # the diagram's <duban:show step="co_input"/>, before any report exists
    assert inputs["step"] == "co_input" and inputs["per_unit"] is True and inputs["folded"] is False
    # In the plan's order of the units, each with its field labelled by the diagram.
    assert [c["unit"] for c in inputs["items"]] == [u.name for u in world.co_units]
    assert [c["fields"] for c in inputs["items"]] == [
        [{"name": "text", "label": "配合意见", "value": f"{u.name}:已落实"}] for u in world.co_units
    ]
    assert detail["can_act"] is True and [f["name"] for f in detail["form"]["fields"]] == ["report"]
    assert detail["form"]["submit_label"] == "报送" and detail["sent_back"] is None
    complete(lead, consolidate, data={"report": "一稿"})

    review = open_step(supervisor, base, cycle_id, "review")
    shown = supervisor.get(f"{base}/api/v1/human-tasks/{review['id']}").json()
    assert [(s["step"], s["folded"]) for s in shown["shown"]] == [("consolidate", False), ("co_input", True)]
    assert shown["shown"][0]["items"][0]["data"]["report"] == "一稿"
    assert {o["value"]: (o["comment_required"], o["backward"]) for o in shown["form"]["decision_options"]} == {
        "pass": (False, False),
        "return": (True, True),
    }
    assert shown["form"]["decision_label"] == "审核结论"
    missing = supervisor.post(f"{base}/api/v1/human-tasks/{review['id']}/complete", json={"decision": "return"})
    assert missing.status_code == 422 and missing.json()["field"] == "comment"
    complete(supervisor, review, decision="return", comment="请补充数据")

    again = open_step(lead, base, cycle_id, "consolidate")
    returned = lead.get(f"{base}/api/v1/human-tasks/{again['id']}").json()
    assert returned["sent_back"]["decision_label"] == "退回" and returned["sent_back"]["comment"] == "请补充数据"
    # The lead unit sees its first draft, as the diagram's folded <duban:show step="consolidate"/>.
    earlier = next(s for s in returned["shown"] if s["step"] == "consolidate")
    assert earlier["earlier"] is True and earlier["items"][0]["data"]["report"] == "一稿"
    complete(lead, again, data={"report": "二稿"})
    complete(supervisor, open_step(supervisor, base, cycle_id, "review"), decision="pass")
    complete(leader, open_step(leader, base, cycle_id, "approve"), decision="reject", comment="再核实")
    complete(supervisor, open_step(supervisor, base, cycle_id, "review"), decision="pass")
    approval = open_step(leader, base, cycle_id, "approve")
    approve_page = leader.get(f"{base}/api/v1/human-tasks/{approval['id']}").json()
    sections = {s["step"]: s for s in approve_page["shown"]}
    verdict, report = sections["review"], sections["consolidate"]
    assert report["items"][0]["data"]["report"] == "二稿" and verdict["items"][0]["decision"] == "pass"
    assert approve_page["sent_back"] is None  # the reject went to review, and review passed it again
    last = complete(leader, approval, decision="approve")
    assert last["cycle_closed"] is True and last["opened"] == []

    final = supervisor.get(f"{base}/api/v1/cycles/{cycle_id}").json()
    assert final["status"] == "closed" and final["steps_open"] == []
    done = [(s["step"], s["decision"]) for s in final["steps_done"]]
    assert done.count(("review", "return")) == 1 and done.count(("approve", "reject")) == 1
    assert done[-1] == ("approve", "approve")
    who = {s["step"]: s["completed_by"] for s in final["steps_done"]}
    assert who["sign_for"] == world.lead_head.display_name and who["approve"] == world.leader.display_name

    trail = supervisor.get(f"{base}/api/v1/audit", params={"cycle": cycle_id, "limit": 500}).json()
    actions = [e["action"] for e in trail["items"]]
    assert actions[0] == "cycle.started" and actions[-1] == "cycle.closed"
    # dispatch and sign_for, one input per co-unit, then consolidate, review, … approve (seven).
    assert actions.count("step.completed") == 2 + len(world.co_units) + 7
    assert {e["ip"] for e in trail["items"] if e["action"] == "step.completed"} == {"127.0.0.1"}
    states = supervisor.get(f"{base}/api/v1/cycles/{cycle_id}/diagram").json()["element_states"]
    assert states["approve"] == "done" and "open" not in states.values()
    with runtime.work(write=False) as work:
        assert verify_chain(work.session).ok


def test_two_clients_completing_one_step_at_the_same_moment_one_wins_each_time(
    live_server, http_login, world, runtime, start
):
    base = live_server
    # Two supervisors: the dispatch step is theirs to do, so only the race decides.
    other_supervisor = _another_supervisor(runtime, world)
    clients = [http_login(world.supervisor), http_login(other_supervisor)]
    rounds = 200
    barrier = threading.Barrier(2)
    outcomes = []

    def hit(session, task_id):
        barrier.wait(timeout=30)
        return session.post(f"{base}/api/v1/human-tasks/{task_id}/complete", json={}, timeout=60)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for i in range(rounds):
            cycle_id = start(f"{2000 + i}")
            task_id = _dispatch_of(runtime, cycle_id)
            responses = list(pool.map(hit, clients, [task_id, task_id]))
            outcomes.append(sorted(r.status_code for r in responses))
            loser = next(r for r in responses if r.status_code == 409)
            assert loser.headers["Content-Type"].startswith("application/problem+json")
            # The loser is told the step is no longer open (wording depends on where it lost the race).
            assert "交办" in loser.json()["detail"] and loser.json()["status"] == 409
    assert outcomes == [[200, 409]] * rounds
    with runtime.work(write=False) as work:
        completions = work.session.execute(
            select(AuditEvent.human_task_id, func.count())
            .where(AuditEvent.action == "step.completed")
            .group_by(AuditEvent.human_task_id)
        ).all()
        assert len(completions) == rounds and {n for _task, n in completions} == {1}
        assert verify_chain(work.session).ok


def test_thirty_co_units_submitting_at_the_same_moment_all_succeed(live_server, http_login, make, world, runtime):
    base = live_server
    co_units = [make.unit(f"区测试配合单位{i:02d}") for i in range(30)]
    heads = [make.user(Role.UNIT_HEAD, unit, username=f"co30_{i:02d}") for i, unit in enumerate(co_units)]
    key_task = make.key_task([world.lead_unit], co_units, title="三十个配合单位")
    supervisor, lead = http_login(world.supervisor), http_login(world.lead_head)
    sessions = [http_login(head) for head in heads]

    cycle_id = supervisor.post(f"{base}/api/v1/key-tasks/{key_task.id}/cycles", json={"round": "2024-Q3"}).json()["id"]
    dispatch = open_step(supervisor, base, cycle_id, "dispatch")
    assert supervisor.post(f"{base}/api/v1/human-tasks/{dispatch['id']}/complete", json={}).status_code == 200
    sign_for = open_step(lead, base, cycle_id, "sign_for")
    assert lead.post(f"{base}/api/v1/human-tasks/{sign_for['id']}/complete", json={}).status_code == 200
    items = [open_step(session, base, cycle_id, "co_input") for session in sessions]

    barrier = threading.Barrier(len(sessions))

    def submit(session, item):
        barrier.wait(timeout=60)
        return session.post(
            f"{base}/api/v1/human-tasks/{item['id']}/complete", json={"data": {"text": item["unit"]}}, timeout=120
        )

    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        responses = list(pool.map(submit, sessions, items))
    assert [r.status_code for r in responses] == [200] * 30, [r.text for r in responses if r.status_code != 200]
    opened = [o["step"] for r in responses for o in r.json()["opened"]]
    assert opened == ["consolidate"]  # exactly the last of the thirty opened it
    consolidate = open_step(lead, base, cycle_id, "consolidate")
    detail = lead.get(f"{base}/api/v1/human-tasks/{consolidate['id']}").json()
    (inputs,) = detail["shown"]
    assert [c["data"]["text"] for c in inputs["items"]] == [u.name for u in co_units]  # the plan's order


def _another_supervisor(runtime, world):
    from db.models import User
    from service.operations.common.actor import Actor
    from service.passwords import hash_password

    with runtime.work() as work:
        user = User(
            username="duchashi2",
            display_name="督查室 第二人",
            password_hash=hash_password("correct-horse-9"),
            role=Role.SUPERVISOR,
            unit_id=world.supervisor.unit_id,
            created_at=work.now,
        )
        work.session.add(user)
        work.session.flush()
        return Actor.of(user)


def _dispatch_of(runtime, cycle_id):
    from db.models import HumanTask

    with runtime.work(write=False) as work:
        return work.session.scalar(
            select(HumanTask.id).where(HumanTask.cycle_id == cycle_id, HumanTask.step_id == "dispatch")
        )


def test_two_supervisors_starting_the_same_round_at_once_one_wins_each_time(live_server, http_login, world, runtime):
    base = live_server
    clients = [http_login(world.supervisor), http_login(_another_supervisor(runtime, world))]
    barrier = threading.Barrier(2)

    def start(session, round_name):
        barrier.wait(timeout=30)
        return session.post(
            f"{base}/api/v1/key-tasks/{world.key_task.id}/cycles", json={"round": round_name}, timeout=60
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        for year in range(2030, 2050):
            responses = list(pool.map(start, clients, [str(year)] * 2))
            assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
            loser = next(r for r in responses if r.status_code == 409)
            assert str(year) in loser.json()["detail"]

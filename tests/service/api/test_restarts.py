"""Cycles across server processes (issue 9), over real HTTP: a gunicorn server restarted between
steps, several gunicorn workers recycled as they go, and a server killed with SIGKILL under a small
completion load. The servers are separate processes on the test's database; the test reads what
they wrote. They run the product's code, not the test's runtime, so the engine mode of the run
(tests/helpers.py ENGINE_MODE) does not change them: they run in the live mode only."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from db.models import Cycle, CycleStatus, HumanTask, HumanTaskState
from service.config import REPO_ROOT
from service.operations.cycles.projection import load_run
from tests.helpers import ENGINE_MODE, PASSWORD, new_process, open_tasks

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(ENGINE_MODE == "cold", reason="the servers are processes of their own: live mode only"),
]
BIN = Path(sys.executable).parent
FORMS: dict[str, dict[str, Any]] = {
    "dispatch": {},
    "sign_for": {},
    "co_input": {"data": {"text": "已落实"}},
    "consolidate": {"data": {"report": "汇总"}},
    "review": {"decision": "pass"},
    "approve": {"decision": "approve"},
}


# Workers recycled after a few requests are forked from a master that loaded the app once (fast), each
# with the database pool left behind (never share a connection across fork) and an engine that has
# met no cycle: the master serves no request.
RECYCLING = """
preload_app = True


def post_fork(server, worker):
    from service.app import runtime_of
    from service.wsgi import app

    runtime_of(app).db.dispose(close=False)
"""


class Server:
    """gunicorn on a free loopback port, in a process group of its own (so a crash kills it all)."""

    def __init__(self, database_url: str, log: Path, *, workers: int = 1, max_requests: int = 0) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DUBAN_DATABASE_URL": database_url, "DUBAN_SECRET_KEY": "restart-test-secret"}
        env["DUBAN_CONFIG"] = str(REPO_ROOT / "config.toml")
        args = [str(BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "gthread", "--threads", "4"]
        if max_requests:  # each worker is replaced after that many requests: steps land on new processes
            config = log.with_name("recycling.py")
            config.write_text(RECYCLING)
            args += ["--config", str(config), "--max-requests", str(max_requests)]
        args += ["--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "service.wsgi:app"]
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            args, cwd=REPO_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        for _ in range(600):  # up to ~60 s on a busy machine, polling readiness (not a timed assertion)
            try:
                if requests.get(f"{self.base}/api/v1/openapi.json", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                break
            threading.Event().wait(0.1)
        self.kill()
        raise RuntimeError(f"gunicorn did not start: {log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        """A graceful stop (SIGTERM), as a deployment does."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        self.log.close()

    def kill(self) -> None:
        """A crash: SIGKILL to the master and every worker at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture
def serve(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """``serve(workers=1, max_requests=0) -> Server``; every server still up is stopped afterwards."""
    servers: list[Server] = []

    def _serve(**options: Any) -> Server:
        server = Server(database_url, tmp_path / "gunicorn.log", **options)
        servers.append(server)
        return server

    yield _serve
    for server in servers:
        if server.process.poll() is None:
            server.kill()


class Person:
    """One user's bearer token, used against whichever server is up."""

    def __init__(self, base: str, username: str) -> None:
        self.http = requests.Session()
        response = self.http.post(
            f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=30
        )
        assert response.status_code == 201, response.text
        self.http.headers["Authorization"] = f"Bearer {response.json()['token']}"

    def open_items(self, base: str, cycle_id: int | None = None) -> list[dict[str, Any]]:
        response = self.http.get(f"{base}/api/v1/inbox", params={"state": "open", "limit": 200}, timeout=30)
        assert response.status_code == 200, response.text
        return [i for i in response.json()["items"] if cycle_id is None or i["cycle_id"] == cycle_id]

    def complete(self, base: str, item: dict[str, Any]) -> requests.Response:
        return self.http.post(f"{base}/api/v1/human-tasks/{item['id']}/complete", json=FORMS[item["step"]], timeout=30)


def people(world: Any, base: str) -> dict[str, Person]:
    actors = [world.supervisor, world.leader, world.lead_head, *world.co_heads]
    return {a.username: Person(base, a.username) for a in actors}


def co_input_units(runtime: Any, cycle_id: int) -> list[int]:
    """The units whose inputs the cycle's process data holds, read by a new process."""
    new_process(runtime)
    with runtime.work(write=False) as work:
        cycle = work.session.get(Cycle, cycle_id)
        assert cycle is not None
        return sorted(i["unit"] for i in load_run(work, cycle).process_data().get("co_inputs", []))


def status_of(runtime: Any, cycle_id: int) -> CycleStatus:
    with runtime.work(write=False) as work:
        cycle = work.session.get(Cycle, cycle_id)
        assert cycle is not None
        return cycle.status


def test_a_cycle_driven_to_its_end_with_the_server_restarted_after_every_step(runtime, world, start, serve):
    """Two servers take the steps in turn, and each is restarted after every step it served (the
    restart overlaps the other's step): every step lands on a process that never met the cycle."""
    servers: list[Server | Future[Server]] = [serve(), serve()]
    who = people(world, servers[0].base)  # type: ignore[union-attr]
    cycle_id = start()
    order = [
        ("duchashi", "dispatch"),
        ("lead_head", "sign_for"),
        *((f"co_head_{i}", "co_input") for i in range(3)),
        ("lead_head", "consolidate"),
        ("duchashi", "review"),
        ("lingdao", "approve"),
    ]

    def restart(server: Server) -> Server:
        server.stop()
        return serve()

    with ThreadPoolExecutor(2) as pool:
        for n, (username, step) in enumerate(order):
            up = servers[n % 2]
            server = up.result() if isinstance(up, Future) else up
            items = [i for i in who[username].open_items(server.base, cycle_id) if i["step"] == step]
            assert len(items) == 1, f"{step} is not open for {username}: the cycle stranded after a process switch"
            (item,) = items
            response = who[username].complete(server.base, item)
            assert response.status_code == 200, response.text
            servers[n % 2] = pool.submit(restart, server)
            if step == "consolidate":
                units = sorted(u.id for u in world.co_units)
                assert co_input_units(runtime, cycle_id) == units, "every input given in its own process is merged"
        for up in servers:
            (up.result() if isinstance(up, Future) else up).stop()
    assert status_of(runtime, cycle_id) == CycleStatus.CLOSED
    assert open_tasks(runtime, cycle_id) == []


def test_a_cycle_driven_to_its_end_by_several_gunicorn_workers_recycled_as_they_go(runtime, world, start, serve):
    server = serve(workers=3, max_requests=2)
    who = people(world, server.base)
    cycle_id = start()
    for _round in range(20):
        items = [(p, i) for p in who.values() for i in p.open_items(server.base, cycle_id)]
        if not items:
            break
        for person, item in items:
            response = person.complete(server.base, item)
            assert response.status_code == 200, response.text
            if item["step"] == "consolidate":
                assert co_input_units(runtime, cycle_id) == sorted(u.id for u in world.co_units)
    assert status_of(runtime, cycle_id) == CycleStatus.CLOSED


def test_a_server_killed_under_load_loses_no_acknowledged_completion_and_strands_no_cycle(
    runtime, world, make, start, act, serve, database_url
):
    tasks = [world.key_task] + [
        make.key_task([world.lead_unit], world.co_units, plan=world.plan, number=n) for n in range(2, 5)
    ]
    cycles = [start(key_task=task) for task in tasks]
    server = serve(workers=2)
    who = people(world, server.base)
    acknowledged: list[int] = []
    lock = threading.Lock()
    done = threading.Event()
    current = {"base": server.base}

    def work(person: Person) -> None:
        while not done.is_set():
            try:
                items = person.open_items(current["base"])
                if not items:
                    if all(status_of(runtime, c) == CycleStatus.CLOSED for c in cycles):
                        return
                    threading.Event().wait(0.05)
                    continue
                response = person.complete(current["base"], items[0])
            except (requests.RequestException, AssertionError):
                threading.Event().wait(0.05)  # the server is down or restarting: try again
                continue
            if response.status_code == 200:
                with lock:
                    acknowledged.append(items[0]["id"])

    threads = [threading.Thread(target=work, args=(p,), daemon=True) for p in who.values()]
    for thread in threads:
        thread.start()
    for threshold in (4, 10, 16):  # three crashes, each after some more acknowledged completions
        while len(acknowledged) < threshold and any(t.is_alive() for t in threads):
            threading.Event().wait(0.05)
        server.kill()
        server = serve(workers=2)
        current["base"] = server.base
    for _ in range(600):  # let the load go on for a while after the last crash (bounded)
        if len(acknowledged) >= 22 or not any(t.is_alive() for t in threads):
            break
        threading.Event().wait(0.05)
    done.set()
    for thread in threads:
        thread.join(timeout=60)
    server.kill()

    assert len(acknowledged) >= 16
    with runtime.work(write=False) as work:
        states = dict(
            work.session.execute(select(HumanTask.id, HumanTask.state).where(HumanTask.id.in_(acknowledged))).all()
        )
    assert all(states[i] == HumanTaskState.DONE for i in acknowledged), "every acknowledged completion is there"
    verified = subprocess.run(
        [str(BIN / "duban"), "audit", "verify"],
        env={**os.environ, "DUBAN_DATABASE_URL": database_url, "DUBAN_SECRET_KEY": "x"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0 and "审计日志完整" in verified.stdout, verified.stderr
    actor_of = {"dispatch": world.supervisor, "review": world.supervisor, "approve": world.leader}
    actor_of |= {"sign_for": world.lead_head, "consolidate": world.lead_head}
    head_of = {head.unit_id: head for head in world.co_heads}
    for cycle_id in cycles:
        for _ in range(20):  # every running cycle has an open step and can be driven to 办结
            if status_of(runtime, cycle_id) == CycleStatus.CLOSED:
                break
            steps = open_tasks(runtime, cycle_id)
            assert steps, f"cycle {cycle_id} is running with no open step"
            new_process(runtime)
            step = steps[0]
            act(actor_of.get(step.step_id) or head_of[step.unit_id], step.id, **FORMS[step.step_id])
        assert status_of(runtime, cycle_id) == CycleStatus.CLOSED

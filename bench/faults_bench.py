"""Faults at a scale the suite has no time for (issue 15 item 10): races, kills and database outages
against gunicorn (2 workers) on PostgreSQL over loopback. The suite keeps a few of each
(tests/service/api/test_move_races.py, test_http_cycle.py, test_login_races.py, test_restarts.py,
tests/service/test_outages.py, tests/service/scheduling/test_outage.py, tests/service/backup/).

- races: rounds of clients released together on one step: three sessions completing the same dispatch,
  then the lead unit completing its 签收 while the office reassigns it. Counted: races, races with
  exactly one winner, 5xx answers.
- kills: the server SIGKILLed (its whole process group) while clients complete steps, then started
  again; every completion it acknowledged (200) must be stored once, no running cycle may be left
  without an open step, and the audit chain must verify.
- outages: the database connection cut (a TCP proxy between gunicorn and PostgreSQL resets every
  connection and refuses new ones) while clients keep asking; every answer during the cut must be a
  503 (never another 5xx), and the first answer after the restore must be a 200, without a restart.

Database: DUBAN_BENCH_DATABASE_URL (PostgreSQL), as bench/http_bench.py.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from .http_bench import DEFAULT_URL, Server, _ensure_database, _safe, _seed, _token

REPO = Path(__file__).resolve().parent.parent


def _proxy_class() -> Any:
    """The suite's TCP proxy (tests/service/conftest.py), loaded as the parser bench loads its corpus."""
    spec = importlib.util.spec_from_file_location("suite_conftest", REPO / "tests" / "service" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["suite_conftest"] = module
    spec.loader.exec_module(module)
    return module.TcpProxy


def _open_step(url: str, cycle_id: int, step: str) -> int | None:
    from db.models import HumanTask, HumanTaskState

    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return session.scalar(
                select(HumanTask.id).where(
                    HumanTask.cycle_id == cycle_id, HumanTask.step_id == step, HumanTask.state == HumanTaskState.OPEN
                )
            )
    finally:
        engine.dispose()


def _race(base: str, posts: list[tuple[requests.Session, str, dict[str, Any]]]) -> list[int]:
    barrier = threading.Barrier(len(posts))

    def post(item: tuple[requests.Session, str, dict[str, Any]]) -> int:
        session, path, body = item
        barrier.wait(timeout=30)
        try:
            return session.post(f"{base}{path}", json=body, timeout=60).status_code
        except requests.RequestException:
            return 0  # no answer at all: counted apart

    with ThreadPoolExecutor(max_workers=len(posts)) as pool:
        return list(pool.map(post, posts))


def _session(authorization: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = authorization
    return session


def _races(base: str, url: str, seeded: dict[str, Any], rounds: int) -> dict[str, int]:
    sups = [_session(header) for header in seeded["sup_tokens"]]
    heads: dict[str, requests.Session] = {}
    tally: Counter[str] = Counter()
    for number, key_task in enumerate(seeded["key_tasks"][:rounds]):
        started = sups[0].post(f"{base}/api/v1/key-tasks/{key_task}/cycles", json={"round": "2024-Q2"}, timeout=60)
        started.raise_for_status()
        cycle = started.json()
        dispatch = cycle["steps_open"][0]["id"]
        codes = _race(base, [(s, f"/api/v1/human-tasks/{dispatch}/complete", {}) for s in sups])
        tally["races"] += 1
        tally["one_winner"] += codes.count(200) == 1
        tally["5xx"] += sum(code >= 500 for code in codes)
        tally["no_answer"] += codes.count(0)
        sign_for = _open_step(url, cycle["id"], "sign_for")
        if sign_for is None:
            continue
        lead = seeded["lead_of"][key_task]
        head = heads.setdefault(lead, _token(base, lead))
        other_unit = seeded["spare_unit"]
        codes = _race(
            base,
            [
                (head, f"/api/v1/human-tasks/{sign_for}/complete", {}),
                (sups[1], f"/api/v1/human-tasks/{sign_for}/reassign", {"unit_id": other_unit, "comment": "调整"}),
            ],
        )
        tally["races"] += 1
        tally["one_winner"] += codes.count(200) == 1
        tally["5xx"] += sum(code >= 500 for code in codes)
        tally["no_answer"] += codes.count(0)
        if number % 50 == 49:
            print(f"   races: {tally['races']} so far")
    return dict(tally)


def _kill(server: Server) -> None:
    """SIGKILL to gunicorn's master and its workers at once (no graceful anything)."""
    master = server.process.pid
    children = Path(f"/proc/{master}/task/{master}/children")
    workers = [int(pid) for pid in children.read_text().split()] if children.exists() else []
    for pid in (master, *workers):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.process.wait(timeout=30)
    server.log.close()


def _kills(url: str, seeded: dict[str, Any], scratch: Path, kills: int, per_kill: float) -> dict[str, Any]:
    """Clients start cycles and complete their dispatch steps while the server is killed and restarted."""
    acknowledged: list[int] = []
    errors: Counter[str] = Counter()
    tasks = iter(seeded["key_tasks"][1000:])
    lock = threading.Lock()
    for _ in range(kills):
        server = Server(url, scratch)
        stop = threading.Event()

        def drive(server: Server = server, stop: threading.Event = stop, header: str = "") -> None:
            session = _session(header)
            while not stop.is_set():
                with lock:
                    key_task = next(tasks)
                try:
                    started = session.post(
                        f"{server.base}/api/v1/key-tasks/{key_task}/cycles", json={"round": "2024-Q2"}, timeout=10
                    )
                    if started.status_code != 201:
                        continue
                    dispatch = started.json()["steps_open"][0]["id"]
                    done = session.post(f"{server.base}/api/v1/human-tasks/{dispatch}/complete", json={}, timeout=10)
                    if done.status_code == 200:
                        with lock:
                            acknowledged.append(dispatch)
                except requests.RequestException as exc:
                    errors[type(exc).__name__] += 1
                    return

        threads = [threading.Thread(target=drive, kwargs={"header": h}) for h in seeded["sup_tokens"]]
        for thread in threads:
            thread.start()
        time.sleep(per_kill)  # load for a while, then the kill lands wherever the requests are
        _kill(server)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    from db.models import AuditEvent, Cycle, CycleStatus, HumanTask, HumanTaskState
    from service.operations.common.audit import verify_chain

    engine = create_engine(url)
    try:
        with Session(engine) as session:
            completed = Counter(
                session.scalars(
                    select(AuditEvent.human_task_id).where(
                        AuditEvent.action == "step.completed", AuditEvent.human_task_id.in_(acknowledged)
                    )
                )
            )
            lost = sum(1 for task in acknowledged if completed[task] == 0)
            doubled = sum(1 for task in acknowledged if completed[task] > 1)
            open_by_cycle = dict(
                session.execute(
                    select(HumanTask.cycle_id, func.count())
                    .where(HumanTask.state == HumanTaskState.OPEN)
                    .group_by(HumanTask.cycle_id)
                ).all()
            )
            running = session.scalars(select(Cycle.id).where(Cycle.status == CycleStatus.RUNNING)).all()
            stranded = sum(1 for cycle in running if not open_by_cycle.get(cycle))
            chain = verify_chain(session)
    finally:
        engine.dispose()
    return {
        "kills": kills,
        "acknowledged": len(acknowledged),
        "lost": lost,
        "doubled": doubled,
        "stranded_cycles": stranded,
        "chain_ok": chain.ok,
        "client_errors": dict(errors),
    }


def _outages(url: str, seeded: dict[str, Any], scratch: Path, outages: int, requests_each: int) -> dict[str, Any]:
    proxy_class = _proxy_class()
    parsed = make_url(url)
    proxy = proxy_class((parsed.host or "127.0.0.1", parsed.port or 5432))
    proxied = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    server = Server(proxied, scratch)
    tally: Counter[str] = Counter()
    try:
        session = _session(seeded["sup_tokens"][0])
        for _ in range(outages):
            assert session.get(f"{server.base}/api/v1/inbox", timeout=30).status_code == 200
            proxy.cut()
            for n in range(requests_each):
                path = "/health" if n % 2 else "/api/v1/inbox"
                code = session.get(f"{server.base}{path}", timeout=30).status_code
                tally["during_503" if code == 503 else f"during_{code}"] += 1
            proxy.restore()
            code = session.get(f"{server.base}/api/v1/inbox", timeout=30).status_code
            tally["first_after_200" if code == 200 else f"first_after_{code}"] += 1
            tally["outages"] += 1
    finally:
        server.stop()
        proxy.close()
    return dict(tally)


def run_faults_bench(*, quick: bool = False) -> dict[str, Any]:
    url = os.environ.get("DUBAN_BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgresql"):
        print("== faults: skipped (needs PostgreSQL: DUBAN_BENCH_DATABASE_URL) ==")
        return {}
    print(f"== faults: races, kills, outages against gunicorn on PostgreSQL ({_safe(url)}) ==")
    try:
        _ensure_database(url)
    except OperationalError as exc:
        print(f"   skipped: PostgreSQL unreachable ({str(exc.orig).strip().splitlines()[0]})")
        return {}
    seeded = _seed(url, key_tasks=3000)
    heads = seeded["heads"]
    from db.models import KeyTaskUnit, UnitPart

    engine = create_engine(url)
    with Session(engine) as session:
        leads = session.execute(
            select(KeyTaskUnit.key_task_id, KeyTaskUnit.unit_id).where(KeyTaskUnit.part == UnitPart.LEAD)
        ).all()
    engine.dispose()
    seeded["lead_of"] = {task: heads[unit] for task, unit in leads}
    seeded["spare_unit"] = max(heads)  # a unit leading none of the first key tasks' steps
    rounds, kills, outages = (40, 2, 3) if quick else (200, 10, 10)
    with tempfile.TemporaryDirectory(prefix="duban-faults-bench-") as scratch:
        server = Server(url, Path(scratch))
        try:
            # Tokens once (logins are throttled); they outlive the servers killed below.
            seeded["sup_tokens"] = [_token(server.base, "sup").headers["Authorization"] for _ in range(3)]
            races = _races(server.base, url, seeded, rounds)
            if races.get("no_answer"):
                print("gunicorn's log (requests without an answer):\n" + server.tail(30))
        finally:
            server.stop()
        print(
            f"races: {races['races']}, with exactly one winner: {races['one_winner']}, 5xx answers: {races['5xx']}, "
            f"requests without an answer: {races.get('no_answer', 0)}"
        )
        killed = _kills(url, seeded, Path(scratch), kills, 1.0 if quick else 3.0)
        print(
            f"kills: {killed['kills']} SIGKILLs under load; {killed['acknowledged']} acknowledged completions, "
            f"lost {killed['lost']}, doubled {killed['doubled']}; stranded cycles {killed['stranded_cycles']}; "
            f"audit chain {'intact' if killed['chain_ok'] else 'BROKEN'}"
        )
        cut = _outages(url, seeded, Path(scratch), outages, 10)
        during = sum(v for k, v in cut.items() if k.startswith("during_"))
        print(
            f"outages: {cut['outages']} cuts; {cut.get('during_503', 0)}/{during} answers during them were 503, "
            f"{cut.get('first_after_200', 0)}/{cut['outages']} first answers after the restore were 200"
        )
    return {
        "faults_races": races["races"],
        "faults_races_one_winner": races["one_winner"],
        "faults_races_5xx": races["5xx"],
        "faults_races_no_answer": races.get("no_answer", 0),
        "faults_kills": killed["kills"],
        "faults_kills_acknowledged": killed["acknowledged"],
        "faults_kills_lost": killed["lost"],
        "faults_kills_doubled": killed["doubled"],
        "faults_kills_stranded": killed["stranded_cycles"],
        "faults_kills_chain_ok": killed["chain_ok"],
        "faults_outages": cut["outages"],
        "faults_outage_answers_503": f"{cut.get('during_503', 0)}/{during}",
        "faults_outage_recovered": f"{cut.get('first_after_200', 0)}/{cut['outages']}",
    }


if __name__ == "__main__":
    run_faults_bench(quick="--quick" in sys.argv)

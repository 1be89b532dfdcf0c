"""Step completions per second for one key-task cycle, three ways, on the same diagram:

(A) SpiffWorkflow in memory, the parsed spec cached: the engine's own ceiling;
(B) SpiffWorkflow with a naive JSON serialize/deserialize around every step (the library's default
    serializer, spec embedded), what a service that stores state per request does at the least;
(C) duban's operations on a durable SQLite file (and PostgreSQL with DUBAN_BENCH_DATABASE_URL):
    every step its own committed transaction, with authorization, the human-task projection and
    the hash-chained audit event.

A cycle is dispatch → sign for → N co-unit inputs → consolidate → review → approve (N + 5 steps).
Repetitions of A, B and C are interleaved so that they share the machine's noise; medians are quoted.
"""

from __future__ import annotations

import functools
import gc
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

REPO = Path(__file__).resolve().parent.parent
DIAGRAM = REPO / "bpmn" / "key_task_cycle.bpmn"
SIZES = (3, 30)
REPORT = "汇总报告" * 100
INPUT = "配合意见" * 50
NOW = datetime(2024, 4, 1, 1, 0, tzinfo=timezone.utc)


# -- A and B: SpiffWorkflow by itself ------------------------------------------------------------


def _spiff_spec() -> Any:
    parser = BpmnParser()
    parser.add_bpmn_file(str(DIAGRAM))
    return parser.get_spec("key_task_cycle")


def _plain_engine() -> PythonScriptEngine:
    due = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()
    return PythonScriptEngine(environment=TaskDataEnvironment({"deadline": lambda step: due, "len": len}))


def _form(task: Any) -> dict[str, Any]:
    step = task.task_spec.bpmn_id
    if step == "co_input":
        return {"co_input_result": {"unit": task.data["co_unit"], "text": INPUT}}
    if step == "consolidate":
        return {"report": REPORT}
    if step == "review":
        return {"review_decision": "pass"}
    if step == "approve":
        return {"approve_decision": "approve"}
    return {}


def spiff_cycle(
    spec: Any,
    script_engine: PythonScriptEngine,
    n: int,
    persist: bool,
    serializer: BpmnWorkflowSerializer,
    sizes: list[int] | None = None,
) -> int:
    workflow = BpmnWorkflow(spec, script_engine=script_engine)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.set_data(lead_units=[1], co_units=list(range(100, 100 + n)))
    workflow.do_engine_steps()
    blob = serializer.serialize_json(workflow) if persist else None
    done = 0
    while True:
        if persist:
            workflow = serializer.deserialize_json(blob)
            workflow.script_engine = script_engine
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        if task is None:
            break
        task.set_data(**_form(task))
        task.run()
        workflow.do_engine_steps()
        done += 1
        if persist:
            blob = serializer.serialize_json(workflow)
    assert workflow.completed
    if sizes is not None and blob is not None:
        sizes.append(len(blob.encode()))
    return done


# -- E: duban's engine alone, every step saved and loaded, live cache on and off ------------------


def engine_cycle(engine: Any, n: int) -> int:
    """One cycle through duban's ``Engine`` (no database): every step completed, saved and loaded
    back, as the service does. With ``live_cycles=0`` every load reads the bytes (the cold load a
    step pays on a process that did not take the cycle's previous step)."""
    from workflows import STATE_FORMAT, validate_submission

    digest = engine.deploy(DIAGRAM.read_bytes()).digest
    run = engine.start(digest, {"lead_units": [1], "co_units": list(range(100, 100 + n))}, NOW)
    forms = {"co_input": ({"text": INPUT}, None), "consolidate": ({"report": REPORT}, None)}
    forms |= {"review": ({}, "pass"), "approve": ({}, "approve")}
    done = 0
    while not run.completed:
        step = run.ready_steps()[0]
        data, decision = forms.get(step.step_id, ({}, None))
        submission = validate_submission(run.diagram.step(step.step_id), data, decision, None)
        run.complete(step.instance_id, submission, NOW)
        run = engine.load(run.save(), STATE_FORMAT)
        done += 1
    return done


# -- C: duban's operations ---------------------------------------------------------------------


def _duban_rig(
    url: str, n: int, cycles_needed: int, live_cycles: int = 128
) -> tuple[Any, Callable[[], int], Callable[[], list[int]]]:
    from sqlalchemy import select

    from db.maintenance import empty_all_tables
    from db.migrate import upgrade
    from db.models import (
        Cycle,
        HumanTask,
        HumanTaskState,
        KeyTask,
        KeyTaskUnit,
        Plan,
        Role,
        Unit,
        UnitKind,
        UnitPart,
        User,
    )
    from service.clock import SystemClock
    from service.config import load_config
    from service.operations.common.actor import Actor
    from service.operations.cycles.complete import complete_human_task
    from service.operations.cycles.start import start_cycle
    from service.runtime import build_runtime

    upgrade(url)
    config = load_config(overrides={"database.url": url, "engine.live_cycles": live_cycles})
    runtime = build_runtime(config, SystemClock())
    empty_all_tables(runtime.db)

    with runtime.work() as work:
        session, now = work.session, work.now

        def unit(name: str, kind: UnitKind) -> Unit:
            made = Unit(name=name, kind=kind, created_at=now)
            session.add(made)
            session.flush()
            return made

        def person(name: str, role: Role, at: Unit) -> Actor:
            user = User(username=name, display_name=name, password_hash="-", role=role, unit_id=at.id, created_at=now)
            session.add(user)
            session.flush()
            return Actor(user.id, name, name, role.value, at.id, at.name)

        office, leaders, lead = (
            unit("督查室", UnitKind.OFFICE),
            unit("区领导", UnitKind.LEADERSHIP),
            unit("牵头局", UnitKind.DEPARTMENT),
        )
        co_units = [unit(f"责任单位{i}", UnitKind.DEPARTMENT) for i in range(n)]
        supervisor, leader = person("sup", Role.SUPERVISOR, office), person("ldr", Role.LEADER, leaders)
        lead_head = person("lead", Role.UNIT_HEAD, lead)
        co_heads = {u.id: person(f"co{i}", Role.UNIT_HEAD, u) for i, u in enumerate(co_units)}
        from service.vocabulary import PlanStatus

        plan = Plan(
            status=PlanStatus.PUBLISHED,
            title="bench",
            year=2024,
            source_name="bench",
            source_sha256="b" * 64,
            sections=[],
            imported_at=now,
        )
        session.add(plan)
        session.flush()
        key_tasks = []
        for number in range(1, cycles_needed + 1):
            task = KeyTask(
                plan_id=plan.id,
                number=number,
                section=None,
                title=f"任务{number}",
                body="",
                lead_units_text="牵头局",
                co_units_text="",
                targets=[],
            )
            session.add(task)
            session.flush()
            session.add(KeyTaskUnit(key_task_id=task.id, unit_id=lead.id, part=UnitPart.LEAD, position=0))
            for i, co in enumerate(co_units):
                session.add(KeyTaskUnit(key_task_id=task.id, unit_id=co.id, part=UnitPart.CO, position=i))
            key_tasks.append(task.id)

    def actor_for(task: HumanTask) -> Actor:
        if task.role == "supervisor":
            return supervisor
        if task.role == "leader":
            return leader
        return lead_head if task.unit_id == lead.id else co_heads[task.unit_id]

    forms = {
        "co_input": {"data": {"text": INPUT}},
        "consolidate": {"data": {"report": REPORT}},
        "review": {"decision": "pass"},
        "approve": {"decision": "approve"},
    }
    remaining = list(key_tasks)
    states: list[int] = []

    def one_cycle() -> int:
        key_task_id = remaining.pop()
        with runtime.work() as work:
            cycle_id = start_cycle(work, supervisor, key_task_id, "2024-Q2").id
            queue = list(
                work.session.scalars(
                    select(HumanTask).where(HumanTask.cycle_id == cycle_id, HumanTask.state == HumanTaskState.OPEN)
                )
            )
        done = 0
        while queue:  # each completion is its own committed transaction
            task = queue.pop(0)
            form = forms.get(task.step_id, {})
            with runtime.work() as work:
                completion = complete_human_task(
                    work, actor_for(task), task.id, data=form.get("data"), decision=form.get("decision")
                )
                queue.extend(completion.opened)
            done += 1
        with runtime.work(write=False) as work:
            states.append(len(work.session.scalars(select(Cycle.state).where(Cycle.id == cycle_id)).one()))
        return done

    return runtime, one_cycle, lambda: states


# -- measuring ---------------------------------------------------------------------------------


def _rate(run_batch: Callable[[], int], seconds: float) -> float:
    """Completions per second over a batch of whole cycles lasting about ``seconds``."""
    gc.collect()
    started = time.perf_counter()
    done = 0
    while True:
        done += run_batch()
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def run_engine_bench(*, quick: bool = False) -> dict[str, Any]:
    reps, seconds = (3, 0.4) if quick else (7, 1.5)
    spec = _spiff_spec()
    serializer = BpmnWorkflowSerializer()
    script_engine = _plain_engine()
    summary: dict[str, Any] = {}
    targets = [("sqlite", None)]
    if os.environ.get("DUBAN_BENCH_DATABASE_URL"):
        targets.append(("postgresql", os.environ["DUBAN_BENCH_DATABASE_URL"]))
    print(f"== engine: step completions per second (median of {reps} interleaved repetitions of ~{seconds}s) ==")
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as scratch:
        for n in SIZES:
            rigs = {}
            for name, url in targets:
                url = url or f"sqlite:///{Path(scratch) / f'bench-{n}.sqlite3'}"
                # Enough key tasks for every cycle C may run (one cycle per key task and round).
                estimate = int(reps * seconds * (4000 if quick else 3000) / (n + 5)) + 50
                rigs[name] = _duban_rig(url, n, estimate)
            # The live-cycle cache off ([engine] live_cycles = 0): every step reads the stored state,
            # as a step that lands on another worker does (the diagram stays parsed, as in any worker
            # that met it once; parsing it is the figure below).
            cold_url = f"sqlite:///{Path(scratch) / f'bench-{n}-cold.sqlite3'}"
            rigs["sqlite_cold"] = _duban_rig(cold_url, n, estimate, live_cycles=0)
            b_sizes: list[int] = []
            rates: dict[str, list[float]] = {"A": [], "B": [], **{f"C_{name}": [] for name in rigs}}
            rates |= {"E_live": [], "E_cold": []}
            from workflows import Engine

            engines = {
                "E_live": Engine(lambda step, now, data: now + timedelta(days=3)),
                "E_cold": Engine(lambda step, now, data: now + timedelta(days=3), live_cycles=0),
            }
            in_memory = functools.partial(spiff_cycle, spec, script_engine, n, False, serializer)
            naive_json = functools.partial(spiff_cycle, spec, script_engine, n, True, serializer, b_sizes)
            for _ in range(reps):
                rates["A"].append(_rate(in_memory, seconds))
                rates["B"].append(_rate(naive_json, seconds))
                for name, (_runtime, one_cycle, _states) in rigs.items():
                    rates[f"C_{name}"].append(_rate(one_cycle, seconds))
                for name, engine in engines.items():
                    rates[name].append(_rate(functools.partial(engine_cycle, engine, n), seconds))
            medians = {k: statistics.median(v) for k, v in rates.items()}
            for key, value in medians.items():
                spread = f"min {min(rates[key]):.0f}, max {max(rates[key]):.0f}"
                print(f"n={n:>2}  {key:<13} {value:8.0f} completions/s   ({spread})")
            c = medians["C_sqlite"]
            cold = medians["C_sqlite_cold"]
            print(f"n={n:>2}  live cache on / off (SQLite) = {c / cold:.2f}   (off: every step loads the state)")
            e_live, e_cold = medians["E_live"], medians["E_cold"]
            print(f"n={n:>2}  engine alone, live cache on / off = {e_live / e_cold:.2f}")
            summary[f"e_live_completions_per_s_n{n}"] = round(e_live, 1)
            summary[f"e_cold_completions_per_s_n{n}"] = round(e_cold, 1)
            summary[f"ratio_e_live_cold_n{n}"] = round(e_live / e_cold, 3)
            summary[f"c_cold_completions_per_s_n{n}"] = round(cold, 1)
            summary[f"ratio_c_live_cold_n{n}"] = round(c / cold, 3)
            ratio_c_b, ratio_c_a = c / medians["B"], c / medians["A"]
            c_state = statistics.median(rigs["sqlite"][2]())
            print(
                f"n={n:>2}  C/B = {ratio_c_b:.2f}   C/A = {ratio_c_a:.2f}   state bytes per cycle: "
                f"B {statistics.median(b_sizes):.0f} (JSON), C {c_state:.0f} (compressed, spec by reference)"
            )
            summary.update(
                {
                    f"a_completions_per_s_n{n}": round(medians["A"], 1),
                    f"b_completions_per_s_n{n}": round(medians["B"], 1),
                    f"c_completions_per_s_n{n}": round(c, 1),
                    f"ratio_c_b_n{n}": round(ratio_c_b, 3),
                    f"ratio_c_a_n{n}": round(ratio_c_a, 3),
                    f"state_bytes_b_n{n}": int(statistics.median(b_sizes)),
                    f"state_bytes_c_n{n}": int(c_state),
                }
            )
            if "C_postgresql" in medians:
                pg = medians["C_postgresql"]
                print(f"n={n:>2}  C(PostgreSQL)/B = {pg / medians['B']:.2f}")
                summary[f"c_pg_completions_per_s_n{n}"] = round(pg, 1)
                summary[f"ratio_c_pg_b_n{n}"] = round(pg / medians["B"], 3)
            for runtime, _cycle, _states in rigs.values():
                runtime.dispose()
    summary["diagram_parse_ms"] = round(_parse_ms(reps), 1)
    print(f"diagram parse (the first step a new process takes of a diagram): {summary['diagram_parse_ms']} ms")
    return summary


def _parse_ms(reps: int) -> float:
    """Median milliseconds to parse the cycle's diagram (what a new process pays once per diagram)."""
    from workflows.diagram import parse_diagram

    xml = DIAGRAM.read_bytes()
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        parse_diagram(xml)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)

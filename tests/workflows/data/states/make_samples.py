"""Writes samples of the stored state format of the engine it is run against (see README.md).

    PYTHONPATH=<a checkout of the commit that writes the format> python make_samples.py OUT_DIR FORMAT

It uses the engine's public surface only (``Engine``, ``deploy``, ``start``, ``complete``, ``save``,
``load``), so it runs against old commits as well as new ones. "Another process" is a new Engine
that parses the diagram itself, as a second gunicorn worker or a restarted server would.
"""

from __future__ import annotations

import inspect
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from workflows import Engine, validate_submission

HERE = Path(__file__).resolve().parent
START = datetime(2024, 4, 1, 1, 0, tzinfo=timezone.utc)
FORMS = {
    "co_input": ({"text": "意见"}, None, None),
    "consolidate": ({"report": "汇总"}, None, None),
    "review": ({}, "pass", None),
    "approve": ({}, "approve", None),
    "report": ({"summary": "快报", "urgent": "是"}, None, None),
    "decide": ({}, "ok", None),
}


def policy(step, now, data):
    return now + timedelta(days=step.working_days or 3)


class Sampler:
    def __init__(self, out: Path, state_format: str) -> None:
        self.out, self.state_format, self.manifest = out, state_format, []

    def process(self, xml: bytes) -> tuple[Engine, object]:
        engine = Engine(policy)
        return engine, engine.deploy(xml)

    @staticmethod
    def load(engine: Engine, state: bytes, state_format: str):
        takes_format = len(inspect.signature(engine.load).parameters) >= 2
        return engine.load(state, state_format) if takes_format else engine.load(state)

    @staticmethod
    def complete(run, diagram, step_id, now, unit=None, form=None):
        (step,) = [r for r in run.ready_steps() if r.step_id == step_id and (unit is None or r.unit == unit)]
        data, decision, comment = form or FORMS.get(step_id, ({}, None, None))
        if step_id == "co_input":
            data = {"text": f"意见{unit}"}
        run.complete(step.instance_id, validate_submission(diagram.step(step_id), data, decision, comment), now)

    def keep(self, name: str, diagram_file: str, run, note: str) -> bytes:
        ready = sorted(r.step_id for r in run.ready_steps())
        state = run.save()
        (self.out / f"{name}.state").write_bytes(state)
        self.manifest.append(
            {
                "name": name,
                "format": self.state_format,
                "diagram": diagram_file,
                "ready": ready,
                "note": note,
            }
        )
        return state


def key_task_cycle(s: Sampler) -> None:
    xml = (HERE / "key_task_cycle.bpmn").read_bytes()
    first, diagram = s.process(xml)
    run = first.start(diagram.digest, {"lead_units": [100], "co_units": [11, 12, 13]}, START)
    state = s.keep("started", "key_task_cycle.bpmn", run, "交办 ready")
    run = s.load(first, state, s.state_format)
    s.complete(run, diagram, "dispatch", START)
    s.complete(run, diagram, "sign_for", START)
    opened = s.keep("inputs_open", "key_task_cycle.bpmn", run, "three co-unit inputs ready, opened by this process")
    run = s.load(first, opened, s.state_format)
    s.complete(run, diagram, "co_input", START, unit=11)
    one = s.keep("one_input", "key_task_cycle.bpmn", run, "unit 11's input given by the process that opened them")

    # Another process gives unit 12's input: before the fix it was never merged.
    second, _ = s.process(xml)
    run = s.load(second, one, s.state_format)
    s.complete(run, diagram, "co_input", START + timedelta(hours=1), unit=12)
    elsewhere = s.keep(
        "input_given_elsewhere", "key_task_cycle.bpmn", run, "unit 12's input given by another process; 13 open"
    )
    run = s.load(second, elsewhere, s.state_format)
    s.complete(run, diagram, "co_input", START + timedelta(hours=2), unit=13)
    s.keep("all_inputs_given_elsewhere", "key_task_cycle.bpmn", run, "12 and 13 given by another process")

    # Unit 13's input given back in the process that opened them (signal connected there).
    run = s.load(first, elsewhere, s.state_format)
    s.complete(run, diagram, "co_input", START + timedelta(hours=3), unit=13)
    moved = s.keep("moved_on", "key_task_cycle.bpmn", run, "the last input given where the signal was connected")

    run = s.load(first, moved, s.state_format)
    late = START + timedelta(days=9)  # every timer of the cycle is past due by now
    s.complete(run, diagram, "consolidate", late)
    s.complete(run, diagram, "review", late, form=({}, "return", "补充"))
    returned = s.keep("returned", "key_task_cycle.bpmn", run, "returned once, 汇总报送 ready again, timers fired")
    run = s.load(first, returned, s.state_format)
    s.complete(run, diagram, "consolidate", late)
    s.complete(run, diagram, "review", late)
    s.complete(run, diagram, "approve", late)
    s.keep("closed", "key_task_cycle.bpmn", run, "closed (办结)")


def quick_report(s: Sampler) -> None:
    xml = (HERE / "quick_report.bpmn").read_bytes()
    engine, diagram = s.process(xml)
    run = engine.start(diagram.digest, {"lead_units": [100, 200], "co_units": []}, START)
    s.complete(run, diagram, "report", START)
    s.complete(run, diagram, "confirm", START, unit=100)
    s.keep("quick_confirming", "quick_report.bpmn", run, "the second diagram: one of two confirmations given")


def main() -> None:
    out, state_format = Path(sys.argv[1]), sys.argv[2]
    out.mkdir(parents=True, exist_ok=True)
    sampler = Sampler(out, state_format)
    key_task_cycle(sampler)
    quick_report(sampler)
    (out / "manifest.json").write_text(json.dumps(sampler.manifest, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()

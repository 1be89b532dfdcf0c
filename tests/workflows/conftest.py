"""Engine tests: the diagram run without Flask or a database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from workflows import STATE_FORMAT, CycleRun, Diagram, Engine, ReadyStep, validate_submission

DIAGRAM = Path(__file__).resolve().parents[2] / "bpmn" / "key_task_cycle.bpmn"
START = datetime(2024, 4, 1, 1, 0, tzinfo=timezone.utc)


def calendar_days_policy(step: Any, now: datetime, data: Any) -> datetime:
    """A deadline rule simple enough to check by hand: N calendar days."""
    return now + timedelta(days=step.working_days or 3)


@pytest.fixture(params=["live", "restart"])
def mode(request: pytest.FixtureRequest) -> str:
    """How steps meet the engine: ``live`` keeps a cycle's object warm between steps, as one
    process does; ``restart`` gives every step a new engine that has to parse the diagram and read
    the saved state, as another process (a second gunicorn worker, a restart) does."""
    return str(request.param)


@pytest.fixture
def engine(mode: str) -> Engine:
    return Engine(calendar_days_policy, live_cycles=0 if mode == "restart" else 128)


@pytest.fixture
def diagram(engine: Engine) -> Diagram:
    return engine.deploy(DIAGRAM.read_bytes())


class Driver:
    """Completes steps the way the service does: through a save/load round trip every time."""

    def __init__(self, engine: Engine, diagram: Diagram, run: CycleRun, now: datetime, restart: bool) -> None:
        self.engine, self.diagram, self.run, self.now = engine, diagram, run, now
        self.restart = restart
        self.sizes: list[int] = []

    def ready(self, step_id: str | None = None) -> list[ReadyStep]:
        return [r for r in self.run.ready_steps() if step_id is None or r.step_id == step_id]

    def ready_ids(self) -> list[str]:
        return sorted(r.step_id for r in self.run.ready_steps())

    def complete(
        self,
        step: ReadyStep | str,
        *,
        data: dict[str, Any] | None = None,
        decision: str | None = None,
        comment: str | None = None,
        cold: bool = False,
    ) -> tuple[Any, ...]:
        if isinstance(step, str):
            matches = self.ready(step)
            assert matches, f"{step} is not ready; ready: {self.ready_ids()}"
            step = matches[0]
        submission = validate_submission(self.diagram.step(step.step_id), data or {}, decision, comment)
        fired = self.run.complete(step.instance_id, submission, self.now)
        self.roundtrip(cold=cold)
        return fired

    def roundtrip(self, cold: bool = False) -> None:
        """Saves the cycle and loads it back: into a new engine in ``restart`` mode (a process
        switch), else into the same one (``cold`` drops its live objects first)."""
        state = self.run.save()
        self.sizes.append(len(state))
        if self.restart:
            self.engine = Engine(calendar_days_policy, live_cycles=0)
            self.engine.deploy(self.diagram.xml)
        elif cold:
            self.engine.forget_live_cycles()
        self.run = self.engine.load(state, STATE_FORMAT)


@pytest.fixture
def start(engine: Engine, diagram: Diagram, mode: str) -> Callable[..., Driver]:
    def _start(co_units: list[int], lead_units: list[int] | None = None, now: datetime = START) -> Driver:
        run = engine.start(diagram.digest, {"lead_units": lead_units or [100], "co_units": co_units}, now)
        return Driver(engine, diagram, run, now, restart=mode == "restart")

    return _start

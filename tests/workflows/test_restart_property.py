"""A property of the engine (issue 9): a cycle read back from its saved state by a new engine behaves
as the live one did. Hypothesis draws paths through the cycle — 1 to 5 co-units, inputs in any
order, 退回 and 驳回, 免报, extensions, the clock moved so timers fire — and drives two copies of
the cycle along the same path: one never leaves its engine, the other is saved and loaded by a
new engine (a new parse, nothing live) at drawn points. After every move both show the same open
steps, timers, fired timers and outcome; at the end the same process data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflows import STATE_FORMAT, CycleRun, Diagram, Engine, StepNotReady, validate_submission

from .conftest import DIAGRAM, START, calendar_days_policy

UNITS = [11, 12, 13, 14, 15]
FORMS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "dispatch": ({}, ()),
    "sign_for": ({}, ()),
    "co_input": ({"text": "意见"}, ()),
    "consolidate": ({"report": "汇总"}, ()),
    "review": ({}, ("pass", "return")),
    "approve": ({}, ("approve", "reject")),
}
MAX_MOVES = 30
MAX_BACKWARD = 3  # returns and rejects together: every loop deepens the task tree


class Twins:
    """The same cycle twice: ``live`` stays in its engine; ``cold`` is restarted at drawn points."""

    def __init__(self, co_units: list[int]) -> None:
        self.xml = DIAGRAM.read_bytes()
        self.live_engine = Engine(calendar_days_policy)
        self.diagram: Diagram = self.live_engine.deploy(self.xml)
        data = {"lead_units": [100], "co_units": co_units}
        self.live = self.live_engine.start(self.diagram.digest, data, START)
        self.cold = self._new_engine().start(self.diagram.digest, data, START)
        self.now = START
        self.restarts = 0

    def _new_engine(self) -> Engine:
        engine = Engine(calendar_days_policy, live_cycles=0)
        engine.deploy(self.xml)
        return engine

    def restart(self) -> None:
        state = self.cold.save()
        self.cold = self._new_engine().load(state, STATE_FORMAT)
        self.restarts += 1

    @staticmethod
    def ready(run: CycleRun) -> list[Any]:
        """Ready steps in an order both copies share (instance ids are random per copy)."""
        return sorted(run.ready_steps(), key=lambda s: (s.step_id, s.unit or 0, s.due_at or START))

    @staticmethod
    def shown(run: CycleRun) -> tuple[Any, ...]:
        return (
            run.completed,
            [(s.step_id, s.unit, s.due_at) for s in Twins.ready(run)],
            run.next_timer_at(),
        )

    def both(self, act: Any) -> None:
        """Applies ``act(run, ready steps in shared order)`` to both copies; they must agree on
        what it returned (or raised)."""
        outcomes = []
        for run in (self.live, self.cold):
            try:
                outcomes.append(("ok", _comparable(act(run, self.ready(run)))))
            except StepNotReady:
                outcomes.append(("not ready", None))
        assert outcomes[0] == outcomes[1]
        assert self.shown(self.live) == self.shown(self.cold)


def _comparable(value: Any) -> Any:
    if isinstance(value, tuple):  # fired timers: ids differ per copy, elements and instants do not
        return [(getattr(t, "element_id", t), getattr(t, "step_id", None), getattr(t, "due_at", None)) for t in value]
    return value


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_cycle_restarted_at_random_points_ends_as_the_live_one(data: st.DataObject) -> None:
    co_units = UNITS[: data.draw(st.integers(1, 5), label="co-units")]
    twins = Twins(co_units)
    backward = 0
    for _move in range(MAX_MOVES):
        if twins.live.completed:
            break
        ready = twins.ready(twins.live)
        kind = data.draw(st.sampled_from(["complete"] * 6 + ["extend", "tick", "settle"]), label="move")
        if kind == "tick" or not ready:
            twins.now += timedelta(days=data.draw(st.integers(1, 6), label="days on"))
            now = twins.now
            twins.both(lambda run, _ready, now=now: run.fire_due_timers(now))
        elif kind == "extend":
            index = data.draw(st.integers(0, len(ready) - 1), label="extend which")
            due = twins.now + timedelta(days=data.draw(st.integers(1, 10), label="extended by"))
            twins.both(lambda run, steps, i=index, due=due: run.move_deadline(steps[i].instance_id, due))
        elif kind == "settle" and any(s.step_id == "co_input" for s in ready):
            inputs = [i for i, s in enumerate(ready) if s.step_id == "co_input"]
            chosen = data.draw(st.lists(st.sampled_from(inputs), min_size=1, unique=True), label="settle which")
            now = twins.now
            twins.both(
                lambda run, steps, chosen=chosen, now=now: run.settle(
                    [steps[i].instance_id for i in chosen], {"outcome": "免报"}, now
                )
            )
        else:
            index = data.draw(st.integers(0, len(ready) - 1), label="complete which")
            step = ready[index]
            fields, decisions = FORMS[step.step_id]
            decision = None
            if decisions:
                decision = decisions[0] if backward >= MAX_BACKWARD else data.draw(st.sampled_from(decisions))
                backward += decision in ("return", "reject")
            comment = "请补充" if decision in ("return", "reject") else None
            submission = validate_submission(twins.diagram.step(step.step_id), fields, decision, comment)
            now = twins.now
            twins.both(
                lambda run, steps, i=index, sub=submission, now=now: run.complete(steps[i].instance_id, sub, now)
            )
        if data.draw(st.booleans(), label="restart"):
            twins.restart()
            assert twins.shown(twins.live) == twins.shown(twins.cold)
    twins.restart()
    assert twins.shown(twins.live) == twins.shown(twins.cold)
    assert twins.live.process_data() == twins.cold.process_data()
    assert twins.cold.unmerged() == ()
    if twins.live.completed:
        inputs = twins.cold.process_data()["co_inputs"]
        assert sorted(i["unit"] for i in inputs) == co_units, "every co-unit's input (or its 免报) is in"


def test_the_property_would_have_caught_issue_9(monkeypatch: Any) -> None:
    """The same twins with the engine as it was before the fix: the restarted copy disagrees."""
    import workflows.diagram as diagram_module

    monkeypatch.setattr(diagram_module, "wire_loop_children", lambda _spec: None)
    twins = Twins(UNITS[:3])
    for step_id in ("dispatch", "sign_for"):
        twins.both(lambda run, steps, s=step_id: _complete_first(twins, run, steps, s))
    twins.restart()
    for _ in range(3):
        _complete_first(twins, twins.live, twins.ready(twins.live), "co_input")
        _complete_first(twins, twins.cold, twins.ready(twins.cold), "co_input")
    assert [s.step_id for s in twins.live.ready_steps()] == ["consolidate"]
    assert twins.cold.ready_steps() == (), "the unfixed engine leaves the cycle with nothing open"


def _complete_first(twins: Twins, run: CycleRun, steps: list[Any], step_id: str) -> Any:
    step = next(s for s in steps if s.step_id == step_id)
    fields, _decisions = FORMS[step_id]
    submission = validate_submission(twins.diagram.step(step_id), fields, None, None)
    return run.complete(step.instance_id, submission, twins.now)

"""The small frozen values the engine hands out. No SpiffWorkflow type ever leaves this package."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    required: bool
    max_length: int
    # Whether the value also goes into the process data (for conditions); text normally stays out.
    to_process: bool = False


@dataclass(frozen=True)
class DecisionOption:
    value: str
    label: str


@dataclass(frozen=True)
class Decision:
    variable: str
    options: tuple[DecisionOption, ...]
    comment_required_for: frozenset[str]
    # Options that send the work back (a return, a reject): counted against the cycle's limit,
    # and counted and labelled as sent back wherever a cycle is read.
    backward: frozenset[str] = frozenset()
    # What the choice is called on the form ("审核结论"); the step's name + 结论 when not declared.
    label: str = ""

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)

    def label_of(self, value: str) -> str:
        return next((o.label for o in self.options if o.value == value), value)


@dataclass(frozen=True)
class Shown:
    """An earlier step whose latest result a step's page shows (``<duban:show step=".."/>``): the
    report on the review page, every co-unit's input on the consolidation page. ``folded``: shown
    closed, opened on demand."""

    step_id: str
    folded: bool = False


@dataclass(frozen=True)
class StepDefinition:
    """A user task of a diagram: who acts, its deadline rule, its form."""

    step_id: str
    name: str
    party: str  # a service.vocabulary.Party value: supervisor | lead_unit | co_unit | leader
    lane_name: str
    working_days: int | None
    yellow_before: int | None
    fields: tuple[FormField, ...]
    decision: Decision | None
    # Multi-instance steps: one instance per unit id of the collection.
    collection_variable: str | None = None
    instance_variable: str | None = None
    output_variable: str | None = None
    # What the step's page shows besides its own form, in this order (``<duban:show>``).
    shows: tuple[Shown, ...] = ()
    # The words on the form's submit button (``<duban:step submit="签收">``); None: 提交.
    submit_label: str | None = None

    # The step carries a progress report (<duban:progress part="total|share"/>): the lead unit's
    # consolidated one, or a co-unit's share of the indicators. The host keeps and checks it.
    progress: str | None = None

    @property
    def multi_instance(self) -> bool:
        return self.collection_variable is not None

    def is_backward(self, decision: str | None) -> bool:
        """Whether this decision on this step sent the work back (a return, a reject)."""
        return bool(decision and self.decision and decision in self.decision.backward)

    def decision_label(self, decision: str | None) -> str | None:
        """The label the diagram gives a decision value; the value itself if it declares none."""
        if not decision:
            return None
        return self.decision.label_of(decision) if self.decision else decision


@dataclass(frozen=True)
class Diagram:
    digest: str  # sha256 of the XML: a deployed version's identity
    process_id: str
    name: str
    steps: tuple[StepDefinition, ...]
    xml: bytes
    # The user tasks in the order work reaches them along the sequence flows from the start (loops
    # back left out): how far a cycle has come, and the order a list of the steps reads in.
    order: tuple[str, ...] = ()

    def step(self, step_id: str) -> StepDefinition:
        for step in self.steps:
            if step.step_id == step_id:
                return step
        raise KeyError(step_id)

    def find(self, step_id: str) -> StepDefinition | None:
        """The step of that id, or None (a row may name a step an older version had)."""
        return next((step for step in self.steps if step.step_id == step_id), None)

    def stage_of(self, step_id: str) -> int:
        """The step's place in ``order`` (0 first); a step not on it comes after all the others."""
        return self.order.index(step_id) if step_id in self.order else len(self.order)

    @property
    def backward(self) -> dict[str, frozenset[str]]:
        """step id -> the decision values that send work back from it (only steps that have some)."""
        return {s.step_id: s.decision.backward for s in self.steps if s.decision and s.decision.backward}


@dataclass(frozen=True)
class ReadyStep:
    """A user task waiting for someone."""

    instance_id: str  # stable for the life of the task; the host's key for it
    step_id: str
    name: str
    party: str
    unit: int | None  # the unit a multi-instance task belongs to
    due_at: datetime | None  # from the step's timer boundary event, when the diagram draws one


@dataclass(frozen=True)
class FiredTimer:
    """A timer boundary event that fired: the step it is attached to went past its time."""

    element_id: str
    step_id: str
    due_at: datetime | None


@dataclass(frozen=True)
class Submission:
    """A validated completion of a step."""

    fields: dict[str, str]
    decision: str | None
    comment: str


@dataclass(frozen=True)
class MergedInstance:
    """An instance of a multi-instance or loop step whose result a repair merged into its parent."""

    step_id: str
    instance_id: str
    unit: int | None  # the unit the instance belonged to, for a step run once per unit


@dataclass(frozen=True)
class Repair:
    """What ``CycleRun.repair`` did to a cycle's process."""

    merged: tuple[MergedInstance, ...]  # completed instances that had never been merged
    completed: tuple[str, ...]  # instance ids completed from the host's record of them
    fired: tuple[FiredTimer, ...]  # timers that fell due by the repair's instant

    @property
    def changed(self) -> bool:
        return bool(self.merged or self.completed or self.fired)

"""duban's engine layer: BPMN diagrams run by SpiffWorkflow, behind a small typed surface.

Nothing here imports Flask or SQLAlchemy, and no SpiffWorkflow type leaves the package.
"""

from .diagram import DiagramError
from .engine import (
    STATE_FORMAT,
    CycleRun,
    CycleTooDeep,
    DeadlinePolicy,
    Engine,
    EngineError,
    StepNotReady,
    UnknownDiagram,
)
from .forms import FormError, validate_submission
from .types import (
    Decision,
    DecisionOption,
    Diagram,
    FiredTimer,
    FormField,
    ReadyStep,
    StepDefinition,
    Submission,
)

__all__ = [
    "STATE_FORMAT",
    "CycleRun",
    "CycleTooDeep",
    "DeadlinePolicy",
    "Decision",
    "DecisionOption",
    "Diagram",
    "DiagramError",
    "Engine",
    "EngineError",
    "FiredTimer",
    "FormError",
    "FormField",
    "ReadyStep",
    "StepDefinition",
    "StepNotReady",
    "Submission",
    "UnknownDiagram",
    "validate_submission",
]

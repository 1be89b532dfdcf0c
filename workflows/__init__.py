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
    UnknownStateFormat,
)
from .forms import FormError, validate_submission
from .moves import NotWithdrawable
from .types import (
    Decision,
    DecisionOption,
    Diagram,
    FiredTimer,
    FormField,
    MergedInstance,
    ReadyStep,
    Repair,
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
    "MergedInstance",
    "NotWithdrawable",
    "ReadyStep",
    "Repair",
    "StepDefinition",
    "StepNotReady",
    "Submission",
    "UnknownDiagram",
    "UnknownStateFormat",
    "validate_submission",
]

"""Reading action plans (.txt, .docx, .xlsx) into sections, key tasks, units, targets and deadlines.

Pure: no database, no Flask. The entry point is `parse_plan`; units are checked against a `UnitDirectory`.
"""

from .directory import UnitDirectory
from .model import Deadline, ParsedPlan, ParsedTask, Problem, Section, Target
from .parse import parse_plan

__all__ = [
    "Deadline",
    "ParsedPlan",
    "ParsedTask",
    "Problem",
    "Section",
    "Target",
    "UnitDirectory",
    "parse_plan",
]

"""All models, importable from one place (``from db.models import Cycle``)."""

from .audit import AuditEvent
from .base import Base, UTCDateTime
from .cycles import Cycle, CycleStatus, DiagramVersion, HumanTask, HumanTaskState
from .plans import KeyTask, KeyTaskUnit, Plan, UnitPart
from .units import Role, Unit, UnitAlias, UnitGroup, UnitGroupMember, UnitKind, User

__all__ = [
    "AuditEvent",
    "Base",
    "Cycle",
    "CycleStatus",
    "DiagramVersion",
    "HumanTask",
    "HumanTaskState",
    "KeyTask",
    "KeyTaskUnit",
    "Plan",
    "Role",
    "UTCDateTime",
    "Unit",
    "UnitAlias",
    "UnitGroup",
    "UnitGroupMember",
    "UnitKind",
    "UnitPart",
    "User",
]

"""All models, importable from one place (``from db.models import Cycle``)."""

from .audit import AuditEvent
from .auth import ApiToken, Attachment, LoginThrottle
from .base import Base, UTCDateTime
from .cycles import Cycle, CycleStatus, DiagramVersion, HumanTask, HumanTaskState
from .plans import KeyTask, KeyTaskUnit, Plan, UnitPart
from .scheduling import CalendarYear, Escalation, Extension, ExtensionStatus, MailStatus, Notification, OutboxMail
from .units import Role, Unit, UnitAlias, UnitGroup, UnitGroupMember, UnitKind, User

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "Base",
    "CalendarYear",
    "Cycle",
    "CycleStatus",
    "DiagramVersion",
    "Escalation",
    "Extension",
    "ExtensionStatus",
    "HumanTask",
    "HumanTaskState",
    "KeyTask",
    "KeyTaskUnit",
    "LoginThrottle",
    "MailStatus",
    "Notification",
    "OutboxMail",
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

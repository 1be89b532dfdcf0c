"""All models, importable from one place (``from db.models import Cycle``)."""

from .assessment import LeaguePublication, ScoreAdjustment
from .attachments import Attachment
from .audit import AuditEvent
from .auth import ApiToken, LoginThrottle
from .base import Base, UTCDateTime
from .calendar import CalendarYear
from .cycles import Cycle, CycleStatus, DiagramVersion, HumanTask, HumanTaskState
from .declines import Decline
from .escalations import Escalation
from .extensions import Extension, ExtensionStatus
from .indicators import Indicator, IndicatorValue, ProgressReport
from .notifications import Notification
from .outbox import MailStatus, OutboxMail, OutboxRobot
from .plans import KeyTask, KeyTaskUnit, Plan, PlanRevision, UnitPart
from .robots import UnitRobot
from .sessions import WebSession
from .units import Role, Unit, UnitAlias, UnitGroup, UnitGroupMember, UnitKind, User

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "Base",
    "CalendarYear",
    "Cycle",
    "CycleStatus",
    "Decline",
    "DiagramVersion",
    "Escalation",
    "Extension",
    "ExtensionStatus",
    "HumanTask",
    "HumanTaskState",
    "Indicator",
    "IndicatorValue",
    "KeyTask",
    "KeyTaskUnit",
    "LeaguePublication",
    "LoginThrottle",
    "MailStatus",
    "Notification",
    "OutboxMail",
    "OutboxRobot",
    "Plan",
    "PlanRevision",
    "ProgressReport",
    "Role",
    "ScoreAdjustment",
    "UTCDateTime",
    "Unit",
    "UnitAlias",
    "UnitGroup",
    "UnitGroupMember",
    "UnitKind",
    "UnitPart",
    "UnitRobot",
    "User",
    "WebSession",
]

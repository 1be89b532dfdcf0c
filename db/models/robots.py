"""A unit's group robot (企业微信 or 钉钉): where copies of the notices addressed to the unit go."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.vocabulary import RobotChannel

from .base import Base, str_enum


class UnitRobot(Base):
    """The webhook the admin set for a unit (one per unit). The secret (钉钉's 加签 key) is kept to sign
    requests and is never shown back."""

    __tablename__ = "unit_robots"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[RobotChannel] = mapped_column(str_enum(RobotChannel, "robot_channel", 12))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

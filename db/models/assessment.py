"""考评 and 打擂台: the office's manual adjustments (加减分) and the league tables it published (发布).

Scores themselves are not stored: they are computed from the round's rows whenever asked, until the
office publishes the round; the publication keeps the tables as they were published, and units read
that, never a table that moves under them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ScoreAdjustment(Base):
    """加减分: points the office added to (or took from) a unit's score in a round, with its reason."""

    __tablename__ = "score_adjustments"
    __table_args__ = (Index("ix_score_adjustments_round_unit", "round", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    points: Mapped[float]
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LeaguePublication(Base):
    """A round's league tables as the office published them (once per round)."""

    __tablename__ = "league_publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    round: Mapped[str] = mapped_column(String(20), unique=True)
    published_at: Mapped[datetime]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The tables: every unit's score with its breakdown, rank and change, as computed at publication.
    tables: Mapped[dict[str, Any]] = mapped_column(JSON)

"""The official calendar years an administrator loaded (holidays and make-up working days)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class CalendarYear(Base):
    """A year's official arrangement as the State Council publishes it: it takes precedence over
    the chinese-calendar package. ``revision`` grows with every load, so every process can tell
    cheaply that it has to reload."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True)
    # {"元旦": ["2027-01-01", …], …}: named holidays; and the weekend days that are working days.
    holidays: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    workdays: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(300))
    revision: Mapped[int]
    loaded_at: Mapped[datetime]
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def days(self) -> tuple[frozenset[date], frozenset[date]]:
        def flat(named: dict[str, Any]) -> frozenset[date]:
            return frozenset(date.fromisoformat(d) for days in named.values() for d in days)

        return flat(self.holidays), flat(self.workdays)

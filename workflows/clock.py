"""The engine's notion of "now".

SpiffWorkflow's timer events read ``datetime.now(timezone.utc)`` directly. duban passes one clock
down from the edge (request, job, CLI command), so every engine call runs inside ``engine_time(now)``
and the timer module's ``datetime`` is replaced, once, by a subclass whose ``now()`` returns that
instant. A ContextVar keeps concurrent threads from seeing each other's time; outside an engine call
the real clock applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

_current: ContextVar[datetime | None] = ContextVar("duban_engine_now", default=None)


class _EngineDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _EngineDatetime:
        fixed = _current.get()
        if fixed is None:
            return super().now(tz)
        # Without tz, datetime.now() means naive local time; keep that contract.
        moment = fixed.astimezone(tz) if tz is not None else fixed.astimezone().replace(tzinfo=None)
        return cls.combine(moment.date(), moment.timetz())


_spiff_timer.datetime = _EngineDatetime


def current_time() -> datetime:
    """The instant of the engine call in progress (the real clock outside one)."""
    fixed = _current.get()
    return fixed if fixed is not None else datetime.now(timezone.utc)


@contextmanager
def engine_time(now: datetime) -> Iterator[None]:
    if now.tzinfo is None:
        raise ValueError("engine time must be timezone-aware")
    token = _current.set(now)
    try:
        yield
    finally:
        _current.reset(token)

"""Keeping each process's working-day calendar in step with the years loaded in the database.

A year loaded by one process (the API, the CLI) bumps a revision; every other process compares
``calendar_token`` now and then and reloads when it moved. Called by the scheduler's pass, by the
web app before requests (at most every ``[scheduler] calendar_check_seconds``), and by the edges
that load a year, after their commit.
"""

from __future__ import annotations

import logging
import time
import weakref
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from ..errors import Unavailable
from ..operations.supervision.calendar import calendar_token, loaded_arrangements
from ..runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class _Seen:
    token: tuple[int, int] | None = None
    checked: float = field(default=-1e18)


_seen: dict[int, _Seen] = {}


def refresh_calendar(runtime: Runtime, *, max_age: float | None = None) -> bool:
    """Reloads ``runtime.calendar`` when the loaded years changed; True if it did.

    With ``max_age`` the database is asked at most that often (seconds), so a web process pays one
    tiny query per ``[scheduler] calendar_check_seconds``, not one per request. A database not yet
    migrated (``duban db upgrade`` starting up) leaves the calendar as it is. Opens its own
    read-only transaction."""
    key = id(runtime)
    seen = _seen.get(key)
    if seen is None:
        seen = _seen[key] = _Seen()
        weakref.finalize(runtime, _seen.pop, key, None)
    tick = time.monotonic()
    if max_age is not None and tick - seen.checked < max_age:
        return False
    seen.checked = tick
    try:
        with runtime.work(write=False) as work:
            token = calendar_token(work)
            if token == seen.token:
                return False
            arrangements = loaded_arrangements(work)
    except (SQLAlchemyError, Unavailable) as exc:
        log.debug("calendar years not read: %s", exc.__class__.__name__)
        return False
    runtime.use_calendar(arrangements)
    seen.token = token
    log.info("working-day calendar: loaded years %s", ", ".join(str(a.year) for a in arrangements) or "none")
    return True

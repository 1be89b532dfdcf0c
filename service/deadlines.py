"""The one deadline rule: when a step falls due, when its light turns yellow, and how sure we are.

(step definition, the instant it became ready, the diagram's timer due if any) → (due_at, yellow_at,
basis). Every new human task takes its deadline from here, and so does everything that moves one:

- the engine, when a diagram's timer says ``deadline("step")`` (``Runtime``'s deadline policy);
- the projection, once for each step that becomes ready (``operations/cycles/projection.py``);
- a granted extension, which sets the timer to the granted day (``supervision/extensions.py``);
- a calendar recount, which counts again with the years an administrator loaded
  (``supervision/calendar.py``).

The rule (where it comes from: config.toml ``[deadlines]`` and the diagram's ``duban:step``):
a step is due at the end of its ``workingDays``-th working day after the day it became ready (the
diagram's value, else ``[deadlines] steps``, else ``default_working_days``), local time. When the
diagram draws a timer with another instant, or the deadline was set by hand (an extension), that
instant is the deadline. The light turns yellow at the start of the ``yellowBefore``-th working day
before the due day (never earlier than the step's own span allows). The basis says how the due day
was known: a loaded year, the official calendar, or weekends only (``fallback``).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from workflows import StepDefinition

from .config import DeadlineConfig
from .workdays import Deadline, WorkCalendar, deadline_after, yellow_from


def working_days_for(rules: DeadlineConfig, step: StepDefinition) -> int:
    """Working days a step is given: the diagram's ``workingDays``, else the config's for its id,
    else the default."""
    if step.working_days is not None:
        return step.working_days
    return rules.steps.get(step.step_id, rules.default_working_days)


def yellow_before_for(rules: DeadlineConfig, step: StepDefinition) -> int:
    """Working days of yellow light before the deadline, never more than the step's own span:
    a one-day step turns yellow on its due day, not the moment it is ready."""
    wanted = step.yellow_before if step.yellow_before is not None else rules.yellow_before
    return min(wanted, working_days_for(rules, step))


def step_deadline(
    calendar: WorkCalendar,
    rules: DeadlineConfig,
    tz: ZoneInfo,
    step: StepDefinition,
    ready_at: datetime,
    timer_due: datetime | None = None,
) -> Deadline:
    """The deadline of ``step`` ready at ``ready_at`` (aware, any zone; days are counted in ``tz``).

    ``timer_due`` is the instant the diagram's timer (or an extension) set: it is the deadline when
    given and different from the counted one; its basis is then how its own day is known. Pure: reads
    the calendar, changes nothing, raises nothing for a well-formed step."""
    counted = deadline_after(calendar, ready_at, working_days_for(rules, step), yellow_before_for(rules, step), tz)
    if timer_due is None or timer_due == counted.due_at:
        return counted
    yellow_at = yellow_from(calendar, timer_due, yellow_before_for(rules, step), tz)
    basis = calendar.judge(timer_due.astimezone(tz).date())[1]
    return Deadline(due_at=timer_due, yellow_at=yellow_at, basis=basis)

"""The scheduler: APScheduler running duban's periodic jobs.

Job bodies are plain functions of a ``Work`` (one transaction, one ``now``) that tests call
directly; this module only decides when they run.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from .jobs import run_due_jobs
from .runtime import Runtime

log = logging.getLogger(__name__)


def start_background_scheduler(runtime: Runtime, *, interval_seconds: int = 60) -> BackgroundScheduler:
    """The in-process scheduler of the embedded set-up (``duban serve``)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        run_due_jobs,
        "interval",
        seconds=interval_seconds,
        args=[runtime],
        id="duban-tick",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler

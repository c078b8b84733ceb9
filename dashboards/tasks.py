"""Celery tasks of the dashboards: thin wrappers around ``dashboards.rollups``."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from cxportal.tasks import LONG

from . import rollups

log = logging.getLogger(__name__)


@shared_task(**LONG)
def refresh_daily_figures(recent: int = 1) -> int:
    """Store the figures of today so far, the ``recent`` days before it, days
    never stored whole and the days of cases changed since the last refresh. Safe to run
    twice: each day is recomputed whole. Returns the number of days written
    (0 when another refresh is under way: it covers the same changes).

    Stopped at its soft time limit, it keeps the months it stored (each in one
    transaction) and frees the lock; a day it did not reach is stored by the
    next run if never stored whole, else by the nightly recompute."""
    now = timezone.now()
    try:
        # The lock lasts as long as this task may: killed at its hard limit, it frees itself then.
        return rollups.refresh(
            rollups.days_to_refresh(now=now, recent=recent), now=now, lock_for=LONG["time_limit"]
        )
    except rollups.RefreshRunning:
        log.info("A dashboard refresh is already running; skipping this one.")
        return 0
    except SoftTimeLimitExceeded:
        log.warning("The dashboard refresh stopped at its time limit; the next run goes on.")
        return 0

"""Celery tasks of the dashboards: thin wrappers around ``dashboards.rollups``."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import rollups

# Cases changed this recently have their days recomputed. Longer than the
# task's interval, so a missed run or two loses nothing.
CHANGED_WINDOW = timedelta(hours=1)


@shared_task
def refresh_daily_figures(recent: int = 1) -> int:
    """Store the figures of finished days: the last ``recent`` days, days never
    stored and days of recently changed cases. Safe to run twice: each day is
    recomputed whole. Returns the number of days written."""
    now = timezone.now()
    days = rollups.days_to_refresh(now=now, recent=recent, changed_since=now - CHANGED_WINDOW)
    return rollups.refresh(days, now=now)

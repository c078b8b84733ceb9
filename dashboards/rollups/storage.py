"""Finished days stored as ``DailyFigures`` rows: which days to refresh, and refreshing them.

A stored day is recomputed whole (its rows deleted and written again), so
running a refresh twice, or over days already stored, changes nothing.
"""

import logging
import sys
from array import array
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Min

from feedback.models import Case

from ..models import DailyFigures, RolledUpDay
from ..periods import days_from, local_zone, midnight
from .tally import COUNTS, Days
from .tallying import tally_days

logger = logging.getLogger(__name__)

# Only one refresh at a time: a long rebuild that read the cases earlier must
# not write over days a quicker run has just stored from fresher data.
LOCK_KEY = "dashboards:refresh"
# How long the lock outlives a refresh that died without freeing it (killed,
# its machine gone). The task passes its hard time limit instead: stopped at
# that limit it cannot free the lock, and the next run should not wait an hour.
LOCK_TIMEOUT = 60 * 60
# Cases changed this long before the last refresh started are looked at
# again: a transaction may commit a little after the time it wrote.
OVERLAP = timedelta(minutes=5)
# Type codes of the packed lists: unsigned 32-bit seconds, signed 64-bit ids.
SECONDS, IDS = "I", "q"


class RefreshRunning(Exception):
    """Another refresh holds the lock."""


def refresh(days: Iterable[date], *, now: datetime, lock_for: float = LOCK_TIMEOUT) -> int:
    """Recompute and store the figures of ``days`` up to ``now``; later days are skipped.

    Today is stored as far as it has gone: its rows say when
    (``computed_at``), and pages add what happened since (``load``).

    Returns how many days were written. Long runs of days are tallied a
    month at a time so memory stays flat on a full rebuild. Raises
    ``RefreshRunning`` when another refresh is under way; when the cache
    that holds the lock is down, it goes ahead (the unique constraints stop
    two writers of one day). ``lock_for``: seconds after which the lock
    frees itself should this run die holding it.
    """
    today = now.astimezone(local_zone()).date()
    runs = day_runs(day for day in days if day <= today)
    if not runs:
        return 0
    try:
        locked = cache.add(LOCK_KEY, now.isoformat(), lock_for)
    except Exception:
        logger.warning("No cache for the refresh lock; refreshing without it.", exc_info=True)
        locked = None
    if locked is False:
        raise RefreshRunning
    try:
        written = 0
        for run_first, run_last in runs:
            chunk_first = run_first
            while chunk_first <= run_last:
                chunk_last = min(run_last, chunk_first + timedelta(days=30))
                _store(chunk_first, chunk_last, tally_days(chunk_first, chunk_last, now=now), now=now)
                written += (chunk_last - chunk_first).days + 1
                chunk_first = chunk_last + timedelta(days=1)
        return written
    finally:
        if locked:
            cache.delete(LOCK_KEY)


def _store(first: date, last: date, days: Days, *, now: datetime) -> None:
    rows = [
        DailyFigures(
            department_id=dep,
            day=day,
            counts={key: t.counts[key] for key in COUNTS if t.counts[key]},
            first_response_seconds=pack(t.first_response, SECONDS),
            resolution_seconds=pack(t.resolution, SECONDS),
            late_days=dict(t.late_days),
            delivery_late_days=dict(t.delivery_late_days),
            by_kind=dict(t.by_kind),
            by_channel=dict(t.by_channel),
            by_tag=dict(t.by_tag),
            customer_ids=pack(t.customers, IDS),
            backlog=t.backlog,
            backlog_old=t.backlog_old,
            overdue=t.overdue,
            backlog_median_age_seconds=(
                round(t.backlog_median_age.total_seconds()) if t.backlog_median_age is not None else None
            ),
            computed_at=now,
        )
        for (dep, day), t in days.items()
    ]
    marks = [
        RolledUpDay(day=first + timedelta(days=i), computed_at=now) for i in range((last - first).days + 1)
    ]
    with transaction.atomic():
        DailyFigures.objects.filter(day__gte=first, day__lte=last).delete()
        RolledUpDay.objects.filter(day__gte=first, day__lte=last).delete()
        DailyFigures.objects.bulk_create(rows, batch_size=500)
        RolledUpDay.objects.bulk_create(marks)


def day_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days grouped into (first, last) runs."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def pack(values: list[int], code: str) -> bytes:
    """Integers as little-endian bytes of one ``array`` type code."""
    packed = array(code, values)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def unpack(data: bytes | memoryview, code: str) -> list[int]:
    values = array(code)
    values.frombytes(bytes(data))
    if sys.byteorder != "little":
        values.byteswap()
    return values.tolist()


def first_case_day() -> date | None:
    first = Case.objects.aggregate(first=Min("created_at"))["first"]
    return first.astimezone(local_zone()).date() if first else None


def days_to_refresh(*, now: datetime, recent: int = 1) -> set[date]:
    """The days worth recomputing at ``now``, today included (as far as it has gone).

    Today and the ``recent`` days before it; every day since the first case
    that was never stored whole (a new installation, imported history, or a
    day last stored before it ended); and, for each case
    changed since the last refresh began, every day from the one it was
    received on: a change can move figures of any day of its life (a
    reopening takes back a resolution, the end of a pause moves due dates,
    a re-route moves its backlog to another team), and the old dates are
    gone. Changes to cases nobody touched since are the nightly run's.
    """
    today = now.astimezone(local_zone()).date()
    days = set(days_from(today - timedelta(days=recent), today))
    first = first_case_day()
    if first is None:
        return set()
    stored = dict(RolledUpDay.objects.filter(day__gte=first).values_list("day", "computed_at"))
    whole = {day for day, at in stored.items() if at >= midnight(day + timedelta(days=1))}
    days |= set(days_from(first, today)) - whole
    if stored:
        since = max(stored.values()) - OVERLAP
        oldest = Case.objects.filter(updated_at__gte=since).aggregate(oldest=Min("created_at"))["oldest"]
        if oldest is not None:
            days |= set(days_from(oldest.astimezone(local_zone()).date(), today))
    return {day for day in days if first <= day <= today}

"""``refresh_dashboards``: store the dashboards' daily figures now instead of waiting for the periodic task."""

import time
from collections.abc import Iterable
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dashboards import rollups
from dashboards.periods import days_from, local_zone


class Command(BaseCommand):
    help = (
        "Recompute the dashboards' daily figures: by default the days the periodic task would; "
        "--days N for today so far and the N days before it, --all for every day since the first case."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--days", type=int, help="Recompute today so far and the N days before it.")
        which.add_argument("--all", action="store_true", help="Recompute every day since the first case.")

    def handle(self, *args, days: int | None, all: bool, **options):
        now = timezone.now()
        today = now.astimezone(local_zone()).date()
        wanted: Iterable[date]
        if all:
            wanted = days_from(rollups.first_case_day() or today, today)
        elif days is not None:
            wanted = days_from(today - timedelta(days=days), today)
        else:
            wanted = rollups.days_to_refresh(now=now)
        started = time.perf_counter()
        try:
            written = rollups.refresh(wanted, now=now)
        except rollups.RefreshRunning:
            raise CommandError("Another refresh is running; try again when it has finished.") from None
        self.stdout.write(f"Stored the figures of {written:,} days in {time.perf_counter() - started:.1f} s.")

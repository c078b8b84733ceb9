"""Daily roll-ups of the dashboard figures (see ``dashboards.rollups``)."""

from django.db import models
from django.db.models import Q


class DailyFigures(models.Model):
    """The additive figures of one department (None: not routed yet) on one local day.

    Flows (received, answered, due, resolved, surveyed...) are counted on the
    day they happened, so a period sums its days; the backlog fields are the
    state at the end of the day, so a period takes its last day's.
    """

    department = models.ForeignKey(
        "routing.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    # Counters named in ``dashboards.rollups.COUNTS``.
    counts = models.JSONField(default=dict)
    # First-response and resolution times in business seconds, sorted: exact
    # medians and percentiles need the values, not an average. Packed as
    # 32-bit integers (``rollups.pack``): a page reads hundreds of thousands
    # of them, and decoding JSON would cost more than the rest of the page.
    first_response_seconds = models.BinaryField(default=b"")
    resolution_seconds = models.BinaryField(default=b"")
    # {days late: cases} for cases with a promised delivery date, all and delivery complaints.
    late_days = models.JSONField(default=dict)
    delivery_late_days = models.JSONField(default=dict)
    by_kind = models.JSONField(default=dict)
    by_channel = models.JSONField(default=dict)
    by_tag = models.JSONField(default=dict)
    # The customer of each case received (64-bit integers, packed): repeat
    # complainants are counted over a period.
    customer_ids = models.BinaryField(default=b"")
    backlog = models.PositiveIntegerField(default=0)
    backlog_old = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    backlog_median_age_seconds = models.PositiveIntegerField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["department", "day"], name="daily_figures_department_day"),
            models.UniqueConstraint(
                fields=["day"], condition=Q(department__isnull=True), name="daily_figures_unrouted_day"
            ),
        ]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.department_id or '-'} {self.day}"


class RolledUpDay(models.Model):
    """A local day whose ``DailyFigures`` are written; a day without one is tallied live."""

    day = models.DateField(primary_key=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.day.isoformat()

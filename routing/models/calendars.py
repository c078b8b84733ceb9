"""When the SLA clock runs and who is away: business calendars, holidays, absences."""

from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .. import sla


class BusinessCalendar(models.Model):
    """Working days, hours, holidays and time zone: when the SLA clock runs."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Madrid", help_text=_("For example Europe/Madrid.")
    )
    monday = models.BooleanField(_("Monday"), default=True)
    tuesday = models.BooleanField(_("Tuesday"), default=True)
    wednesday = models.BooleanField(_("Wednesday"), default=True)
    thursday = models.BooleanField(_("Thursday"), default=True)
    friday = models.BooleanField(_("Friday"), default=True)
    saturday = models.BooleanField(_("Saturday"), default=False)
    sunday = models.BooleanField(_("Sunday"), default=False)
    opens_at = models.TimeField(_("opens at"), default=time(9))
    closes_at = models.TimeField(
        _("closes at"), default=time(18), help_text=_("00:00 means midnight at the end of the day.")
    )

    WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

    class Meta:
        verbose_name = _("business-hours calendar")
        verbose_name_plural = _("business-hours calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"time_zone": _("Unknown time zone.")}, code="unknown_time_zone") from None
        if self.opens_at and self.closes_at and self.closes_at != time(0) and self.closes_at <= self.opens_at:
            raise ValidationError(
                {"closes_at": _("It must close after it opens.")}, code="closes_before_opens"
            )

    def as_calendar(self) -> sla.Calendar:
        """The plain calendar ``routing.sla`` computes with (one query for the holidays, or none prefetched)."""
        return sla.Calendar(
            time_zone=self.time_zone,
            weekdays=frozenset(n for n, day in enumerate(self.WEEKDAYS) if getattr(self, day)),
            opens=self.opens_at,
            closes=self.closes_at,
            holidays=frozenset(holiday.date for holiday in self.holidays.all()),
        )


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_holiday_per_calendar_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class Absence(models.Model):
    """A period a person is away: cases go to the department's backup meanwhile."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences", verbose_name=_("person")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["user", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="absence_ends_after_it_starts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%Y-%m-%d} - {self.ends_at:%Y-%m-%d}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError(
                {"ends_at": _("An absence must end after it starts.")}, code="ends_before_start"
            )

"""Links from dashboard counts to the admin, and durations people can read."""

from datetime import datetime, timedelta
from typing import cast
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from feedback.models import OPEN_STATUSES
from routing.models import Department

register = template.Library()

# The scope of the "not routed yet" line.
UNROUTED = "unrouted"


@register.simple_tag
def cases_url(
    figure: str,
    scope: Department | str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> str:
    """The admin case list filtered to exactly the cases behind one count.

    ``figure`` is "received" (before ``until`` too when given), "backlog" or
    "overdue"; ``scope`` a department,
    "unrouted" for cases without one, or None for every case the reader sees
    (the admin applies the same visibility as the dashboards).
    """
    params: dict[str, object] = {}
    if isinstance(scope, Department):
        params["department__id__exact"] = scope.pk
    elif scope == UNROUTED:
        params["department__isnull"] = "True"
    if figure == "received":
        # A received count always has a start; the type of ``since`` cannot depend on ``figure``.
        params["created_at__gte"] = cast(datetime, since).isoformat()
        if until is not None:
            params["created_at__lt"] = until.isoformat()
    elif figure == "backlog":
        params["status__in"] = ",".join(OPEN_STATUSES)
    elif figure == "overdue":
        # The admin's overdue filter (CaseAdmin list_filter), same rule as the count.
        params["overdue"] = "yes"
    else:
        raise ValueError(f"Unknown dashboard figure: {figure!r}")
    return f"{reverse('admin:feedback_case_changelist')}?{urlencode(params, safe=',')}"


@register.filter
def duration(value: timedelta | None) -> str:
    """A duration at the scale that reads best: "180 ms", "2.3 s", "4 min", "5.5 h", "3.2 d"."""
    if value is None:
        return "—"
    seconds = max(value.total_seconds(), 0.0)
    if seconds < 1:
        # Routing is often sub-second: "0.0 s" would hide the figure.
        # Translators: a duration in milliseconds, e.g. "180 ms".
        return gettext("%(value)s ms") % {"value": _number(seconds * 1000, 0)}
    if seconds < 60:
        # Translators: a duration in seconds, e.g. "2.3 s".
        return gettext("%(value)s s") % {"value": _number(seconds, 1 if seconds < 10 else 0)}
    if seconds < 3600:
        # Translators: a duration in minutes, e.g. "4 min".
        return gettext("%(value)s min") % {"value": _number(seconds / 60, 0)}
    if seconds < 48 * 3600:
        # Translators: a duration in hours, e.g. "5.5 h".
        return gettext("%(value)s h") % {"value": _number(seconds / 3600, 1)}
    # Translators: a duration in days, e.g. "3.2 d".
    return gettext("%(value)s d") % {"value": _number(seconds / 86400, 1)}


def _number(value: float, places: int) -> str:
    # number_format truncates extra decimals; round first so 2.97 s reads "3.0 s".
    return number_format(round(value, places) if places else round(value), places)


@register.simple_tag
def received_url(scope: Department | str | None, since: datetime, until: datetime, **filters) -> str:
    """The admin list of the cases received in ``[since, until)`` with ``filters`` (kind, channel, tag)."""
    url = cases_url("received", scope, since, until)
    return f"{url}&{urlencode(filters)}" if filters else url


def format_value(fmt: str, value) -> str:
    """A figure as people read it: "12", "85.0 %", "5.5 h", "4.2"."""
    if value is None:
        return "—"
    if fmt == "duration":
        return duration(value)
    if fmt == "percent":
        # Translators: a percentage, e.g. "85.0 %".
        return gettext("%(value)s %%") % {"value": _number(value, 1)}
    if fmt == "score":
        return _number(value, 1)
    return number_format(value)


@register.filter
def kpi_value(cell) -> str:
    return format_value(cell.indicator.format, cell.value)


@register.filter
def kpi_previous(cell) -> str:
    return format_value(cell.indicator.format, cell.previous)


@register.simple_tag
def kpi_delta(cell) -> SafeString:
    """The change since the previous period: an arrow, coloured by whether it is good news."""
    trend = cell.trend
    if not trend:
        return format_html('<span class="kpi-delta kpi-delta-none">{}</span>', "")
    arrow = {"up": "▲", "down": "▼", "flat": "▬"}[trend]
    quality = {True: "better", False: "worse", None: "same"}[cell.is_better]
    # A change below rounding reads as zero, without a sign that would suggest a fall.
    delta = cell.delta * 0 if trend == "flat" else cell.delta
    if cell.indicator.format == "duration":
        text = ("+" if trend == "up" else "\u2212" if trend == "down" else "") + duration(abs(delta))
    elif cell.indicator.format == "percent":
        # Translators: a change in percentage points, e.g. "+3.5 pp".
        text = gettext("%(value)s pp") % {"value": _signed(delta, 1)}
    elif cell.indicator.format == "score":
        text = _signed(delta, 1)
    else:
        text = _signed(delta, 0)
    title = gettext("Previous period: %(value)s") % {"value": kpi_previous(cell)}
    return format_html(
        '<span class="kpi-delta kpi-{}" data-trend="{}" data-quality="{}" title="{}">'
        '<span aria-hidden="true">{}</span> {}</span>',
        quality,
        trend,
        quality,
        title,
        arrow,
        text,
    )


def _signed(value: float, places: int) -> str:
    sign = "+" if value > 0 else "\u2212" if value < 0 else ""
    return sign + _number(abs(value), places)

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from feedback.selectors import cases_visible_to
from routing.models import Department
from routing.selectors import departments_of, sees_all_departments

from . import selectors, tables
from .charts import chart_data
from .indicators import DEFAULT_LATE_DAYS
from .periods import PERIODS, Period, period_from


def _period(request: HttpRequest) -> Period:
    # The links to the admin use the period's midnights, never this instant; cases
    # counted "so far today" are those before it, so it is taken to the microsecond.
    return period_from(request.GET, now=timezone.now())


def _late_days(request: HttpRequest) -> int:
    """``?late_days=N`` (0-365) for the logistics figures; anything else means the default."""
    value = request.GET.get("late_days", "")
    return int(value) if value.isascii() and value.isdigit() and int(value) <= 365 else DEFAULT_LATE_DAYS


def _csv(text: str, filename: str) -> HttpResponse:
    # The BOM lets Excel read the accents of "Logística" as UTF-8.
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    sees_all = sees_all_departments(request.user)
    departments = list(departments_of(request.user))
    if not departments and not sees_all:
        raise PermissionDenied
    period = _period(request)
    figures = tables.overview_tables(
        departments=departments,
        sees_all=sees_all,
        period=period,
        late_days=_late_days(request),
    )
    if request.GET.get("format") == "csv":
        return _csv(
            tables.overview_csv(figures, period), f"cx-overview-{period.first_day}-{period.last_day}.csv"
        )
    charts = chart_data(daily=figures["daily"], scope=None, period=period)
    context = {"period": period, "periods": PERIODS, "charts": charts, **figures}
    return render(request, "dashboards/overview.html", context)


@login_required
def department(request: HttpRequest, slug: str) -> HttpResponse:
    department = get_object_or_404(Department, slug=slug)
    if not departments_of(request.user).filter(pk=department.pk).exists():
        raise PermissionDenied
    period = _period(request)
    cases = cases_visible_to(request.user).filter(department=department)
    late_days = _late_days(request)
    figures = tables.department_tables(department=department, period=period, late_days=late_days)
    if request.GET.get("format") == "csv":
        return _csv(
            tables.department_csv(figures, department, period),
            f"cx-{department.slug}-{period.first_day}-{period.last_day}.csv",
        )
    oldest = selectors.oldest_open_cases(cases=cases, now=period.now, limit=10)
    context = {
        "period": period,
        "periods": PERIODS,
        "department": department,
        "late_days": late_days,
        "oldest": oldest,
        "charts": chart_data(
            daily=figures["daily"], scope=department, period=period, by_tag=figures["by_tag"]
        ),
        **figures,
    }
    return render(request, "dashboards/department.html", context)

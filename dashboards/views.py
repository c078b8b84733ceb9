from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from feedback.selectors import cases_visible_to
from routing.models import Department
from routing.selectors import departments_of, sees_all_departments

from . import selectors

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30


@dataclass(frozen=True)
class Period:
    days: int
    since: datetime
    now: datetime


def _period(request: HttpRequest) -> Period:
    """``?days=7|30|90``; anything else means the default period, never an error."""
    days = request.GET.get("days", "")
    days = int(days) if days in {str(p) for p in PERIODS} else DEFAULT_PERIOD
    # Whole seconds: the same instant appears in the admin links.
    now = timezone.now().replace(microsecond=0)
    return Period(days=days, since=now - timedelta(days=days), now=now)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    sees_all = sees_all_departments(request.user)
    departments = list(departments_of(request.user))
    if not departments and not sees_all:
        raise PermissionDenied
    period = _period(request)
    cases = cases_visible_to(request.user)
    figures = {"since": period.since, "now": period.now}
    context = {
        "period": period,
        "periods": PERIODS,
        "rows": selectors.department_summaries(cases=cases, departments=departments, **figures),
        # Cases no department holds yet: only those who see all can see them.
        "unrouted": selectors.case_summary(cases=cases.filter(department=None), **figures)
        if sees_all
        else None,
        "total": selectors.case_summary(cases=cases, **figures),
    }
    return render(request, "dashboards/overview.html", context)


@login_required
def department(request: HttpRequest, slug: str) -> HttpResponse:
    department = get_object_or_404(Department, slug=slug)
    if not departments_of(request.user).filter(pk=department.pk).exists():
        raise PermissionDenied
    period = _period(request)
    cases = cases_visible_to(request.user).filter(department=department)
    [summary] = selectors.department_summaries(
        cases=cases, departments=[department], since=period.since, now=period.now
    )
    oldest = selectors.oldest_open_cases(cases=cases, now=period.now, limit=10)
    context = {"period": period, "periods": PERIODS, "summary": summary, "oldest": oldest}
    return render(request, "dashboards/department.html", context)

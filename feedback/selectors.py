"""Reads of cases that more than one caller needs (admin, dashboards, API)."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from routing.selectors import departments_of, sees_all_departments

from .models import OPEN_STATUSES, Case


def cases_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Case]:
    """The cases ``user`` may see: every case for executives and superusers,
    otherwise only those of the departments they belong to.

    Cases not routed yet have no department: only those who see all see them.
    """
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if sees_all_departments(user):
        return Case.objects.all()
    return Case.objects.filter(department__in=departments_of(user).values("pk"))


def overdue_q(*, now: datetime) -> Q:
    """Open cases past a due date: the query twin of ``Case.is_overdue``.

    The admin filter, the dashboards and the API all count with this, so
    their figures cannot drift apart. A first-response date stops counting
    once someone has answered.
    """
    late_first_response = Q(first_response_at__isnull=True, first_response_due_at__lt=now)
    return Q(status__in=OPEN_STATUSES) & (late_first_response | Q(resolution_due_at__lt=now))

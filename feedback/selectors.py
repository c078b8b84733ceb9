"""Reads of cases that more than one caller needs (admin, dashboards, API)."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from routing.selectors import departments_of, sees_all_departments

from .models import Case


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

"""Reads behind the KPI dashboard pages that are not indicators (see ``indicators``).

Every function takes ``cases``, the cases the reader may see
(``feedback.selectors.cases_visible_to``), so a dashboard can never count a
case its reader could not open. ``now`` is passed in, never read from the
clock here, so the figures can be tested at a fixed instant.
"""

from datetime import datetime

from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, F, QuerySet, When

from feedback.models import OPEN_STATUSES, Case
from feedback.selectors import overdue_q


def oldest_open_cases(*, cases: QuerySet[Case], now: datetime, limit: int = 10) -> list[Case]:
    """The ``limit`` open cases waiting longest, in one query.

    Each carries ``next_due_at`` (the first-response date until someone
    answers, then the resolution date) and ``is_late`` (overdue at ``now``).
    """
    next_due_at = models.Case(
        When(
            first_response_at__isnull=True,
            first_response_due_at__isnull=False,
            then=F("first_response_due_at"),
        ),
        default=F("resolution_due_at"),
    )
    return list(
        cases.filter(status__in=OPEN_STATUSES)
        .select_related("owner")
        .annotate(
            next_due_at=next_due_at,
            is_late=ExpressionWrapper(overdue_q(now=now), output_field=BooleanField()),
        )
        .order_by("created_at", "pk")[:limit]
    )

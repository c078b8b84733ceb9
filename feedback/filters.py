"""Query-string filters of the case API."""

import django_filters
from django.db.models import QuerySet
from django.utils import timezone

from .models import Case
from .selectors import overdue_q


class CaseFilter(django_filters.FilterSet):
    # Slugs rather than ids: they are what integrations and people know.
    # Labels only describe the parameters in the schema, so they stay in English.
    department = django_filters.CharFilter(field_name="department__slug", label="Department slug")
    tag = django_filters.CharFilter(field_name="tags__slug", label="Tag slug")
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="Submitted at or after (ISO 8601)"
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label="Submitted before (ISO 8601)"
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Open and past a due date")

    class Meta:
        model = Case
        fields = ["status", "priority", "kind", "channel"]

    def filter_overdue(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        q = overdue_q(now=timezone.now())
        return queryset.filter(q) if value else queryset.exclude(q)

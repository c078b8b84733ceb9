"""Query-string filters of the case and customer APIs."""

from datetime import UTC, datetime

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from .identity import normalise_email, normalise_number, normalise_phone
from .models import Case, Customer, CustomerIdentity
from .selectors import overdue_q


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time that also exists in UTC, given to the query in UTC.

    ``0001-01-01T00:00:00+14:00`` parses, but falls in year 0 in UTC, which
    no ``datetime`` can hold: the database adapter overflowed converting it
    (a 500). It is a field error instead.

    The value goes on in UTC, the same instant: Python accepts offsets up to
    ±23:59 but PostgreSQL only up to ±15:59, and refused ``…+23:00`` with
    an error (a 500) when the offset reached it as typed.
    """

    default_error_messages = {"out_of_range": _("Enter a date and time between the years 1 and 9999 in UTC.")}

    def to_python(self, value: object) -> datetime | None:
        result = super().to_python(value)
        if result is not None and timezone.is_aware(result):
            try:
                return result.astimezone(UTC)
            except OverflowError:
                raise ValidationError(self.error_messages["out_of_range"], code="out_of_range") from None
        return result


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class CaseFilter(django_filters.FilterSet):
    # Slugs rather than ids: they are what integrations and people know.
    # Labels only describe the parameters in the schema, so they stay in English.
    department = django_filters.CharFilter(field_name="department__slug", label="Department slug")
    tag = django_filters.CharFilter(field_name="tags__slug", label="Tag slug")
    created_after = UTCDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="Submitted at or after (ISO 8601)"
    )
    created_before = UTCDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label="Submitted before (ISO 8601)"
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Open and past a due date")
    source = django_filters.CharFilter(label="Source: the integration's, api for staff, import, email…")
    external_id = django_filters.CharFilter(label="The id the case has in its source")

    class Meta:
        model = Case
        fields = ["status", "priority", "kind", "channel"]

    def filter_overdue(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        q = overdue_q(now=timezone.now())
        return queryset.filter(q) if value else queryset.exclude(q)


class CustomerFilter(django_filters.FilterSet):
    """Find a customer however the contact is written: ``+34 600 11 22 33`` is ``600112233``.

    Values are normalised as intake stores them and matched against every
    identity of the customer (second emails, old phones), and against the
    contact fields of customers stored before identities existed.
    """

    email = django_filters.CharFilter(method="filter_identity", label="Any of the customer's emails")
    phone = django_filters.CharFilter(method="filter_identity", label="Any of the customer's phones")
    customer_number = django_filters.CharFilter(method="filter_identity", label="Customer number")

    identities = {
        "email": (CustomerIdentity.Kind.EMAIL, normalise_email, "email__iexact"),
        "phone": (CustomerIdentity.Kind.PHONE, normalise_phone, "phone"),
        "customer_number": (CustomerIdentity.Kind.NUMBER, normalise_number, "customer_number__iexact"),
    }

    class Meta:
        model = Customer
        fields: list[str] = []

    def filter_identity(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        kind, normalise, legacy_field = self.identities[name]
        value = normalise(value)
        if not value:
            return queryset.none()
        holders = CustomerIdentity.objects.filter(kind=kind, value=value).values("customer_id")
        return queryset.filter(Q(pk__in=holders) | Q(**{legacy_field: value}))

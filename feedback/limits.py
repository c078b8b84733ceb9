"""What intake accepts, in one place for the web form and the API.

Text lengths come from the columns the values are stored in, so neither
path can accept what the database would refuse (PostgreSQL raises on a
value longer than its ``varchar``; SQLite silently keeps it). Order and
delivery dates must fall in a window around today.
"""

from datetime import date
from typing import cast

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Customer

# An order (or a promised delivery) outside this window is a typing slip or
# junk, not a real order: the KPIs average these dates (logistics' days late),
# so five year-1 orders were enough to push that average to 147,989.8 days.
# Ten years back covers any complaint that can still be made about an order;
# a year ahead covers pre-orders and slow promised deliveries.
ORDER_DATE_YEARS_BACK = 10
ORDER_DATE_YEARS_AHEAD = 1


def column_length(model: type[models.Model], field: str) -> int:
    """The length of the column a form or API field fills."""
    # Asked only of text columns: a Field (not a relation), and one with a length.
    column = cast(models.Field, model._meta.get_field(field))
    return cast(int, column.max_length)


def intake_date_window(today: date) -> tuple[date, date]:
    """The first and last order or promised delivery dates intake accepts."""
    return _years_later(today, -ORDER_DATE_YEARS_BACK), _years_later(today, ORDER_DATE_YEARS_AHEAD)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year without one
        return day.replace(year=day.year + years, day=28)


def validate_intake_date(value: date) -> None:
    """Refuse an order or promised delivery date outside ``intake_date_window``."""
    earliest, latest = intake_date_window(timezone.localdate())
    if not earliest <= value <= latest:
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s.")
            % {"earliest": date_format(earliest), "latest": date_format(latest)},
            code="date_out_of_range",
        )


def validate_stored_email_length(value: str) -> None:
    """Refuse an address that lower-casing would make too long for its column.

    The customer's email is stored lower-cased (``customer_resolve``), and a
    few letters grow when lower-cased ("İ" becomes "i̇", two characters). The
    field's own ``max_length`` has already refused what is too long as typed.
    """
    limit = column_length(Customer, "email")
    if len(value) <= limit < len(value.strip().lower()):
        raise ValidationError(_("This email address is too long."), code="max_length")

"""What the customer is promised at intake: the fallback department's first-response target."""

from dataclasses import dataclass

from ..models import Department
from .ruleset import ruleset_version


@dataclass(frozen=True)
class Promise:
    """The first-response time the customer is told, and in which hours it counts."""

    hours: int
    business_hours: bool


def promised_first_response() -> Promise | None:
    """What the customer is promised at intake, before routing has run.

    Routing is asynchronous, so the thanks page quotes the fallback
    department's first-response target; with a calendar on its policy the
    hours are business hours, and the customer is told so.
    """
    # Read once per process and per set-up version: every acknowledgement and
    # thanks page quotes it, and saving a department or policy bumps the version.
    version = ruleset_version()
    if version not in _promises:
        department = Department.objects.filter(is_fallback=True).select_related("sla_policy").first()
        policy = department.sla_policy if department else None
        _promises.clear()
        _promises[version] = (
            Promise(hours=policy.first_response_hours, business_hours=policy.calendar_id is not None)
            if policy
            else None
        )
    return _promises[version]


_promises: dict[str, Promise | None] = {}


def promised_first_response_hours() -> int | None:
    """The hours of ``promised_first_response()`` (what the API and older templates quote)."""
    promise = promised_first_response()
    return promise.hours if promise else None

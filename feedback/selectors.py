"""Reads of cases that more than one caller needs (admin, dashboards, API)."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from routing.selectors import departments_of, sees_all_departments

from .models import OPEN_STATUSES, Case, CaseEvent, Status


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


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    title: str
    body: str = ""
    from_customer: bool = False
    from_us: bool = False
    attachments: tuple = ()


def public_timeline(case: Case) -> list[PublicEvent]:
    """What the customer may see of their case, in their words.

    Only public events, and for system events a fixed sentence rather than
    the event's staff-facing text: never notes, staff names or rule names.
    """
    titles = {
        CaseEvent.Kind.CREATED: _("We received your message"),
        CaseEvent.Kind.ROUTED: _("Passed to the team responsible"),
        CaseEvent.Kind.REPLY: _("Our reply"),
        CaseEvent.Kind.CUSTOMER_MESSAGE: _("Your message"),
    }
    events = []
    for event in case.events.filter(is_public=True).prefetch_related("attachments").order_by("at", "id"):
        if event.kind == CaseEvent.Kind.STATUS_CHANGED:
            label = dict(Status.choices).get(event.data.get("to"), "")
            events.append(PublicEvent(event.at, _("Status: %(status)s") % {"status": label}))
        elif event.kind in (CaseEvent.Kind.REPLY, CaseEvent.Kind.CUSTOMER_MESSAGE):
            from_customer = event.kind == CaseEvent.Kind.CUSTOMER_MESSAGE
            events.append(
                PublicEvent(
                    event.at,
                    titles[event.kind],
                    event.text,
                    from_customer,
                    not from_customer,
                    tuple(event.attachments.all()),
                )
            )
        elif event.kind in titles:
            events.append(PublicEvent(event.at, titles[event.kind]))
    return events


def current_consents(customer) -> dict[str, bool]:
    """The latest marketing choice per channel; no record means no consent."""
    from .models import Consent, ConsentChannel

    latest: dict[str, bool] = dict.fromkeys(ConsentChannel.values, False)
    seen: set[str] = set()
    for channel, granted in (
        Consent.objects.filter(customer=customer).order_by("-at", "-id").values_list("channel", "granted")
    ):
        if channel not in seen:
            seen.add(channel)
            latest[channel] = granted
    return latest

"""Reads of cases that more than one caller needs (admin, dashboards, API)."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from routing.selectors import departments_of, sees_all_departments

from .identity import customer_find, normalise_email, normalise_number
from .models import OPEN_STATUSES, Case, CaseEvent, Customer, CustomerIdentity, Status


def cases_visible_to(user: User | AnonymousUser) -> QuerySet[Case]:
    """The cases ``user`` may see: every case for executives and superusers,
    otherwise only those of the departments they belong to.

    Cases not routed yet have no department: only those who see all see them.
    """
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if sees_all_departments(user):
        return Case.objects.all()
    return Case.objects.filter(department__in=departments_of(user).values("pk"))


def customers_visible_to(user: User | AnonymousUser) -> QuerySet[Customer]:
    """The customers ``user`` may reach: all for those who see every department,
    otherwise only those with at least one case ``user`` may see.

    The admin's customer pages, the staff-entry lookup and merging all go
    through this, so a customer never shows up where their cases would not.
    """
    if sees_all_departments(user):
        return Customer.objects.all()
    return Customer.objects.filter(pk__in=cases_visible_to(user).values("customer_id"))


@dataclass(frozen=True)
class CustomerMatches:
    """What the staff-entry lookup found for what was typed so far."""

    customers: list[Customer]
    # The exact email, phone or number belongs to a customer the user may not
    # see: the case will land on them, but their details stay hidden.
    known_elsewhere: bool = False


LOOKUP_MIN_LENGTH = 2
LOOKUP_MAX_LENGTH = 254


def customers_matching(
    user: User | AnonymousUser, *, field: str, query: str, limit: int = 8
) -> CustomerMatches:
    """Customers staff may mean while typing ``query`` into the entry form's ``field``.

    The holder of exactly that (normalised) email, phone or number comes
    first, as intake would match them; then prefix matches on names, numbers,
    emails and phone digits among the customers ``user`` may see. Erased
    customers are never offered.
    """
    query = query.strip()
    # Longer than any stored contact, or with a NUL PostgreSQL refuses: nobody has it.
    if (
        field not in ("name", "email", "phone", "customer_number")
        or not LOOKUP_MIN_LENGTH <= len(query) <= LOOKUP_MAX_LENGTH
        or "\x00" in query
    ):
        return CustomerMatches([])
    visible = customers_visible_to(user).filter(erased_at__isnull=True)
    found: list[Customer] = []
    known_elsewhere = False
    exact = customer_find(**{field: query}) if field != "name" else None
    if exact is not None and exact.erased_at is None:
        if visible.filter(pk=exact.pk).exists():
            found.append(exact)
        else:
            known_elsewhere = True
    Kind = CustomerIdentity.Kind
    digits = "".join(ch for ch in query if ch.isdigit())
    if field == "name":
        # "gar" finds "Ana García": any word of the name may start the match.
        prefix = Q(name__istartswith=query) | Q(name__icontains=f" {query}")
    elif field == "email":
        value = normalise_email(query)
        prefix = Q(email__istartswith=value) | Q(
            identities__kind=Kind.EMAIL, identities__value__startswith=value
        )
    elif field == "customer_number":
        value = normalise_number(query)
        prefix = Q(customer_number__istartswith=value) | Q(
            identities__kind=Kind.NUMBER, identities__value__startswith=value
        )
    elif len(digits) >= 4:
        # Phones are stored in E.164: the digits typed so far appear inside, after the country code.
        prefix = Q(phone__contains=digits) | Q(
            identities__kind=Kind.PHONE, identities__value__contains=digits
        )
    else:
        prefix = None
    if prefix is not None and len(found) < limit:
        more = visible.filter(prefix).exclude(pk__in=[c.pk for c in found]).distinct().order_by("name", "pk")
        found.extend(more[: limit - len(found)])
    return CustomerMatches(found, known_elsewhere)


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
    titles: dict[str, str] = {
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

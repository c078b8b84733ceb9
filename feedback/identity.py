"""One customer across channels: normalised identities, matching, merging.

A customer is recognised by any of their emails (case-insensitive), phones
(E.164) or customer numbers. Every channel resolves its sender through
``customer_resolve``; staff fold two records of one person together with
``customers_merge``, which keeps an audit record.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import phonenumbers
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError

from .models import Case, Consent, Customer, CustomerIdentity, CustomerMerge, SurveyResponse

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Kind = CustomerIdentity.Kind


def normalise_email(value: str) -> str:
    """Emails match whatever their case: ``Ana@Example.COM`` is ``ana@example.com``."""
    return value.strip().lower()


def normalise_phone(value: str, region: str | None = None) -> str:
    """The number in E.164 (``+34600112233``), reading a national number as ``region``'s.

    A number the library cannot read is kept as its digits (with a leading
    ``+`` if it had one), so it still matches itself written another way.
    """
    value = value.strip()
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, region or settings.CX_PHONE_REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_possible_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    digits = "".join(ch for ch in value if ch.isdigit())
    return f"+{digits}" if value.startswith("+") and digits else digits


def normalise_number(value: str) -> str:
    return value.strip().upper()


# Keyed by the stored kind, a plain str.
NORMALISERS: dict[str, Callable[[str], str]] = {
    Kind.EMAIL: normalise_email,
    Kind.PHONE: normalise_phone,
    Kind.NUMBER: normalise_number,
}


def identities_of(*, email: str = "", phone: str = "", customer_number: str = "") -> list[tuple[str, str]]:
    """The normalised ``(kind, value)`` pairs given, strongest first: number, email, phone."""
    given = ((Kind.NUMBER, customer_number), (Kind.EMAIL, email), (Kind.PHONE, phone))
    pairs = [(kind, NORMALISERS[kind](value)) for kind, value in given if value and value.strip()]
    return [(kind, value) for kind, value in pairs if value]


def customer_find(*, email: str = "", phone: str = "", customer_number: str = "") -> Customer | None:
    """The customer any of these identities belongs to (number first, then email, then phone)."""
    pairs = identities_of(email=email, phone=phone, customer_number=customer_number)
    if not pairs:
        return None
    either = Q()
    for kind, value in pairs:
        either |= Q(kind=kind, value=value)
    held = {
        (i.kind, i.value): i.customer
        for i in CustomerIdentity.objects.filter(either).select_related("customer")
    }
    for pair in pairs:
        if pair in held:
            return held[pair]
    # Customers stored before identities existed, or written around the services (bulk loads).
    either = Q()
    for kind, value in pairs:
        either |= Q(**{_FIELD_LOOKUPS[kind]: value})
    candidates = list(Customer.objects.filter(either, erased_at__isnull=True).order_by("pk")[:20])
    for kind, value in pairs:
        for candidate in candidates:
            if NORMALISERS[kind](getattr(candidate, _FIELDS[kind])) == value:
                return candidate
    return None


def _any_of(pairs: Iterable[tuple[str, str]]) -> Q:
    either = Q()
    for kind, value in pairs:
        either |= Q(kind=kind, value=value)
    return either


_FIELDS: dict[str, str] = {Kind.EMAIL: "email", Kind.PHONE: "phone", Kind.NUMBER: "customer_number"}
_FIELD_LOOKUPS: dict[str, str] = {
    Kind.EMAIL: "email__iexact",
    Kind.PHONE: "phone",
    Kind.NUMBER: "customer_number__iexact",
}


def identities_add(*, customer: Customer, pairs: Iterable[tuple[str, str]]) -> list[CustomerIdentity]:
    """Attach the identities not yet known to anybody; one held by another customer stays theirs."""
    pairs = list(pairs)
    if not pairs:
        return []
    taken = set(CustomerIdentity.objects.filter(_any_of(pairs)).values_list("kind", "value"))
    added = []
    for kind, value in pairs:
        if (kind, value) in taken:
            continue
        try:
            # A savepoint: a concurrent claim of the same value must not break the caller's transaction.
            with transaction.atomic():
                added.append(CustomerIdentity.objects.create(customer=customer, kind=kind, value=value))
        except IntegrityError:
            continue
    return added


def identities_sync(*, customer: Customer) -> None:
    """Make sure the customer's own contact fields are among their identities (after an edit)."""
    identities_add(
        customer=customer,
        pairs=identities_of(
            email=customer.email, phone=customer.phone, customer_number=customer.customer_number
        ),
    )


def customer_resolve(
    *, name: str, email: str = "", phone: str = "", customer_number: str = "", language: str = "es"
) -> Customer:
    """Find the customer by number, email or phone, or create them.

    One identity across channels: the same email from the web form, the API
    and the mailbox lands on one customer. Details the customer gives fill
    blanks and become further identities; they never overwrite what is known.
    """
    return customer_resolve_or_create(
        name=name, email=email, phone=phone, customer_number=customer_number, language=language
    )[0]


def customer_resolve_or_create(
    *, name: str, email: str = "", phone: str = "", customer_number: str = "", language: str = "es"
) -> tuple[Customer, bool]:
    """``customer_resolve``, and whether the customer was created by this call.

    A new customer has no history (consents, cases) to look up; intake uses
    the flag to skip those reads.
    """
    email, phone = normalise_email(email), normalise_phone(phone)
    customer_number = customer_number.strip()
    pairs = identities_of(email=email, phone=phone, customer_number=customer_number)
    customer = _found_and_locked(email=email, phone=phone, customer_number=customer_number)
    if customer is None:
        try:
            with transaction.atomic():
                customer = Customer.objects.create(
                    name=name, email=email, phone=phone, customer_number=customer_number, language=language
                )
                CustomerIdentity.objects.bulk_create(
                    [CustomerIdentity(customer=customer, kind=kind, value=value) for kind, value in pairs]
                )
            return customer, True
        except IntegrityError:
            # Another submission from the same person made them first: use theirs.
            customer = _found_and_locked(email=email, phone=phone, customer_number=customer_number)
            if customer is None:
                raise
    changed = []
    for field, value in (
        ("name", name),
        ("email", email),
        ("phone", phone),
        ("customer_number", customer_number),
    ):
        if value and not getattr(customer, field):
            setattr(customer, field, value)
            changed.append(field)
    if changed:
        customer.save(update_fields=changed)
    identities_add(customer=customer, pairs=pairs)
    return customer, False


def _found_and_locked(*, email: str, phone: str, customer_number: str) -> Customer | None:
    """``customer_find``, with the customer's row locked until the caller's transaction ends.

    A merge may be deleting the row found: the lock waits for it to commit,
    and then the identities lead to the customer kept. Without this, a case
    written for the deleted row would fail at commit and be lost. Outside a
    transaction (nothing is written with the customer) no lock is taken.
    """
    for _attempt in range(3):
        found = customer_find(email=email, phone=phone, customer_number=customer_number)
        if found is None or not transaction.get_connection().in_atomic_block:
            return found
        locked = Customer.objects.select_for_update().filter(pk=found.pk).first()
        if locked is not None:
            return locked
    return None


def is_own_contact(identity: CustomerIdentity) -> bool:
    """Whether ``identity`` is the customer's email, phone or number field (not a further one)."""
    customer = identity.customer
    own = identities_of(email=customer.email, phone=customer.phone, customer_number=customer.customer_number)
    return (identity.kind, identity.value) in own


def identity_remove(*, identity: CustomerIdentity) -> None:
    """Detach a contact recorded by mistake, so messages from it stop landing on this customer.

    The customer's own contact fields stay identities (the next save would
    add them back): those are changed in their details instead.
    """
    if is_own_contact(identity):
        raise ApplicationError(
            _("This is the customer's own contact: change it in their details instead."), code="own_contact"
        )
    identity.delete()


def merge_preview(*, target: Customer, sources: Iterable[Customer]) -> dict[str, Any]:
    """What ``customers_merge`` would move, for the confirmation page; raises if it may not."""
    sources = list(sources)
    _check_mergeable(target, sources)
    ids = [source.pk for source in sources]
    return {
        "cases": Case.objects.filter(customer_id__in=ids).count(),
        "consents": Consent.objects.filter(customer_id__in=ids).count(),
        "surveys": SurveyResponse.objects.filter(case__customer_id__in=ids).count(),
        "identities": CustomerIdentity.objects.filter(customer_id__in=ids).count(),
    }


def customers_merge(
    *,
    target: Customer,
    sources: Iterable[Customer],
    actor: "User | None",
    now: datetime | None = None,
) -> list[CustomerMerge]:
    """Fold ``sources`` into ``target``: their cases, consents and identities move, they go.

    Their timelines travel with their cases. Contact details fill the kept
    customer's blanks; each merged record is kept as it was in a
    ``CustomerMerge``. An erased customer is never merged, either way: that
    would bring erased data back or attach a new history to an erasure.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = sorted({target.pk, *(source.pk for source in sources)})
        # Lock the rows so a concurrent erasure or merge waits for this one.
        locked = {
            customer.pk: customer for customer in Customer.objects.select_for_update().filter(pk__in=ids)
        }
        target = locked[target.pk]
        sources = [locked[pk] for pk in ids if pk != target.pk and pk in locked]
        _check_mergeable(target, sources)
        merges = []
        for source in sources:
            snapshot = {
                "name": source.name,
                "email": source.email,
                "phone": source.phone,
                "customer_number": source.customer_number,
                "segment": source.segment,
                "language": source.language,
                "created_at": source.created_at.isoformat(),
                "identities": [[i.kind, i.value] for i in source.identities.all()],
            }
            moved = {
                "cases": Case.objects.filter(customer=source).update(customer=target),
                # Earlier merges into the source now belong to the kept customer's history.
                "merges": CustomerMerge.objects.filter(target=source).update(target=target),
                # Consent rows are append-only; only their owner changes, their history stays.
                "consents": Consent.objects.filter(customer=source).update(customer=target),
                "identities": CustomerIdentity.objects.filter(customer=source).update(customer=target),
            }
            changed = []
            for field in ("email", "phone", "customer_number", "segment"):
                if getattr(source, field) and not getattr(target, field):
                    setattr(target, field, getattr(source, field))
                    changed.append(field)
            if changed:
                target.save(update_fields=changed)
            source_id = source.pk
            source.delete()
            merges.append(
                CustomerMerge.objects.create(
                    target=target, source_id=source_id, source=snapshot, moved=moved, actor=actor, at=now
                )
            )
    return merges


def _check_mergeable(target: Customer, sources: list[Customer]) -> None:
    if not sources or any(source.pk == target.pk for source in sources):
        raise ApplicationError(
            _("Choose at least one other customer to merge into this one."), code="merge_self"
        )
    if target.erased_at or any(source.erased_at for source in sources):
        raise ApplicationError(
            _("An erased customer cannot be merged: their data is gone and must stay gone."),
            code="merge_erased",
        )

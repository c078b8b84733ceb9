"""GDPR services: export everything about a customer, erase a customer,
and anonymise closed cases past the retention period.

Erasure keeps the statistics (kind, channel, tags, department, dates,
survey scores) and removes what identifies a person: names, contacts,
free text written by or about them.
"""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import (
    Case,
    CaseEvent,
    Consent,
    Customer,
    CustomerIdentity,
    CustomerMerge,
    InboundEmail,
    Status,
    SurveyResponse,
)

ERASED = "—"
# The reason can name the files the customer sent.
_INBOUND_ERASED = {"sender": "", "subject": ERASED, "message_id": "", "reason": ""}
# Events whose text the customer wrote or that quote them.
_PERSONAL_EVENTS = (CaseEvent.Kind.CUSTOMER_MESSAGE, CaseEvent.Kind.REPLY, CaseEvent.Kind.NOTE)


def customer_export(*, customer: Customer) -> dict[str, Any]:
    """Everything stored about ``customer``, as JSON-ready data (right of access)."""
    cases = customer.cases.prefetch_related("tags", "events").select_related("department")
    return {
        "customer": {
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
            "customer_number": customer.customer_number,
            "language": customer.language,
            "segment": customer.segment,
            "created_at": customer.created_at.isoformat(),
        },
        "identities": [{"kind": i.kind, "value": i.value} for i in customer.identities.all()],
        "consents": [
            {
                "channel": c.channel,
                "granted": c.granted,
                "wording_version": c.wording_version,
                "source": c.source,
                "at": c.at.isoformat(),
            }
            for c in customer.consents.order_by("at", "id")
        ],
        "cases": [_case_export(case) for case in cases.order_by("created_at")],
    }


def _case_export(case: Case) -> dict[str, Any]:
    survey = SurveyResponse.objects.filter(case=case).first()
    return {
        "reference": case.reference,
        "kind": case.kind,
        "channel": case.channel,
        "status": case.status,
        "subject": case.subject,
        "message": case.message,
        "order_reference": case.order_reference,
        "order_date": case.order_date.isoformat() if case.order_date else None,
        "promised_delivery_date": case.promised_delivery_date.isoformat()
        if case.promised_delivery_date
        else None,
        "product": case.product,
        "store": case.store,
        "department": case.department.slug if case.department else None,
        "tags": [t.slug for t in case.tags.all()],
        "created_at": case.created_at.isoformat(),
        # The customer's own timeline: what they can already see on their page.
        "messages": [
            {"at": e.at.isoformat(), "kind": e.kind, "text": e.text}
            for e in case.events.all()
            if e.kind in (CaseEvent.Kind.CUSTOMER_MESSAGE, CaseEvent.Kind.REPLY)
        ],
        "survey": (
            {"csat": survey.csat, "nps": survey.nps, "ces": survey.ces, "comment": survey.comment}
            if survey
            else None
        ),
    }


def cases_anonymise(*, cases: QuerySet[Case]) -> int:
    """Remove the personal content of ``cases``, keeping what statistics need."""
    ids = list(cases.values_list("pk", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        Case.objects.filter(pk__in=ids).update(
            subject=ERASED, message=ERASED, order_reference="", anonymised=True
        )
        # The timeline is append-only for staff; erasure is the one exception.
        # Their data can quote the customer too (names of files they sent).
        CaseEvent.objects.filter(case_id__in=ids, kind__in=_PERSONAL_EVENTS).update(text=ERASED, data={})
        SurveyResponse.objects.filter(case_id__in=ids).update(comment="")
        # The log of emails read names the sender and the subject; the fingerprint stays, for dedupe.
        InboundEmail.objects.filter(case_id__in=ids).update(**_INBOUND_ERASED)
    return len(ids)


def customer_erase(*, customer: Customer, now: datetime | None = None) -> Customer:
    """Erase a customer (right to be forgotten): personal data gone, statistics kept."""
    now = now or timezone.now()
    with transaction.atomic():
        cases_anonymise(cases=customer.cases.all())
        Consent.objects.filter(customer=customer).delete()
        # Their emails that made no case (refused, automatic) are logged under their addresses too,
        # as they wrote them (any case).
        addresses = {
            customer.email,
            *customer.identities.filter(kind="email").values_list("value", flat=True),
        }
        written_by_them = Q()
        for address in addresses - {""}:
            written_by_them |= Q(sender__iexact=address)
        if written_by_them:
            InboundEmail.objects.filter(written_by_them).update(**_INBOUND_ERASED)
        # No identity left to match a new message to them, no copy of merged records' contacts.
        CustomerIdentity.objects.filter(customer=customer).delete()
        CustomerMerge.objects.filter(target=customer).update(source={})
        Customer.objects.filter(pk=customer.pk).update(
            name=ERASED, email="", phone="", customer_number="", segment="", erased_at=now
        )
        # The admin's history names the objects it logged.
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Customer), object_id=str(customer.pk)
        ).update(object_repr=ERASED, change_message="")
    customer.refresh_from_db()
    return customer


# Cases anonymised per transaction by the retention run.
RETENTION_BATCH = 1000


def retention_apply(*, months: int, now: datetime | None = None, batch_size: int = RETENTION_BATCH) -> int:
    """Anonymise closed cases older than ``months`` months. Returns how many.

    In batches, each committed: the first run on a site with years of
    history would otherwise hold one transaction over all of them and, if
    stopped at its time limit, undo everything every night. Stopped, it
    keeps the batches done and the next run goes on from there.
    """
    if months <= 0:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(days=30 * months)
    due = Case.objects.filter(status=Status.CLOSED, closed_at__lt=cutoff, anonymised=False).order_by("pk")
    done = 0
    # Each batch leaves ``due`` (anonymised=True), so the next read starts after it.
    while ids := list(due.values_list("pk", flat=True)[:batch_size]):
        done += cases_anonymise(cases=Case.objects.filter(pk__in=ids))
    return done

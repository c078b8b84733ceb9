"""A case coming in: ``case_create`` stores it, with the files the customer sent.

Every way a case arrives (the web form, email, the API, staff entry, an
import) ends here; the retry-safe entry points around it are in
``idempotency``.
"""

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError
from notifications.services import notification_create

from ..identity import customer_resolve_or_create
from ..models import Attachment, Case, CaseEvent
from ..uploads import display_name
from .consents import consent_update

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def case_create(
    *,
    name: str,
    email: str = "",
    phone: str = "",
    customer_number: str = "",
    kind: str,
    channel: str,
    subject: str,
    message: str,
    language: str,
    order_reference: str = "",
    order_date: date | None = None,
    promised_delivery_date: date | None = None,
    product: str = "",
    store: str = "",
    source: str = "",
    external_id: str = "",
    actor: "User | None" = None,
    origin: dict[str, Any] | None = None,
    acknowledge: bool = True,
    consents: dict[str, bool] | None = None,
    attachments: Sequence[tuple[UploadedFile, str]] = (),
    now: datetime | None = None,
) -> Case:
    """Store a new case with status `new` and queue its routing after commit.

    The case, its customer, its reference and its first event are written
    in one transaction; routing is only queued once that has committed, so
    a worker never looks for a case that is not there yet.

    ``actor`` is the staff member who entered it (phone, store), ``origin``
    what else the timeline should say of where it came from (the integration,
    the mailbox); ``source`` and ``external_id`` name it in another system.
    """
    from cxportal.tasks import queue
    from routing.tasks import route_case

    now = now or timezone.now()
    if not (email or phone):
        raise ApplicationError(
            _("Give an email address or a phone number so we can answer you."), code="no_contact"
        )
    with transaction.atomic():
        customer, customer_is_new = customer_resolve_or_create(
            name=name, email=email, phone=phone, customer_number=customer_number, language=language
        )
        case = Case.objects.create(
            customer=customer,
            kind=kind,
            channel=channel,
            subject=subject,
            message=message,
            language=language,
            order_reference=order_reference,
            order_date=order_date,
            promised_delivery_date=promised_delivery_date,
            product=product,
            store=store,
            source=source,
            external_id=external_id,
            created_at=now,
        )
        # The reference is derived from the primary key: unique without a lock.
        case.reference = f"{settings.CX_REFERENCE_PREFIX}-{timezone.localdate(now).year}-{case.pk:06d}"
        case.save(update_fields=["reference"])
        if consents:
            consent_update(
                customer=customer, choices=consents, source=channel, now=now, customer_is_new=customer_is_new
            )
        created = CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.CREATED,
            at=now,
            actor=actor,
            text=case.get_channel_display(),
            data=origin or {},
            is_public=True,
        )
        attachments_store(case=case, event=created, files=attachments, now=now)
        # Not for past cases imported to be routed: the customer heard from us back then.
        # Sent with the first routing's emails (one task per case fewer); if routing
        # is held up, the notification sweep sends it a minute later.
        if acknowledge and customer.email:
            notification_create(case_id=case.pk, event="acknowledgement", case_is_new=True, queue_send=False)
        queue(route_case, case.pk)
    return case


def attachments_store(
    *,
    case: Case,
    files: Sequence[tuple[UploadedFile, str]],
    event: CaseEvent | None = None,
    now: datetime | None = None,
) -> list[Attachment]:
    """Keep the customer's checked files (``(upload, content type)`` pairs) on the case."""
    now = now or timezone.now()
    stored = []
    for upload, content_type in files:
        # Uploads, checked by check_upload, always have a name and a size; only a bare UploadedFile() has None.
        attachment = Attachment(
            case=case,
            event=event,
            name=display_name(cast(str, upload.name), content_type),
            content_type=content_type,
            size=cast(int, upload.size),
            uploaded_at=now,
        )
        attachment.file.save(upload.name, upload, save=False)
        attachment.save()
        stored.append(attachment)
    return stored

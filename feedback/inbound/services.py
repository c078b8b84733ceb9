"""Turning an email into a case, or into a message on the case it answers: once.

Every inbound email, whichever way it came (an IMAP or Maildir poller, an
ESP's webhook), goes through ``inbound_email_process``. It claims the
email's fingerprint in ``InboundEmail`` first, inside the transaction that
writes the case or message, so a second delivery of the same email (a
poller restarted mid-batch, a webhook retried, two pollers racing) waits
on the first one's row and then finds it, instead of making a second case.
"""

import logging
import re
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError

from ..forms import CustomerMessageForm, FeedbackForm
from ..identity import normalise_email
from ..limits import column_length
from ..models import Case, CaseEvent, Channel, Customer, CustomerIdentity, InboundEmail, Kind
from ..services import case_create, case_customer_message
from ..uploads import MAX_FILES, check_upload
from .parse import EmailAttachment, ParsedEmail, email_parse, fingerprint_of, strip_quoted

log = logging.getLogger(__name__)

Outcome = InboundEmail.Outcome


def inbound_email_process(
    *, message: EmailMessage, mailbox: str, now: datetime | None = None
) -> InboundEmail:
    """Make ``message`` a new case, a customer message on its case, or a recorded refusal: once.

    A second call with the same email returns the first call's record and
    does nothing else. See ``inbound_email_handle`` for what is done.
    """
    return inbound_email_handle(message=message, mailbox=mailbox, now=now)[0]


def inbound_email_handle(
    *, message: EmailMessage, mailbox: str, now: datetime | None = None
) -> tuple[InboundEmail, bool]:
    """``inbound_email_process``, also saying whether this call did the work (False: seen before).

    - automatic replies and bounces are recorded as ignored;
    - an email with neither subject nor text is recorded as rejected;
    - one naming a case (its reference in the subject or threading headers)
      from an email address of that case's customer is added to the case;
    - anything else becomes a new complaint from the sender.

    Files go through the web form's checks; those refused are left out and
    named in the record's reason and on the case's timeline.
    """
    now = now or timezone.now()
    fingerprint = fingerprint_of(message)
    seen = InboundEmail.objects.filter(fingerprint=fingerprint).first()
    if seen is not None:
        return seen, False
    parsed = email_parse(message)
    try:
        with transaction.atomic():
            # The claim comes first: a concurrent delivery of the same email
            # blocks on this row until we commit, then fails on the unique key.
            record = InboundEmail.objects.create(
                fingerprint=fingerprint,
                message_id=parsed.message_id[: column_length(InboundEmail, "message_id")],
                mailbox=mailbox[: column_length(InboundEmail, "mailbox")],
                sender=parsed.sender[: column_length(InboundEmail, "sender")],
                subject=parsed.subject[: column_length(InboundEmail, "subject")],
                outcome=Outcome.REJECTED,
                received_at=now,
            )
            outcome, reason, case = _act(parsed, mailbox=mailbox, now=now)
            record.outcome, record.case = outcome, case
            record.reason = reason[: column_length(InboundEmail, "reason")]
            record.save(update_fields=["outcome", "reason", "case"])
    except IntegrityError:
        seen = InboundEmail.objects.filter(fingerprint=fingerprint).first()
        if seen is None:
            raise
        return seen, False
    log.info("Inbound email %s from %s: %s %s", parsed.message_id, mailbox, record.outcome, record.reason)
    return record, True


def _act(parsed: ParsedEmail, *, mailbox: str, now: datetime) -> tuple[str, str, Case | None]:
    """(outcome, reason, case) of an email just claimed."""
    if parsed.automatic:
        return Outcome.IGNORED, _("Automatic message (%(why)s).") % {"why": parsed.automatic}, None
    if not parsed.text and not parsed.subject:
        return Outcome.REJECTED, _("The email has neither a subject nor any text."), None
    if not _valid_address(parsed.sender):
        return Outcome.REJECTED, _("The email has no valid sender address to answer."), None
    files, dropped = _checked_files(parsed.attachments)
    case = _case_answered(parsed)
    quiet: list[str] = []
    try:
        # A savepoint: a refusal by the services must not undo the claim.
        with transaction.atomic():
            if case is not None:
                event, quiet = _append(case, parsed, files=files, now=now)
                outcome = Outcome.APPENDED
            else:
                case = _create(parsed, mailbox=mailbox, files=files, now=now)
                event = None
                outcome = Outcome.CREATED
            if dropped:
                _note_dropped(case, dropped, about=event, now=now)
    except ApplicationError as exc:
        return Outcome.REJECTED, str(exc), None
    return outcome, "; ".join([*quiet, *dropped]), case


def _valid_address(address: str) -> bool:
    if not address or len(address) > column_length(Customer, "email"):
        return False
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


# --- Answers to a case --------------------------------------------------------
def _reference_pattern() -> re.Pattern:
    return re.compile(rf"\b{re.escape(settings.CX_REFERENCE_PREFIX)}-\d{{4}}-\d{{6,}}\b", re.IGNORECASE)


# A thread rarely names more than a few of our cases; a header naming thousands must not cost thousands of queries.
MAX_REFERENCES = 10


def references_in(parsed: ParsedEmail) -> list[str]:
    """Case references the email names (at most ``MAX_REFERENCES``), subject first, then its threading headers."""
    found: list[str] = []
    for text in (parsed.subject, parsed.in_reply_to, parsed.references):
        for reference in _reference_pattern().findall(text):
            if reference.upper() not in found:
                found.append(reference.upper())
            if len(found) == MAX_REFERENCES:
                return found
    return found


def _case_answered(parsed: ParsedEmail) -> Case | None:
    """The case the email answers: named by it, and belonging to the sender.

    Anyone can write a reference in a subject; only the customer's own
    addresses may add to their case. A stranger's email becomes a case of
    its own instead.
    """
    sender = normalise_email(parsed.sender)
    for reference in references_in(parsed):
        case = Case.objects.select_related("customer").filter(reference__iexact=reference).first()
        if case is None or case.anonymised:
            continue
        own = CustomerIdentity.objects.filter(
            customer_id=case.customer_id, kind=CustomerIdentity.Kind.EMAIL, value=sender
        ).exists()
        if own or normalise_email(case.customer.email) == sender:
            return case
    return None


def _append(case: Case, parsed: ParsedEmail, *, files: list, now: datetime) -> tuple[CaseEvent, list[str]]:
    """The reply as the customer's message, and a note when its owner was not emailed about it.

    Each message emails the owner, as on the tracking page; past
    CX_REPLIES_PER_HOUR messages to the case in the last hour the message is
    still kept (nothing the customer writes is lost) but the owner hears of
    it with the next one, not once per mail of a burst or a mail loop.
    """
    text = strip_quoted(parsed.text) or parsed.subject
    limit = _text_length(CustomerMessageForm.base_fields["text"])
    recent = case.events.filter(
        kind=CaseEvent.Kind.CUSTOMER_MESSAGE, at__gte=now - timedelta(hours=1)
    ).count()
    quiet = recent >= settings.CX_REPLIES_PER_HOUR
    event = case_customer_message(
        case=case, text=truncated(text, limit), attachments=files, notify_owner=not quiet, now=now
    )
    return event, [
        _("More than %(count)d messages to this case in an hour: the owner was not emailed.")
        % {"count": settings.CX_REPLIES_PER_HOUR}
    ] if quiet else []


# --- New cases ----------------------------------------------------------------
def _create(parsed: ParsedEmail, *, mailbox: str, files: list, now: datetime) -> Case:
    text = parsed.text or parsed.subject
    subject = parsed.subject or _first_words(text)
    name = parsed.sender_name or parsed.sender.split("@")[0]
    return case_create(
        channel=Channel.EMAIL,
        kind=Kind.COMPLAINT,
        name=name[: column_length(Customer, "name")],
        email=parsed.sender,
        subject=subject[: column_length(Case, "subject")],
        message=truncated(text, _text_length(FeedbackForm.base_fields["message"])),
        language=language_guess(parsed),
        attachments=files,
        origin={"mailbox": mailbox, "message_id": parsed.message_id},
        now=now,
    )


def _first_words(text: str, limit: int = 80) -> str:
    line = next((line for line in text.split("\n") if line.strip()), "")
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0] + "…"


def _text_length(field: forms.Field) -> int:
    # The form fields an email is cut to are CharFields with a max_length; base_fields only says Field.
    return cast(int, cast(forms.CharField, field).max_length)


def truncated(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word, saying that it was cut."""
    if len(text) <= limit:
        return text
    note = "\n\n" + _("[Cut here: the email was %(length)d characters long.]") % {"length": len(text)}
    kept = text[: limit - len(note) - 1]
    # Back to the last space, unless that would throw away a long run of text.
    at_space = kept.rsplit(None, 1)[0] if " " in kept[-200:] or "\n" in kept[-200:] else kept
    return f"{at_space.rstrip()}…{note}"


_SPANISH = frozenset(
    {"el", "la", "los", "las", "de", "que", "y", "en", "un", "una", "por", "para", "con", "no", "es"}
    | {"mi", "me", "pedido", "hola", "gracias", "muy", "su", "al", "del", "pero", "todavía"}
)
_ENGLISH = frozenset(
    {"the", "and", "to", "of", "a", "in", "is", "my", "i", "it", "for", "you", "was", "with", "not"}
    | {"have", "order", "hello", "thanks", "please", "but", "still", "hi", "dear"}
)


def language_guess(parsed: ParsedEmail) -> str:
    """ "es" or "en": the Content-Language header, else the commoner small words, else LANGUAGE_CODE."""
    declared = parsed.content_language.split(",")[0].strip().lower()[:2]
    if declared in ("es", "en"):
        return declared
    text = f"{parsed.subject} {parsed.text}".lower()
    words = re.findall(r"\w+", text)
    spanish = sum(word in _SPANISH for word in words) + 2 * len(re.findall(r"[ñ¿¡áéíóú]", text))
    english = sum(word in _ENGLISH for word in words)
    if spanish > english:
        return "es"
    if english > spanish:
        return "en"
    return settings.LANGUAGE_CODE[:2]


# --- Files --------------------------------------------------------------------
def _checked_files(attachments: list[EmailAttachment]) -> tuple[list[tuple[UploadedFile, str]], list[str]]:
    """The files the web form would take (as ``(upload, content type)``), and why each other was left out."""
    accepted: list[tuple[UploadedFile, str]] = []
    dropped: list[str] = []
    for attachment in attachments:
        upload = SimpleUploadedFile(attachment.name, attachment.content, attachment.content_type)
        if len(accepted) >= MAX_FILES:
            dropped.append(
                _("“%(name)s”: only %(n)d files are kept.") % {"name": upload.name, "n": MAX_FILES}
            )
            continue
        try:
            accepted.append((upload, check_upload(upload)))
        except ValidationError as exc:
            dropped.append(" ".join(exc.messages))
    return accepted, dropped


def _note_dropped(case: Case, dropped: list[str], *, about: CaseEvent | None, now: datetime) -> None:
    """Staff see on the timeline which files of the email were left out, and why."""
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.NOTE,
        at=now,
        text=_("Files in the email that were not kept:") + "\n" + "\n".join(f"- {why}" for why in dropped),
        data={"dropped_attachments": dropped, "event": about.pk if about else None},
    )

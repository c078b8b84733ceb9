import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from routing.models import Priority

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


# A lazy translation is as immutable a default as the str it becomes.
def done_by(verbose_name: "StrOrPromise" = _("by"), **options: Any) -> models.ForeignKey:  # noqa: B008
    """The staff member who did something (kept as "nobody" if their account goes)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
        **options,
    )


class Customer(models.Model):
    """One customer identity across channels, matched by email, phone or number."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    customer_number = models.CharField(_("customer number"), max_length=40, blank=True, db_index=True)
    language = models.CharField(_("language"), max_length=8, default="es")
    segment = models.CharField(_("segment"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        indexes = [
            # customer_find's case-insensitive look-up of customers without identities
            # (iexact is UPPER(...) = UPPER(...) on PostgreSQL): an index, not a scan per new customer.
            models.Index(Upper("email"), name="feedback_customer_email_upper"),
            models.Index(Upper("customer_number"), name="feedback_customer_number_upper"),
        ]
        permissions = [
            ("export_customer", _("Can export everything about a customer")),
            ("erase_customer", _("Can erase a customer's personal data")),
            ("merge_customer", _("Can merge two customers into one")),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.phone


class CustomerIdentity(models.Model):
    """One way of recognising a customer: an email, a phone or a customer number.

    A customer may have several of each (two emails, home and mobile); each
    normalised value belongs to one customer only, so a message from it
    always lands on the same person.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        NUMBER = "number", _("Customer number")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # Normalised: emails lower-cased, phones in E.164, numbers upper-cased.
    value = models.CharField(_("value"), max_length=254)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        ordering = ["kind", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_kind_value_unique")]

    def __str__(self) -> str:
        return self.value


class CustomerMerge(models.Model):
    """The audit record of a merge: who folded which customer into which, and what moved.

    The merged-away customer row is deleted; what it was is kept here.
    """

    target = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="merges", verbose_name=_("kept customer")
    )
    source_id = models.PositiveBigIntegerField(_("merged customer id"))
    # The merged customer as it was: name, contacts, identities.
    source = models.JSONField(_("merged customer"), default=dict)
    moved = models.JSONField(_("moved"), default=dict)
    actor = done_by()
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"#{self.source_id} → {self.target_id}"


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    CLAIM = "claim", _("Claim")
    COMMENT = "comment", _("Comment")
    PRAISE = "praise", _("Praise")
    SUGGESTION = "suggestion", _("Suggestion")
    QUESTION = "question", _("Question")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    STORE = "store", _("Store")
    API = "api", _("API")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social media")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ROUTED = "routed", _("Routed")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.NEW, Status.ROUTED, Status.IN_PROGRESS, Status.WAITING)

# Allowed status changes; reopening is resolved/closed -> in progress.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.ROUTED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED},
    Status.ROUTED: {Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED, Status.CLOSED},
    Status.IN_PROGRESS: {Status.WAITING, Status.RESOLVED, Status.CLOSED},
    Status.WAITING: {Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.CLOSED, Status.IN_PROGRESS},
    Status.CLOSED: {Status.IN_PROGRESS},
}


def new_tracking_token() -> str:
    # 192 random bits: the link is the customer's only key to the case.
    return secrets.token_urlsafe(24)


class Case(models.Model):
    """A customer's complaint, claim or comment, from intake to closure."""

    reference = models.CharField(_("reference"), max_length=32, unique=True, null=True)
    tracking_token = models.CharField(max_length=64, unique=True, default=new_tracking_token, editable=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="cases", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=8, default="es")
    subject = models.CharField(_("subject"), max_length=200)
    message = models.TextField(_("message"))
    order_reference = models.CharField(_("order number"), max_length=60, blank=True)
    order_date = models.DateField(_("order date"), null=True, blank=True)
    promised_delivery_date = models.DateField(_("promised delivery date"), null=True, blank=True)
    product = models.CharField(_("product or category"), max_length=200, blank=True)
    store = models.CharField(_("store"), max_length=200, blank=True)
    # Where an integration or import got the case, and its id there: one case per pair.
    source = models.CharField(_("source"), max_length=40, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    department = models.ForeignKey(
        "routing.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("department"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_cases",
        verbose_name=_("owner"),
    )
    tags = models.ManyToManyField("routing.Tag", blank=True, related_name="cases", verbose_name=_("tags"))
    # Copied on the case (e.g. customer service on every complaint).
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="watched_cases", verbose_name=_("watchers")
    )

    created_at = models.DateTimeField(_("submitted"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    routed_at = models.DateTimeField(_("routed"), null=True, blank=True)
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # What the rules engine decided, kept as it was when it ran.
    decision = models.JSONField(_("routing decision"), default=dict, blank=True, editable=False)
    routing_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    # Personal content removed (erasure or retention); statistics remain.
    anonymised = models.BooleanField(_("anonymised"), default=False, editable=False)
    # Escalation steps taken so far (owner -> backup -> executives); claimed
    # with a conditional update so a step is never taken twice.
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0, editable=False)
    # Waiting on the customer stops the SLA clock: set when the wait starts;
    # on leaving it the due dates move later by the working time waited.
    sla_paused_at = models.DateTimeField(_("SLA clock paused since"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        permissions = [("view_all_cases", _("Can see the cases of every department"))]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="case_source_external_id_unique",
            )
        ]
        indexes = [
            # Admin lists and dashboards: a department's cases by status and age.
            models.Index(fields=["department", "status", "-created_at"]),
            models.Index(fields=["department", "resolution_due_at"]),
            models.Index(fields=["owner", "status"]),
            # The sweep looks for cases stuck in `new`.
            models.Index(fields=["created_at"], condition=Q(status="new"), name="case_new_created_idx"),
            # The dashboards' daily tallies read the cases of a day by each of their dates.
            models.Index(fields=["first_response_due_at"], name="case_fr_due_idx"),
            models.Index(fields=["resolution_due_at"], name="case_res_due_idx"),
            models.Index(fields=["first_response_at"], name="case_fr_at_idx"),
            models.Index(fields=["resolved_at"], name="case_resolved_idx"),
            models.Index(fields=["closed_at"], name="case_closed_idx"),
            models.Index(fields=["status", "created_at"], name="case_status_created_idx"),
            models.Index(fields=["updated_at"], name="case_updated_idx"),
            # The dashboards' backlog and overdue counts now, from the index alone on PostgreSQL.
            models.Index(
                fields=["department"],
                include=[
                    "id",
                    "status",
                    "created_at",
                    "first_response_at",
                    "first_response_due_at",
                    "resolution_due_at",
                ],
                condition=Q(status__in=OPEN_STATUSES),
                name="case_open_state_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"#{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("admin:feedback_case_change", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        if not self.is_open:
            return False
        if self.first_response_at is None and self.first_response_due_at and self.first_response_due_at < now:
            return True
        return bool(self.resolution_due_at and self.resolution_due_at < now)


class CaseEvent(models.Model):
    """One line of a case's timeline. Append-only: events are never edited."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        RULE_MATCHED = "rule_matched", _("Rule matched")
        TRIAGED = "triaged", _("Triage model")
        ROUTED = "routed", _("Routed")
        NOTIFIED = "notified", _("Notified")
        STATUS_CHANGED = "status_changed", _("Status changed")
        ASSIGNED = "assigned", _("Assigned")
        NOTE = "note", _("Internal note")
        REPLY = "reply", _("Reply to the customer")
        CUSTOMER_MESSAGE = "customer_message", _("Message from the customer")
        SURVEY_ANSWERED = "survey_answered", _("Survey answered")
        ESCALATED = "escalated", _("Escalated")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = done_by()
    text = models.TextField(_("details"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Public events appear on the customer's tracking page.
    is_public = models.BooleanField(_("visible to the customer"), default=False)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("timeline")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case", "at"]),
            # Reopenings by day, for the dashboards.
            models.Index(fields=["kind", "at"], name="caseevent_kind_at_idx"),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Case events are append-only.")
        super().save(*args, **kwargs)


def attachment_path(instance: "Attachment", filename: str) -> str:
    # A random name: the customer's file name is kept in the row, not on disk.
    return f"cases/{instance.case_id}/{secrets.token_hex(16)}"


class Attachment(models.Model):
    """A photo or PDF the customer sent. Stored outside the static files and
    served only to staff who see the case or to the holder of its link."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size"))
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class SurveyResponse(models.Model):
    """The customer's verdict once the case is resolved: one per case."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="survey")
    csat = models.PositiveSmallIntegerField(
        _("satisfaction (CSAT)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    nps = models.PositiveSmallIntegerField(
        _("likelihood to recommend (NPS)"), validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    ces = models.PositiveSmallIntegerField(
        _("effort (CES)"), validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    comment = models.TextField(_("comment"), blank=True)
    # Indexed: the dashboards count answers by the day they came in.
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.CheckConstraint(condition=Q(csat__gte=1, csat__lte=5), name="survey_csat_1_5"),
            models.CheckConstraint(condition=Q(nps__gte=0, nps__lte=10), name="survey_nps_0_10"),
            models.CheckConstraint(condition=Q(ces__gte=1, ces__lte=7), name="survey_ces_1_7"),
        ]

    def __str__(self) -> str:
        return f"{self.case} CSAT {self.csat} NPS {self.nps} CES {self.ces}"


class ConsentChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone calls")
    WHATSAPP = "whatsapp", _("WhatsApp")


class Consent(models.Model):
    """One consent decision for commercial messages on one channel (GDPR).

    Append-only: a change adds a row, so the history says who agreed to
    what wording, when and where. Messages about the customer's own case
    need no consent.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=ConsentChannel.choices)
    granted = models.BooleanField(_("granted"))
    wording_version = models.CharField(_("wording version"), max_length=20)
    source = models.CharField(_("source"), max_length=40)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["customer", "channel", "-at", "-id"]
        indexes = [models.Index(fields=["customer", "channel", "-at"])]

    def __str__(self) -> str:
        return f"{self.customer} {self.channel} {'+' if self.granted else '-'}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Consent records are append-only.")
        super().save(*args, **kwargs)


class IntegrationKey(AbstractAPIKey):
    """An API key of one integration (an app, a chat tool, social listening).

    Only a hash is stored; the key is shown once, when made. Cases the
    integration submits carry its ``source``, which also bounds what it may
    read back: its own cases and their customers.
    """

    # The library's fields again, labelled in the site's languages (it gives them none).
    prefix = models.CharField(_("prefix"), max_length=8, unique=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    name = models.CharField(
        _("name"),
        max_length=50,
        help_text=_("A free-form name for the API key. Need not be unique. 50 characters max."),
    )
    revoked = models.BooleanField(
        _("revoked"),
        blank=True,
        default=False,
        help_text=_("If the API key is revoked, clients cannot use it anymore. (This cannot be undone.)"),
    )
    source = models.SlugField(
        _("source"),
        max_length=40,
        help_text=_("Name of the integration on its cases, e.g. “mobile-app”. Keys may share one."),
    )
    can_intake = models.BooleanField(_("may submit cases and messages"), default=True)
    can_read = models.BooleanField(_("may read its cases and customers"), default=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    created_by = done_by(_("made by"), editable=False)

    class Meta(AbstractAPIKey.Meta):
        # The base Meta's plain strings make mypy infer str; Django takes lazy text here too.
        verbose_name = _("integration API key")  # type: ignore[assignment]
        verbose_name_plural = _("integration API keys")  # type: ignore[assignment]


class IntakeKey(models.Model):
    """An ``Idempotency-Key`` an API client sent with a submission, and the case (or message) it made.

    A retried POST with the same key and body gets that case back instead of
    a second one; the unique key makes two racing retries end in one case.
    Keys are per client: a staff user or an integration key.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(
        IntegrationKey, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    # SHA-256 of the request body as parsed: the same key with another body is a client bug.
    fingerprint = models.CharField(max_length=64)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    # Set when the key came with a customer message on ``case`` rather than a new case.
    event = models.ForeignKey(CaseEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="intakekey_user_key_unique"),
            models.UniqueConstraint(fields=["api_key", "key"], name="intakekey_api_key_key_unique"),
            models.CheckConstraint(
                condition=Q(user__isnull=True) ^ Q(api_key__isnull=True), name="intakekey_one_client"
            ),
        ]

    def __str__(self) -> str:
        return self.key


class InboundEmail(models.Model):
    """An email read from a mailbox or received by the inbound webhook, once.

    The unique fingerprint of its Message-ID is written in the same
    transaction as the case or message it became, so a poller that runs
    twice, or dies mid-batch and starts again, never makes a second case.
    """

    class Outcome(models.TextChoices):
        CREATED = "created", _("New case")
        APPENDED = "appended", _("Added to a case")
        IGNORED = "ignored", _("Ignored (automatic reply or bounce)")
        REJECTED = "rejected", _("Rejected")

    # SHA-256 of the Message-ID (or of the raw message when it has none).
    fingerprint = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    mailbox = models.CharField(_("mailbox"), max_length=100, blank=True)
    sender = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("case")
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return self.message_id or self.fingerprint[:12]


def import_path(instance: "CaseImport", filename: str) -> str:
    return f"imports/{secrets.token_hex(16)}.csv"


class CaseImport(models.Model):
    """A CSV file of past cases: checked whole first, then written row by row.

    Each row becomes a case with source ``import`` and an external id (the
    file's own, or a hash of the row), so uploading the same file again
    skips what is already there.
    """

    class Mode(models.TextChoices):
        ROUTE = "route", _("Route them like new cases")
        HISTORY = "history", _("Keep them as already-routed history")

    class State(models.TextChoices):
        INVALID = "invalid", _("Has errors: nothing written")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    file = models.FileField(upload_to=import_path)
    name = models.CharField(_("file name"), max_length=200)
    # SHA-256 of the file's bytes.
    fingerprint = models.CharField(max_length=64, db_index=True)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.HISTORY)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    done_rows = models.PositiveIntegerField(_("rows done"), default=0)
    created_cases = models.PositiveIntegerField(_("cases created"), default=0)
    skipped_rows = models.PositiveIntegerField(_("rows already imported"), default=0)
    # Line-by-line report: [{"line": 3, "field": "kind", "message": "..."}].
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = done_by()
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("case import")
        verbose_name_plural = _("case imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

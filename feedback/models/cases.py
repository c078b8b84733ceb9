"""Cases: their kinds, channels and statuses, the case itself, its timeline and the files sent with it."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from routing.models import Priority

from .customers import Customer
from .fields import done_by


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

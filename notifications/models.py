"""What is sent to whom: one row per message, where webhooks go, and each staff member's email language."""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one person about one event; the key makes it unique."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        CUSTOMER_EMAIL = "customer_email", _("Email to the customer")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    case = models.ForeignKey("feedback.Case", on_delete=models.CASCADE, related_name="notifications")
    # Staff are users; a customer email has none (it goes to the case's customer).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    event = models.CharField(_("event"), max_length=40)
    # Which instance of the event: the reply's id, or the due date and step.
    about = models.CharField(_("about"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # Set for webhook notifications (channel WEBHOOK): where it is posted.
    destination = models.ForeignKey(
        "notifications.WebhookDestination",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("webhook"),
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.key


class WebhookDestination(models.Model):
    """A URL (a chat tool, an integration) told about case events, signed with a secret.

    Switched off (``disabled_at``) after repeated permanent failures, so a
    dead endpoint stops costing retries; an administrator switches it back on.
    """

    name = models.CharField(_("name"), max_length=100)
    # http(s) only: URLField also takes ftp://, which the POST must never reach.
    url = models.URLField(_("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])])
    secret = models.CharField(
        _("secret"), max_length=200, help_text=_("Signs each body: X-CX-Signature: sha256=<HMAC-SHA256>.")
    )
    events = models.JSONField(
        _("events"), default=list, blank=True, help_text=_('Event names, e.g. ["routed", "escalated"].')
    )
    active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    disabled_at = models.DateTimeField(_("switched off"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffPreference(models.Model):
    """A staff member's choices: the language their emails are written in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cx_preference"
    )
    language = models.CharField(
        _("language of emails"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the site's language."),
    )

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return str(self.user)

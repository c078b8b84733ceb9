"""Emails read from the mailboxes or the inbound webhook, each recorded once."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cases import Case


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

"""Customers' consents to commercial messages, channel by channel (GDPR)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .customers import Customer


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

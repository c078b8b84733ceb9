"""API clients: the integrations' keys and the idempotency keys sent with submissions."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from .cases import Case, CaseEvent
from .fields import done_by


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

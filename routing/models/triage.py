"""Trained triage models: one row per version, one of them live."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TriageVersion(models.Model):
    """One trained triage model (``routing.triage.TriageModel``), stored for every worker.

    Exactly one version is live; the others are kept so an administrator can
    roll back. Training never replaces a model in place: it adds a version.
    """

    class Status(models.TextChoices):
        LIVE = "live", _("Live")
        CANDIDATE = "candidate", _("Candidate")
        RETIRED = "retired", _("Retired")
        REJECTED = "rejected", _("Rejected: worse than the live model")

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CANDIDATE)
    # The fitted model, as ``TriageModel.to_bytes`` wrote it.
    blob = models.BinaryField(_("model"), editable=False)
    created_at = models.DateTimeField(_("trained at"), auto_now_add=True)
    train_seconds = models.FloatField(_("training time (s)"), default=0)
    corpus_examples = models.PositiveIntegerField(_("starter corpus messages"), default=0)
    case_examples = models.PositiveIntegerField(_("settled cases"), default=0)
    corrections = models.PositiveIntegerField(_("re-routed cases"), default=0)
    # Candidate and live model on the held-out recent cases.
    evaluation = models.JSONField(_("evaluation"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    promoted_at = models.DateTimeField(_("made live"), null=True, blank=True)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made live by"),
    )

    class Meta:
        verbose_name = _("triage model")
        verbose_name_plural = _("triage models")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="live"), name="one_live_triage_model"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.get_status_display()})"

"""CSV imports of past cases and their progress."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .fields import done_by


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

"""Field helpers the feedback models share."""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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

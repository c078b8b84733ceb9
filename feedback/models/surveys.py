"""The satisfaction survey a customer answers once their case is resolved."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cases import Case


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

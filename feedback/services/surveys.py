"""The customer's answer to the satisfaction survey sent when their case is resolved."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError

from ..models import Case, CaseEvent, Status, SurveyResponse


def survey_submit(
    *, case: Case, csat: int, nps: int, ces: int, comment: str = "", now: datetime | None = None
) -> SurveyResponse:
    """Record the customer's survey: once per case, only after resolution."""
    now = now or timezone.now()
    if case.status not in (Status.RESOLVED, Status.CLOSED):
        raise ApplicationError(_("The survey opens once your case is resolved."), code="not_resolved")
    with transaction.atomic():
        response, created = SurveyResponse.objects.get_or_create(
            case=case,
            defaults={"csat": csat, "nps": nps, "ces": ces, "comment": comment.strip(), "submitted_at": now},
        )
        if not created:
            raise ApplicationError(
                _("You have already answered this survey. Thank you!"), code="already_answered"
            )
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.SURVEY_ANSWERED,
            at=now,
            text=f"CSAT {csat} · NPS {nps} · CES {ces}",
            data={"csat": csat, "nps": nps, "ces": ces},
        )
    return response

"""The satisfaction survey: once per case, after resolution, shown to staff."""

import pytest
from django.urls import reverse

from feedback.models import Status, SurveyResponse
from feedback.services import case_change_status

from ..factories import CaseFactory

ANSWERS = {"csat": "4", "nps": "9", "ces": "6", "comment": "Rápidos y amables <b>gracias</b>"}


@pytest.fixture
def resolved_case(organisation, laura):
    case = CaseFactory(department=organisation["logistics"], owner=laura, status=Status.IN_PROGRESS)
    case_change_status(case=case, status=Status.RESOLVED, actor=laura)
    return case


def survey_url(case) -> str:
    return reverse("survey", args=[case.tracking_token])


def test_the_customer_answers_once_and_the_scores_are_stored(client, resolved_case):
    response = client.post(survey_url(resolved_case), ANSWERS)
    assert response.status_code == 302
    survey = SurveyResponse.objects.get(case=resolved_case)
    assert (survey.csat, survey.nps, survey.ces) == (4, 9, 6)


def test_a_second_submission_changes_nothing_and_says_so(client, resolved_case):
    client.post(survey_url(resolved_case), ANSWERS)
    response = client.post(survey_url(resolved_case), {**ANSWERS, "csat": "1"})
    assert response.status_code == 409
    assert SurveyResponse.objects.get(case=resolved_case).csat == 4
    assert response.context["answered"] is True


def test_out_of_range_scores_are_a_400_with_field_errors(client, resolved_case):
    response = client.post(survey_url(resolved_case), {**ANSWERS, "nps": "11", "ces": "0"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"nps", "ces"}
    assert not SurveyResponse.objects.exists()


def test_the_survey_is_closed_until_the_case_is_resolved(client, organisation):
    case = CaseFactory(department=organisation["logistics"], status=Status.IN_PROGRESS)
    response = client.post(survey_url(case), ANSWERS)
    assert response.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_the_answers_show_on_the_case_in_the_admin(admin_client, resolved_case, client):
    client.post(survey_url(resolved_case), ANSWERS)
    page = admin_client.get(reverse("admin:feedback_case_change", args=[resolved_case.pk])).content.decode()
    assert "CSAT 4 / 5" in page
    assert "&lt;b&gt;gracias&lt;/b&gt;" in page  # the comment is escaped

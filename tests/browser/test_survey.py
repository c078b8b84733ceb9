"""The customer answers the satisfaction survey once the case is resolved."""

import pytest
from playwright.sync_api import Page, expect

from feedback import services
from feedback.models import Channel, Status, SurveyResponse

from .pages import LATE_DELIVERY

pytestmark = pytest.mark.browser


def test_the_customer_answers_the_survey_of_a_resolved_case(page: Page, delivery_rule, laura):
    case = services.case_create(**LATE_DELIVERY, kind="complaint", channel=Channel.WEB, language="es")
    case.refresh_from_db()
    assert case.owner == laura
    services.case_change_status(case=case, status=Status.RESOLVED, actor=laura)

    page.goto(f"/survey/{case.tracking_token}/")
    page.locator('input[name="csat"][value="4"]').check()
    # The other two by keyboard: arrows move the choice within a radio group.
    page.locator('input[name="nps"][value="0"]').focus()
    page.keyboard.press("Space")
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")  # into the CES group, on its first option
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect(page.locator('input[name="nps"][value="9"]')).to_be_checked()
    expect(page.locator('input[name="ces"][value="6"]')).to_be_checked()
    page.locator("#id_comment").fill("Rápido y amable.")
    page.get_by_role("button", name="Enviar mis respuestas").click()

    expect(page.locator("#survey-done")).to_be_visible()
    expect(page.locator("#survey-form")).to_have_count(0)
    response = SurveyResponse.objects.get(case=case)
    assert (response.csat, response.nps, response.ces, response.comment) == (4, 9, 6, "Rápido y amable.")

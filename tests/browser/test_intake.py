"""A customer writes to us through the public form, in a real Chromium."""

import pytest
from playwright.sync_api import Page, expect

from feedback.models import Case, Status

from .pages import LATE_DELIVERY, THANKS_URL, fill_feedback_form, submit_feedback

pytestmark = pytest.mark.browser


def test_a_customer_submits_a_complaint_in_spanish(page: Page, delivery_rule, laura):
    reference = submit_feedback(page)

    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("main")).to_contain_text("Le responderemos en un plazo de 8 horas.")
    expect(page.locator("#tracking-link")).to_be_visible()
    case = Case.objects.get(reference=reference)
    assert case.language == "es"
    # Routed in the server thread (Celery eager) before the thanks page was drawn.
    assert case.department.slug == "logistics"
    assert case.owner == laura
    assert case.status == Status.ROUTED


def test_a_customer_submits_a_complaint_in_english(page: Page, delivery_rule):
    reference = submit_feedback(
        page,
        path="/feedback/new/?lang=en",
        subject="Order 12345 is late",
        message="My order has not arrived, it is five days late.",
    )

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main")).to_contain_text("We will answer you within 8 hours.")
    case = Case.objects.get(reference=reference)
    assert case.language == "en"
    assert case.department.slug == "logistics"


def test_an_empty_form_lists_its_errors_and_each_link_focuses_its_field(page: Page, organisation):
    page.goto("/feedback/new/")
    page.locator("#feedback-form [type=submit]").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    links = summary.locator("a")
    targets = [
        href.removeprefix("#") for href in links.evaluate_all("(as) => as.map((a) => a.getAttribute('href'))")
    ]
    # Kind keeps its preselected value; an email or a phone is required.
    assert set(targets) == {"id_subject", "id_message", "id_name", "id_email"}
    for index, target in enumerate(targets):
        links.nth(index).click()
        expect(page.locator(f"#{target}")).to_be_focused()
        assert page.evaluate("document.activeElement.id") == target
    assert not Case.objects.exists()


def test_the_form_can_be_filled_and_sent_with_the_keyboard_alone(page: Page, organisation):
    page.goto("/feedback/new/")
    focused: list[str] = []

    def tab_to(element_id: str) -> None:
        for _ in range(60):
            page.keyboard.press("Tab")
            focused.append(page.evaluate("document.activeElement.id"))
            if focused[-1] == element_id:
                return
        raise AssertionError(f"Tab never reached #{element_id}; focus went through {focused}")

    for field in ("subject", "message", "name", "email"):
        tab_to(f"id_{field}")
        page.keyboard.type(LATE_DELIVERY[field])
    page.keyboard.press("Enter")

    expect(page).to_have_url(THANKS_URL)
    expect(page.locator("#reference")).to_be_visible()
    # The honeypot is out of the tab order: a keyboard user never fills it.
    assert "id_website" not in focused
    case = Case.objects.get()
    assert (case.subject, case.customer.email) == (LATE_DELIVERY["subject"], LATE_DELIVERY["email"])


def test_a_submission_that_fails_keeps_what_the_customer_wrote(page: Page, organisation):
    page.goto("/feedback/new/")
    fill_feedback_form(page, **{**LATE_DELIVERY, "email": "not-an-email"})
    page.locator("#feedback-form [type=submit]").click()

    expect(page.locator("#error-summary a")).to_have_attribute("href", "#id_email")
    expect(page.locator("#id_message")).to_have_value(LATE_DELIVERY["message"])
    assert not Case.objects.exists()

"""What the customer is promised: business hours when the policy has a calendar."""

import pytest
from django.core import mail

from routing.config import Promise, promised_first_response, promised_first_response_hours
from routing.models import BusinessCalendar

VALID = {
    "kind": "complaint",
    "subject": "Pedido",
    "message": "No ha llegado mi pedido",
    "name": "Ana",
    "email": "ana@example.com",
}


@pytest.fixture
def office_hours(organisation, sla):
    sla.calendar = BusinessCalendar.objects.create(name="Madrid office", time_zone="Europe/Madrid")
    sla.save()


def test_without_a_calendar_the_promise_is_in_plain_hours(organisation):
    assert promised_first_response() == Promise(hours=8, business_hours=False)
    assert promised_first_response_hours() == 8


def test_with_a_calendar_the_promise_is_in_business_hours(office_hours):
    assert promised_first_response() == Promise(hours=8, business_hours=True)
    assert promised_first_response_hours() == 8


def test_the_thanks_page_and_the_acknowledgement_say_business_hours(
    client, office_hours, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/feedback/new/?lang=en", VALID)

    thanks = client.get(response["Location"], {"lang": "en"})
    assert "We will answer you within 8 business hours." in thanks.text
    (ack,) = [m for m in mail.outbox if "ana@example.com" in m.to]
    assert "We will answer you within 8 business hours." in ack.body
    assert "We will answer you within 8 business hours." in ack.alternatives[0][0]


def test_without_a_calendar_the_thanks_page_keeps_the_plain_promise(client, organisation):
    response = client.post("/feedback/new/?lang=en", VALID)

    thanks = client.get(response["Location"], {"lang": "en"})
    assert "We will answer you within 8 hours." in thanks.text
    assert "business" not in thanks.text

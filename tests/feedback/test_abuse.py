"""Bots and bursts: the honeypot, the per-IP limit on the public form, the per-case limit on replies."""

from unittest import mock

import pytest
from django.urls import reverse

from feedback.models import Case, CaseEvent, Status
from notifications.models import Notification

from ..factories import CaseFactory

VALID = {
    "kind": "complaint",
    "subject": "Pedido",
    "message": "Mi pedido no ha llegado",
    "name": "Ana",
    "email": "ana@example.com",
}


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()


def test_a_filled_honeypot_is_refused_and_stores_nothing(client, organisation):
    response = client.post("/feedback/new/", {**VALID, "website": "http://spam.example"})
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_the_honeypot_is_hidden_from_people(client, db):
    content = client.get("/feedback/new/").content.decode()
    assert 'aria-hidden="true"' in content
    assert 'name="website"' in content


def test_a_burst_from_one_address_gets_a_friendly_429(client, organisation, settings):
    settings.CX_SUBMISSIONS_PER_HOUR = 2
    statuses = [client.post("/feedback/new/", VALID).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert Case.objects.count() == 2


def test_another_address_is_not_limited(client, organisation, settings):
    settings.CX_SUBMISSIONS_PER_HOUR = 1
    client.post("/feedback/new/", VALID, REMOTE_ADDR="10.0.0.1")
    assert client.post("/feedback/new/", VALID, REMOTE_ADDR="10.0.0.2").status_code == 302


def test_the_limit_fails_open_when_the_cache_is_down(client, organisation):
    with mock.patch("cxportal.ratelimit.cache.add", side_effect=ConnectionError("redis down")):
        response = client.post("/feedback/new/", VALID)
    assert response.status_code == 302
    assert Case.objects.count() == 1


def test_replies_to_one_case_are_limited_whatever_the_address(client, organisation, laura, settings):
    settings.CX_REPLIES_PER_HOUR = 2
    case = CaseFactory(department=organisation["logistics"], owner=laura, status=Status.ROUTED)
    url = reverse("track", args=[case.tracking_token])

    statuses = [
        client.post(url, {"text": f"¿Alguna novedad? {n}"}, REMOTE_ADDR=f"10.0.0.{n}").status_code
        for n in range(4)
    ]

    assert statuses == [302, 302, 429, 429]
    assert case.events.filter(kind=CaseEvent.Kind.CUSTOMER_MESSAGE).count() == 2
    assert Notification.objects.filter(case=case, recipient=laura, event="customer_message").count() == 2

"""API intake with an ``Idempotency-Key``: a retried POST never makes a second case."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone, translation
from rest_framework.test import APIClient

from feedback.models import Case, IntakeKey
from feedback.services import idempotency
from feedback.tasks import forget_intake_keys

from ..factories import UserFactory
from .test_api import CASES, intake


@pytest.fixture
def chatbot(db):
    user = UserFactory(username="chatbot")
    user.user_permissions.add(Permission.objects.get(codename="add_case"))
    return user


def post(user, data: dict, key: str | None):
    api = APIClient()
    api.force_authenticate(user)
    headers = {} if key is None else {"Idempotency-Key": key}
    return api.post(CASES, data, format="json", headers=headers)


def test_a_retry_with_the_same_key_and_body_returns_the_same_case(chatbot, organisation):
    first = post(chatbot, intake(), "7f9c0d1e-retry")
    retries = [post(chatbot, intake(), "7f9c0d1e-retry") for _ in range(3)]

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    for retry in retries:
        assert retry.status_code == 200
        assert retry["Idempotent-Replayed"] == "true"
        assert retry.json()["reference"] == first.json()["reference"]
        assert retry["Location"] == first["Location"]
    assert Case.objects.count() == 1


def test_the_same_body_in_another_key_order_is_the_same_request(chatbot, organisation):
    data = intake()
    reordered = dict(reversed(list(data.items())))

    post(chatbot, data, "k-1")
    again = post(chatbot, reordered, "k-1")

    assert again.status_code == 200
    assert Case.objects.count() == 1


def test_the_same_key_with_another_body_is_a_409_and_makes_nothing(chatbot, organisation):
    post(chatbot, intake(), "k-2")

    response = post(chatbot, intake(message="Otro asunto: la factura está mal"), "k-2")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    with translation.override("es"):
        assert response.json()["detail"] == translation.gettext(
            "This Idempotency-Key was already used for a different request. Use a new key for a new case."
        )
    assert Case.objects.count() == 1


def test_without_a_key_each_post_is_a_new_case(chatbot, organisation):
    post(chatbot, intake(), None)
    post(chatbot, intake(), None)

    assert Case.objects.count() == 2


def test_keys_belong_to_their_client(chatbot, organisation):
    other = UserFactory(username="shop-app")
    other.user_permissions.add(Permission.objects.get(codename="add_case"))

    post(chatbot, intake(), "shared-key")
    response = post(other, intake(), "shared-key")

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Case.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "ñandú"])
def test_a_malformed_key_is_a_400_and_makes_nothing(chatbot, organisation, key):
    # The test client sends headers as given; a real client could not send some of these.
    response = post(chatbot, intake(), key)

    assert response.status_code == 400
    assert response.json()["code"] == "bad_idempotency_key"
    assert not Case.objects.exists()


def test_an_invalid_body_stores_no_key_so_a_corrected_retry_goes_through(chatbot, organisation):
    assert post(chatbot, intake(kind="nonsense"), "k-3").status_code == 400

    assert post(chatbot, intake(), "k-3").status_code == 201
    assert IntakeKey.objects.get().key == "k-3"


@pytest.mark.django_db(transaction=True)
def test_two_retries_racing_each_other_make_one_case(chatbot, organisation, monkeypatch):
    """Both requests pass the look-up before either has stored its key."""
    both_looked = threading.Barrier(2, timeout=10)
    look_up = idempotency._case_for_intake_key
    calls = []

    def look_up_then_wait_for_the_other(**kwargs):
        found = look_up(**kwargs)
        calls.append(found)
        if len(calls) <= 2:  # the first look-ups, not the loser's second one
            both_looked.wait()
        return found

    monkeypatch.setattr(idempotency, "_case_for_intake_key", look_up_then_wait_for_the_other)
    answers = []

    def submit():
        try:
            answers.append(post(chatbot, intake(), "racing-key"))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answer.status_code for answer in answers) == [200, 201]
    assert len({answer.json()["reference"] for answer in answers}) == 1
    assert [answer.has_header("Idempotent-Replayed") for answer in answers].count(True) == 1
    assert calls[:2] == [None, None]  # neither saw the other's key: a real race
    assert Case.objects.count() == 1
    assert IntakeKey.objects.count() == 1


def test_keys_are_forgotten_after_the_configured_days(chatbot, organisation, settings):
    settings.CX_INTAKE_KEY_DAYS = 7
    post(chatbot, intake(), "old-key")
    post(chatbot, intake(subject="Otro"), "new-key")
    IntakeKey.objects.filter(key="old-key").update(created_at=timezone.now() - timedelta(days=8))

    assert forget_intake_keys() == 1
    assert list(IntakeKey.objects.values_list("key", flat=True)) == ["new-key"]
    assert Case.objects.count() == 2  # the cases stay

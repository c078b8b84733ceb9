"""Sign-in lockout (django-axes): the admin login form and API Basic auth."""

import base64

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from cxportal.lockout import lockout_message

from .factories import UserFactory

LOGIN = "/admin/login/?next=/admin/"
CASES = "/api/v1/cases/"


@pytest.fixture
def manager(db):
    return UserFactory(username="bruno", password="right-password")


def sign_in(client, password: str, address: str = "203.0.113.7"):
    return client.post(LOGIN, {"username": "bruno", "password": password}, REMOTE_ADDR=address)


def basic(client: APIClient, password: str):
    credentials = base64.b64encode(f"bruno:{password}".encode()).decode()
    return client.get(CASES, HTTP_AUTHORIZATION=f"Basic {credentials}", REMOTE_ADDR="203.0.113.7")


def test_wrong_passwords_up_to_the_limit_then_the_right_one_signs_in(client, manager, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "guess").status_code == 200  # the form again, with its error

    response = sign_in(client, "right-password")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(manager.pk)


def test_after_the_limit_even_the_right_password_is_refused_with_a_translated_page(client, manager, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "guess")

    response = sign_in(client, "right-password")

    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in client.session
    with translation.override("es"):
        spanish = lockout_message()
    with translation.override("en"):
        assert spanish != lockout_message()  # the Spanish catalogue has it
    assert spanish in response.content.decode()
    assert "Error 429" in response.content.decode()


def test_the_lockout_holds_one_username_from_one_address_only(client, manager, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "guess", address="203.0.113.7")

    # The real manager, from the office, is not locked out by a guesser elsewhere.
    assert sign_in(client, "right-password", address="198.51.100.20").status_code == 302


def test_api_basic_auth_is_locked_out_too_with_a_json_429(manager, settings):
    api = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert basic(api, "guess").status_code in (401, 403)
    assert basic(api, "guess").status_code == 429  # the failure that reaches the limit

    response = basic(api, "right-password")

    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    with translation.override("es"):
        assert response.json()["detail"] == lockout_message()
    assert response["Retry-After"] == str(15 * 60)


def test_api_basic_auth_with_the_right_password_before_the_limit_works(manager, settings):
    api = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        basic(api, "guess")

    # Signed in (no permission to list cases: 403, not 401 or 429).
    assert basic(api, "right-password").status_code == 403

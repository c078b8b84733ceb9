"""Integrations authenticate with an API key: scopes, revocation, expiry, throttling, the admin."""

import base64
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib import messages
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.utils import timezone, translation
from rest_framework.test import APIClient

from feedback import services
from feedback.api import IntakeThrottle
from feedback.models import Case, IntegrationKey

from ..factories import UserFactory
from .test_api import CASES, intake


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def make_key(
    name: str = "Chat widget", source: str = "chat-widget", *, can_intake=True, can_read=True, **fields
) -> tuple[IntegrationKey, str]:
    """A stored key and the secret its integration would send."""
    return IntegrationKey.objects.create_key(
        name=name, source=source, can_intake=can_intake, can_read=can_read, **fields
    )


def key_client(secret: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return api


@pytest.fixture
def chat_key(db) -> tuple[IntegrationKey, str]:
    return make_key()


def refused(response, code: str) -> None:
    assert response.status_code in (401, 403), response.content
    assert response.json()["code"] == code


class TestAuthentication:
    def test_a_valid_key_submits_a_case_of_its_source_without_a_user(self, chat_key, organisation):
        _key, secret = chat_key

        response = key_client(secret).post(CASES, intake(), format="json")

        assert response.status_code == 201, response.content
        case = Case.objects.get()
        assert case.source == "chat-widget"
        created = case.events.get(kind="created")
        assert created.actor is None
        assert created.data == {"integration": "Chat widget", "source": "chat-widget"}

    def test_a_revoked_key_is_refused_with_its_reason(self, organisation):
        _key, secret = make_key(revoked=True)

        with translation.override("es"):
            response = key_client(secret).post(CASES, intake(), format="json", HTTP_ACCEPT_LANGUAGE="es")

        refused(response, "api_key_revoked")
        with translation.override("es"):
            assert response.json()["detail"] == translation.gettext("This API key has been revoked.")
        assert not Case.objects.exists()

    def test_an_expired_key_is_refused(self, organisation):
        _key, secret = make_key(expiry_date=timezone.now() - timedelta(minutes=1))

        refused(key_client(secret).get(CASES), "api_key_expired")

    def test_a_key_that_has_not_expired_yet_works(self, organisation):
        _key, secret = make_key(expiry_date=timezone.now() + timedelta(days=1))

        assert key_client(secret).get(CASES).status_code == 200

    @pytest.mark.parametrize("secret", ["nope", "abcdefgh.0123456789", ""])
    def test_an_unknown_key_is_refused(self, chat_key, secret):
        refused(key_client(secret).get(CASES), "api_key_unknown")

    def test_a_known_prefix_with_a_wrong_secret_is_unknown(self, chat_key):
        key, _secret = chat_key

        refused(key_client(f"{key.prefix}.{'x' * 32}").get(CASES), "api_key_unknown")

    def test_an_intake_only_key_cannot_read(self, organisation):
        _key, secret = make_key(can_read=False)
        api = key_client(secret)

        refused(api.get(CASES), "api_key_scope")
        refused(api.get("/api/v1/customers/"), "api_key_scope")
        assert api.post(CASES, intake(), format="json").status_code == 201

    def test_a_read_only_key_cannot_submit(self, organisation):
        _key, secret = make_key(can_intake=False)
        api = key_client(secret)

        refused(api.post(CASES, intake(), format="json"), "api_key_scope")
        assert api.get(CASES).status_code == 200
        assert not Case.objects.exists()

    def test_staff_basic_auth_still_works_beside_keys(self, organisation, chat_key):
        user = UserFactory(username="app", password="s3cret-pass")
        user.user_permissions.add(Permission.objects.get(codename="add_case"))
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"app:s3cret-pass").decode())

        response = api.post(CASES, intake(), format="json")

        assert response.status_code == 201
        assert Case.objects.get().source == "api"


class TestLastUsed:
    def test_the_first_use_is_recorded(self, chat_key):
        key, secret = chat_key

        key_client(secret).get(CASES)

        key.refresh_from_db()
        assert key.last_used_at is not None

    def test_it_is_written_at_most_once_a_minute(self, chat_key):
        key, _secret = chat_key
        now = timezone.now()

        assert services.integration_key_touch(api_key=key, now=now) is True
        assert services.integration_key_touch(api_key=key, now=now + timedelta(seconds=59)) is False
        assert services.integration_key_touch(api_key=key, now=now + timedelta(seconds=61)) is True
        key.refresh_from_db()
        assert key.last_used_at == now + timedelta(seconds=61)

    def test_a_busy_key_costs_no_write_per_request(self, chat_key, django_assert_num_queries):
        _key, secret = chat_key
        api = key_client(secret)
        api.get(CASES)

        # The key's look-up, the conditional update that changes nothing, count: no save of the key.
        with django_assert_num_queries(3):
            api.get(CASES)


class TestThrottling:
    def test_each_key_has_its_own_intake_rate(self, organisation):
        _first, first_secret = make_key("App", "mobile-app")
        _second, second_secret = make_key("Chat", "chat-widget")

        with mock.patch.object(IntakeThrottle, "THROTTLE_RATES", {"intake": "2/min"}):
            statuses = [
                key_client(first_secret).post(CASES, intake(), format="json").status_code for _ in range(3)
            ]
            other = key_client(second_secret).post(CASES, intake(), format="json").status_code
            reads = [key_client(first_secret).get(CASES).status_code for _ in range(3)]

        assert statuses == [201, 201, 429]
        assert other == 201
        assert reads == [200, 200, 200]
        assert Case.objects.count() == 3

    def test_a_cache_outage_does_not_lose_a_keys_case(self, chat_key, organisation):
        _key, secret = chat_key
        broken = mock.Mock(**{"get.side_effect": ConnectionError("redis is down")})

        with mock.patch.object(IntakeThrottle, "cache", broken):
            response = key_client(secret).post(CASES, intake(), format="json")

        assert response.status_code == 201


KEYS = "/admin/feedback/integrationkey/"


class TestAdmin:
    def test_a_new_key_is_shown_once_and_works(self, admin_client, organisation, admin_user):
        response = admin_client.post(
            f"{KEYS}add/",
            {"name": "Mobile app", "source": "mobile-app", "can_intake": "on", "can_read": "on"},
            follow=True,
        )

        key = IntegrationKey.objects.get()
        warnings = [str(m) for m in response.context["messages"] if m.level == messages.WARNING]
        assert len(warnings) == 1
        secret = re.search(rf"{key.prefix}\.\w+", warnings[0]).group()
        assert (key.source, key.can_intake, key.can_read, key.created_by) == (
            "mobile-app",
            True,
            True,
            admin_user,
        )
        assert key_client(secret).post(CASES, intake(), format="json").status_code == 201
        # Not on the key's page afterwards: only its hash is stored.
        assert secret not in admin_client.get(f"{KEYS}{key.pk}/change/").content.decode()

    def test_the_list_shows_name_prefix_source_and_scopes(self, admin_client, chat_key):
        key, _secret = chat_key

        response = admin_client.get(KEYS)

        html = response.content.decode()
        assert response.status_code == 200
        for text in ("Chat widget", key.prefix, "chat-widget"):
            assert text in html

    def test_revoking_refuses_the_key_from_then_on(self, admin_client, chat_key):
        key, secret = chat_key

        admin_client.post(KEYS, {"action": "revoke", "_selected_action": [key.pk]})

        key.refresh_from_db()
        assert key.revoked
        refused(key_client(secret).get(CASES), "api_key_revoked")

    def test_a_source_the_portal_uses_is_refused(self, admin_client, db):
        response = admin_client.post(f"{KEYS}add/", {"name": "Sneaky", "source": "api", "can_read": "on"})

        assert response.status_code == 200
        assert "source" in response.context["adminform"].form.errors
        assert not IntegrationKey.objects.exists()

    def test_staff_without_the_permissions_cannot_see_keys(self, client, laura, staff_permissions, chat_key):
        staff_permissions(laura)
        client.force_login(laura)

        assert client.get(KEYS).status_code == 403
        assert client.get(f"{KEYS}add/").status_code == 403

    def test_staff_with_the_permissions_manage_keys(self, client, carmen, chat_key):
        carmen.user_permissions.add(
            *Permission.objects.filter(
                content_type__model="integrationkey", codename__endswith="integrationkey"
            )
        )
        client.force_login(carmen)

        assert client.get(KEYS).status_code == 200
        assert client.get(f"{KEYS}add/").status_code == 200


def test_the_key_admin_speaks_spanish_including_the_librarys_texts(admin_client, chat_key):
    # The field help and labels come from djangorestframework-api-key, which ships no Spanish.
    english = [
        "A free-form name for the API key",
        "Once API key expires",
        "Expires",
        "If the API key is revoked",
        ">Name:<",
        ">Prefix<",
        ">Created<",
        ">Revoked<",
        ">Prefix:<",
        ">Created:<",
    ]
    key, _secret = chat_key
    with translation.override("es"):
        add = admin_client.get(f"{KEYS}add/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
        change = admin_client.get(f"{KEYS}{key.pk}/change/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
        listed = admin_client.get(KEYS, HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert [text for text in english if text in add] == []
    assert [text for text in english if text in change] == []
    assert [text for text in english if text in listed] == []
    assert "Caduca" in add
    assert "Nombre libre de la clave" in add

"""``/health/``: ready only when the database, Redis and a worker all answer."""

import pytest
from django.urls import reverse

from cxportal.runner import free_port
from tests.integration.fixtures import celery_worker, real_celery, redis_server  # noqa: F401
from tests.integration.parts import point_celery_at


@pytest.fixture
def redis_down(settings):
    """Redis (the broker too) at a loopback port where nothing listens."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = url
    point_celery_at(url, eager=True)
    yield url
    point_celery_at(settings.CELERY_BROKER_URL, eager=settings.CELERY_TASK_ALWAYS_EAGER)


@pytest.mark.integration
@pytest.mark.usefixtures("real_celery")
def test_it_is_ready_when_the_database_redis_and_a_worker_answer(client, transactional_db, settings):
    settings.CX_HEALTH_TOKEN = "monitoring-secret"

    response = client.get(reverse("health"), headers={"X-Health-Token": "monitoring-secret"})

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "redis": True,
        "workers": True,
    }


def test_it_answers_503_naming_redis_when_redis_is_unreachable(admin_client, redis_down):
    response = admin_client.get(reverse("health"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"] == {"ok": False, "detail": "ConnectionError"}
    # No broker, no worker can be reached either.
    assert body["checks"]["workers"]["ok"] is False


def test_liveness_answers_200_without_checking_redis(client, redis_down):
    response = client.get(reverse("health"), {"check": "live"})

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_others_get_the_status_alone(client, db, redis_down, settings, token):
    settings.CX_HEALTH_TOKEN = "monitoring-secret"
    headers = {} if token is None else {"X-Health-Token": token}

    response = client.get(reverse("health"), headers=headers)

    # The status code is what a load balancer reads; which part failed is not theirs to know.
    assert response.status_code == 503
    assert response.json() == {"status": "degraded"}


def test_with_no_token_configured_an_empty_one_opens_nothing(client, db, redis_down, settings):
    settings.CX_HEALTH_TOKEN = ""

    response = client.get(reverse("health"), headers={"X-Health-Token": ""})

    assert response.json() == {"status": "degraded"}

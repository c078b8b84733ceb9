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
def test_it_is_ready_when_the_database_redis_and_a_worker_answer(client, transactional_db):
    response = client.get(reverse("health"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "redis": True,
        "workers": True,
    }


def test_it_answers_503_naming_redis_when_redis_is_unreachable(client, db, redis_down):
    response = client.get(reverse("health"))

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

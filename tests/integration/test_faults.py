"""Faults with the real parts: Redis stopped mid-intake, a worker SIGKILLed mid-routing.

Each test starts its own redis-server and worker processes (nothing shared
with the session's worker, which must not see its broker vanish), and ends
by checking the promise of the design: every case routed exactly once, one
email to its owner.
"""

import io
import os
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
import redis
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from feedback.models import Case, Status
from notifications.models import Notification
from notifications.tasks import sweep_notifications
from routing.tasks import sweep_unrouted

from .parts import (
    CeleryWorker,
    RedisServer,
    database_url,
    email_text,
    late_delivery_complaint,
    point_celery_at,
    read_emails,
    stop_process,
    wait_for,
    wait_until_drained,
)

pytestmark = pytest.mark.integration

OWNER = "laura@cx.example"
TIMEOUT = 45


@pytest.fixture
def demo(transactional_db, settings):
    call_command("seed_demo", force=True, stdout=io.StringIO())
    settings.CX_SUBMISSIONS_PER_HOUR = 1000


@pytest.fixture
def parts(tmp_path, settings):
    """Start and stop this test's own Redis and workers; always leave nothing running."""
    started: list = []

    class Parts:
        redis: RedisServer

        def start_redis(self, port: int | None = None) -> RedisServer:
            directory = tmp_path / f"redis-{len(started)}"
            directory.mkdir()
            self.redis = RedisServer.start(directory, port=port)
            started.append(self.redis)
            point_celery_at(self.redis.url)
            settings.REDIS_URL = self.redis.url
            return self.redis

        def start_worker(self, name: str, queues: str, **env: str) -> CeleryWorker:
            directory = tmp_path / f"{name}-{len(started)}"
            directory.mkdir()
            worker = CeleryWorker.start(
                directory=directory,
                broker_url=self.redis.url,
                database_url=database_url(connection.settings_dict),
                queues=queues,
                name=name,
                extra_env=env,
            )
            started.append(worker)
            return worker

        def emails(self) -> list:
            mail_dirs = sorted(tmp_path.glob("*/mail"))
            return [m for d in mail_dirs for m in read_emails(d) if m["To"] == OWNER]

    yield Parts()
    for part in reversed(started):
        if isinstance(part, CeleryWorker):
            print(f"--- {part.log_path} ---\n{part.log()[-6000:]}")
        stop_process(part.process, grace=5)
    point_celery_at(settings.CELERY_BROKER_URL, eager=settings.CELERY_TASK_ALWAYS_EAGER)


def submit(client, n: int) -> str:
    response = client.post(reverse("feedback:new"), late_delivery_complaint(n))
    assert response.status_code == 302, response.content.decode()[:2000]
    return response.url.rstrip("/").rsplit("/", 1)[-1]


def routed_once_with_one_email(parts, references: list[str]) -> None:
    """The end state every fault must lead to, waited for with a bound, and kept once the queues drain."""

    def all_routed() -> bool:
        return Case.objects.filter(reference__in=references, routed_at__isnull=False).count() == len(
            references
        )

    wait_for(all_routed, timeout=TIMEOUT, what=f"all {len(references)} cases to be routed", interval=0.2)

    def emails_per_case() -> dict[str, int]:
        texts = [email_text(m) for m in parts.emails()]
        return {ref: sum(ref in t for t in texts) for ref in references}

    try:
        wait_for(
            lambda: all(emails_per_case().values()),
            timeout=TIMEOUT,
            what="an email to laura about every case",
            interval=0.2,
        )
    except AssertionError:
        statuses = Notification.objects.filter(case__reference__in=references, event="routed")
        print("routed notifications:", sorted(statuses.values_list("case__reference", "status")))
        raise

    def routed_notifications_per_case() -> dict[str, int]:
        routed = Notification.objects.filter(case__reference__in=references, event="routed")
        return dict(Counter(routed.values_list("case__reference", flat=True)))

    once = dict.fromkeys(references, 1)
    assert emails_per_case() == once
    cases = Case.objects.filter(reference__in=references)
    assert {c.department.slug for c in cases} == {"logistics"}
    assert {c.routing_attempts for c in cases} == {1}
    for case in cases:
        assert Notification.objects.filter(case=case, event="routed").count() == 1
    # A duplicate could only come from a task still queued or in a worker's hands.
    wait_until_drained(parts.redis.url, timeout=TIMEOUT)
    assert emails_per_case() == once
    assert routed_notifications_per_case() == once
    assert set(cases.values_list("routing_attempts", flat=True)) == {1}


def test_cases_submitted_while_redis_is_down_are_all_routed_once_after_it_returns(client, demo, parts):
    redis_server = parts.start_redis()
    parts.start_worker("faults-all", "routing,notifications,periodic")
    before = [submit(client, n) for n in range(2)]

    os.kill(redis_server.process.pid, signal.SIGKILL)
    redis_server.process.wait()
    during = []
    for n in range(2, 7):
        started = time.monotonic()
        during.append(submit(client, n))  # still a redirect to the thanks page
        assert time.monotonic() - started < 10, "queueing must fail fast when the broker is down"
    assert Case.objects.filter(reference__in=during, status=Status.NEW).count() == len(during)

    parts.start_redis(port=redis_server.port)
    # Redis kept nothing on disk: tasks queued before the crash are gone too. Every
    # case not routed yet is older than CX_REQUEUE_AFTER when the next sweep runs.
    Case.objects.filter(routed_at__isnull=True).update(created_at=timezone.now() - timedelta(minutes=5))
    sweep_unrouted.delay()
    # A case routed just as Redis died has its owner's email recorded but not
    # queued; beat's notification sweep sends it. Run that sweep as it would
    # run a minute later (a claimed notification is never sent twice).
    Notification.objects.filter(status=Notification.Status.PENDING).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    sweep_notifications.delay()

    routed_once_with_one_email(parts, before + during)


def test_a_worker_killed_mid_routing_loses_no_case_and_doubles_no_email(client, demo, parts):
    redis_server = parts.start_redis()
    # Emails on their own worker: the kill interrupts routing, nothing else.
    parts.start_worker("faults-mail", "notifications,periodic", CX_REQUEUE_AFTER_SECONDS="0")
    references = [submit(client, n) for n in range(30)]
    fast_redelivery = {"CX_VISIBILITY_TIMEOUT": "3"}
    broker = redis.Redis.from_url(redis_server.url)

    def busy() -> bool:
        # Routed a few, and holding one it has not acknowledged: killed now, it
        # leaves work to redo.
        routed = Case.objects.filter(reference__in=references, routed_at__isnull=False).count()
        return routed >= 3 and broker.hlen("unacked") >= 1

    # The kill can still land just after the worker acknowledged its last
    # message (nothing in flight: nothing to prove); then a new router is
    # started and killed again, while cases remain to route.
    for attempt in range(5):
        router = parts.start_worker(f"faults-router-{attempt}", "routing", **fast_redelivery)
        wait_for(busy, timeout=TIMEOUT, what="the router to be busy", interval=0.01)
        os.killpg(router.process.pid, signal.SIGKILL)
        router.process.wait()
        in_flight = broker.hlen("unacked")
        if in_flight:
            break
    assert Case.objects.filter(reference__in=references, routed_at__isnull=True).exists()
    # The killed worker held a message it had not acknowledged: it must be redone.
    assert in_flight >= 1

    parts.start_worker("faults-router2", "routing", **fast_redelivery)
    # The killed worker's unacknowledged messages come back after the
    # visibility timeout and the new worker takes them.
    wait_for(
        lambda: broker.hlen("unacked") == 0 and broker.llen("routing") == 0,
        timeout=TIMEOUT,
        what="the lost task to be redelivered",
        interval=0.2,
    )
    # A kill between Redis handing a message over and the worker recording
    # it as unacknowledged loses that message (a limit of the Redis
    # transport); the sweep of cases still `new` (beat, every minute) is the
    # net under it. Run it as it would run a minute later.
    Case.objects.filter(reference__in=references, routed_at__isnull=True).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    sweep_unrouted.delay()
    wait_for(
        lambda: not Case.objects.filter(reference__in=references, routed_at__isnull=True).exists(),
        timeout=TIMEOUT,
        what="every case to be routed",
        interval=0.2,
    )
    # A worker killed between committing a case and publishing its email task
    # leaves the email pending: the notification sweep (beat, every minute) sends it.
    sweep_notifications.delay()

    routed_once_with_one_email(parts, references)

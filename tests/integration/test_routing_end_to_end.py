"""A complaint travels through the real parts: web form -> Redis -> Celery worker -> email file.

The worker is another process reading the same database file, so these
tests commit (``transactional_db``) and poll, with a bound, for what the
worker does.
"""

import io
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cxportal.runner import free_port
from feedback.models import Case, Status
from notifications.models import Notification
from notifications.tasks import send_notification
from routing.tasks import route_case, sweep_unrouted

from .fixtures import REPORT
from .parts import email_text, point_celery_at, read_emails, wait_for, wait_until_drained

pytestmark = pytest.mark.integration

COMPLAINT = "Mi pedido 12345 no ha llegado, lleva 5 días de retraso"
TIMEOUT = 30


@pytest.fixture
def demo_organisation(transactional_db):
    call_command("seed_demo", force=True, stdout=io.StringIO())
    return get_user_model().objects.get(username="laura")


def submit_complaint(client) -> tuple[Case, object]:
    response = client.post(
        reverse("feedback:new"),
        {
            "kind": "complaint",
            "subject": "Pedido 12345",
            "message": COMPLAINT,
            "order_reference": "12345",
            "name": "Ana García",
            "email": "ana@example.com",
        },
    )
    assert response.status_code == 302, response.content.decode()
    reference = response.url.rstrip("/").rsplit("/", 1)[-1]
    return Case.objects.get(reference=reference), response


def emails_about(worker, reference: str, to: str = "laura@cx.example") -> list:
    """Emails to ``to`` (the owner by default) that mention the case."""
    return [m for m in read_emails(worker.mail_dir) if m["To"] == to and reference in email_text(m)]


def result_of(worker, sent) -> str:
    """The return value the worker logged for the task ``sent`` (no result backend)."""
    return wait_for(lambda: worker.task_result(sent.id), timeout=TIMEOUT, what=f"task {sent.id}")


def routed(case: Case) -> Case | None:
    case.refresh_from_db()
    return case if case.routed_at else None


def test_it_routes_a_late_delivery_to_laura_and_emails_her(client, demo_organisation, real_celery):
    laura = demo_organisation
    started = time.monotonic()
    case, _ = submit_complaint(client)

    mails = wait_for(
        lambda: emails_about(real_celery, case.reference), timeout=TIMEOUT, what="the email to laura"
    )
    elapsed = time.monotonic() - started
    line = f"submission -> email file (real Redis + worker): {elapsed * 1000:.0f} ms"
    print(line)
    REPORT.append(line)

    wait_for(lambda: routed(case), timeout=TIMEOUT, what="the case to be routed")
    assert case.status == Status.ROUTED
    assert list(case.tags.values_list("slug", flat=True)) == ["delivery-delay"]
    assert case.department.slug == "logistics"
    assert case.owner == laura
    assert case.first_response_due_at
    assert case.resolution_due_at
    [mail] = mails
    assert mail["To"] == laura.email
    assert case.reference in mail["Subject"]
    assert case.reference in email_text(mail)
    # The customer is acknowledged once, with their private link.
    [ack] = wait_for(
        lambda: emails_about(real_celery, case.reference, to="ana@example.com"),
        timeout=TIMEOUT,
        what="the acknowledgement",
    )
    assert case.tracking_token in email_text(ack)
    # Nothing left in the queues or in the worker's hands can add a second one.
    wait_until_drained(real_celery.broker_url, timeout=TIMEOUT)
    assert len(emails_about(real_celery, case.reference)) == 1
    assert len(emails_about(real_celery, case.reference, to="ana@example.com")) == 1


def test_a_duplicated_task_notifies_nobody_twice(client, demo_organisation, real_celery):
    case, _ = submit_complaint(client)
    wait_for(lambda: emails_about(real_celery, case.reference), timeout=TIMEOUT, what="the first email")
    notification = Notification.objects.get(case=case, event="routed")

    # The same messages again, through the real broker: a retry, a redelivery.
    again = route_case.delay(case.pk)
    resend = send_notification.delay(notification.pk)

    assert result_of(real_celery, again) == "False"
    assert result_of(real_celery, resend) == "False"
    assert Notification.objects.filter(case=case, event="routed").count() == 1
    assert len(emails_about(real_celery, case.reference)) == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1
    wait_until_drained(real_celery.broker_url, timeout=TIMEOUT)
    assert Notification.objects.filter(case=case, event="routed").count() == 1
    assert len(emails_about(real_celery, case.reference)) == 1


def test_a_case_stored_while_the_broker_is_down_is_routed_by_the_sweep(
    client, demo_organisation, real_celery, redis_server
):
    laura = demo_organisation
    point_celery_at(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there

    case, response = submit_complaint(client)

    # The customer is thanked all the same; the case waits, stored, as `new`.
    assert client.get(response.url).status_code == 200
    case.refresh_from_db()
    assert case.status == Status.NEW
    assert case.routed_at is None

    point_celery_at(redis_server.url)  # the broker is back
    # Older than CX_REQUEUE_AFTER, as it would be when the next sweep runs.
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    sweep = sweep_unrouted.delay()

    assert result_of(real_celery, sweep) == "1"
    [mail] = wait_for(
        lambda: emails_about(real_celery, case.reference), timeout=TIMEOUT, what="the email to laura"
    )
    assert mail["To"] == laura.email
    wait_for(lambda: routed(case), timeout=TIMEOUT, what="the case to be routed")
    assert case.owner == laura
    assert case.department.slug == "logistics"
    wait_until_drained(real_celery.broker_url, timeout=TIMEOUT)
    assert len(emails_about(real_celery, case.reference)) == 1
    assert routed(case).routing_attempts == 1

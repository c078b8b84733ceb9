"""Signed webhooks, posted to a real HTTP server on 127.0.0.1."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from notifications import tasks
from notifications.delivery import notifications_send
from notifications.models import Notification, WebhookDestination
from routing.services import case_route

from ..factories import CaseFactory

SECRET = "s3cret-shared-with-the-chat-tool"


class Receiver:
    """A real HTTP endpoint: answers with the next queued status (200 when none)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": self.headers, "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def payloads(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def destination(db, receiver):
    return WebhookDestination.objects.create(
        name="Team chat", url=receiver.url, secret=SECRET, events=["routed", "escalated"]
    )


@pytest.fixture
def route(organisation, django_capture_on_commit_callbacks):
    """Route a new case; the queued emails and webhooks are sent (eagerly) on commit."""

    def run():
        case = CaseFactory(subject="Pedido 12345 no llega")
        with django_capture_on_commit_callbacks(execute=True):
            case_route(case_id=case.pk)
        case.refresh_from_db()
        return case

    return run


def test_it_posts_a_signed_summary_when_a_case_is_routed(route, receiver, destination):
    case = route()

    [request] = receiver.requests
    body, headers = request["body"], request["headers"]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-CX-Signature"], expected)
    assert headers["X-CX-Event"] == "routed"
    payload = json.loads(body)
    assert payload["event"] == "routed"
    assert payload["case"] == case.reference
    assert payload["department"] == "customer-service"
    assert payload["priority"] == case.priority
    assert payload["subject"] == "Pedido 12345 no llega"
    assert payload["url"].endswith(f"/admin/feedback/case/{case.pk}/change/")
    assert case.reference in payload["text"]
    assert "\n" not in payload["text"]
    notification = Notification.objects.get(channel=Notification.Channel.WEBHOOK)
    assert notification.status == Notification.Status.SENT
    assert notification.destination == destination


def test_a_wrong_secret_does_not_verify(route, receiver, destination):
    route()

    [request] = receiver.requests
    forged = "sha256=" + hmac.new(b"another secret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-CX-Signature"] != forged


def test_destinations_hear_only_the_events_they_asked_for(route, receiver, destination):
    destination.events = ["escalated"]
    destination.save()

    route()

    assert receiver.requests == []
    assert not Notification.objects.filter(channel=Notification.Channel.WEBHOOK).exists()


def test_a_server_error_is_retried_until_it_is_taken(route, receiver, destination):
    receiver.statuses = [500, 429]

    route()  # first attempt: 500, given back for a retry
    notification = Notification.objects.get(channel=Notification.Channel.WEBHOOK)
    assert notification.status == Notification.Status.PENDING
    assert "HTTP 500" in notification.last_error
    # The retries Celery schedules with back-off (run here without waiting).
    # Celery's retry (eager here: no waiting) gets a 429, retries again, gets a 200.
    tasks.send_webhook.apply((notification.pk,), retries=1, throw=False)

    assert len(receiver.requests) == 3
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 3
    destination.refresh_from_db()
    assert destination.consecutive_failures == 0
    assert destination.disabled_at is None


def test_the_task_retries_with_exponential_back_off():
    assert tasks.send_webhook.autoretry_for == (Exception,)
    assert tasks.send_webhook.retry_backoff
    assert tasks.send_webhook.max_retries >= 5


def test_a_4xx_fails_at_once_and_repeated_failures_switch_the_destination_off(
    route, receiver, destination, settings
):
    settings.CX_WEBHOOK_DISABLE_AFTER = 2
    receiver.statuses = [404, 410]

    route()
    route()

    assert len(receiver.requests) == 2  # no retry of a permanent failure
    failed = Notification.objects.filter(channel=Notification.Channel.WEBHOOK)
    assert {n.status for n in failed} == {Notification.Status.FAILED}
    destination.refresh_from_db()
    assert destination.consecutive_failures == 2
    assert destination.disabled_at is not None
    # Switched off: the next case is not posted at all.
    route()
    assert len(receiver.requests) == 2


def test_exhausted_retries_count_as_a_permanent_failure(route, receiver, destination):
    receiver.statuses = [500, 500]
    route()
    notification = Notification.objects.get(channel=Notification.Channel.WEBHOOK)

    last = tasks.send_webhook.max_retries
    assert tasks.send_webhook.apply((notification.pk,), retries=last).get() is False

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert "HTTP 500" in notification.last_error
    destination.refresh_from_db()
    assert destination.consecutive_failures == 1
    assert destination.disabled_at is None


def test_running_the_task_twice_posts_once(route, receiver, destination):
    route()
    notification = Notification.objects.get(channel=Notification.Channel.WEBHOOK)

    assert tasks.send_webhook.delay(notification.pk).get() is False

    assert len(receiver.requests) == 1


def test_an_unreachable_destination_is_retried_then_failed(route, destination):
    from cxportal.runner import free_port

    destination.url = f"http://127.0.0.1:{free_port()}/nobody-listens"
    destination.save()

    route()
    notification = Notification.objects.get(channel=Notification.Channel.WEBHOOK)
    assert notification.status == Notification.Status.PENDING
    assert "refused" in notification.last_error.lower()
    tasks.send_webhook.apply((notification.pk,), retries=tasks.send_webhook.max_retries)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 2


def test_the_sweep_sends_pending_webhooks_with_the_webhook_task(
    destination, organisation, receiver, settings
):
    settings.CX_REQUEUE_AFTER = timezone.timedelta(0)
    case = CaseFactory()
    Notification.objects.create(
        key=f"case:{case.pk}:routed:webhook:{destination.pk}",
        case=case,
        event="routed",
        channel=Notification.Channel.WEBHOOK,
        destination=destination,
    )

    assert tasks.sweep_notifications.delay().get() == 1

    assert len(receiver.requests) == 1


def test_each_escalation_step_posts_one_webhook_however_many_are_told(
    organisation, laura, elena, receiver, destination, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from feedback.models import Status
    from routing.escalation import escalate_overdue

    from ..factories import UserFactory

    UserFactory(username="eva").groups.add(*elena.groups.all())  # a second executive
    past = timezone.now() - timedelta(days=10)
    CaseFactory(
        department=organisation["logistics"],
        owner=laura,
        status=Status.ROUTED,
        routed_at=past,
        first_response_due_at=past + timedelta(hours=1),
        resolution_due_at=past + timedelta(hours=2),
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_overdue() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_overdue() == 0

    assert [p["event"] for p in receiver.payloads()] == ["escalated", "escalated"]
    assert Notification.objects.filter(event="escalated", channel=Notification.Channel.EMAIL).count() == 3


def test_only_http_and_https_urls_are_accepted(db):
    from django.core.exceptions import ValidationError

    for url in ("ftp://example.com/hook", "file:///etc/passwd"):
        with pytest.raises(ValidationError, match="URL"):
            WebhookDestination(name="x", url=url, secret=SECRET).full_clean()
    WebhookDestination(name="x", url="https://chat.example.com/hook", secret=SECRET).full_clean()


def test_a_stored_non_http_url_fails_for_good_without_being_opened(route, destination, tmp_path):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("not for webhooks")
    # Written around the admin's validation (an old row, a bulk update).
    WebhookDestination.objects.filter(pk=destination.pk).update(url=secret_file.as_uri())

    with mock.patch("urllib.request.urlopen") as urlopen:
        route()

    urlopen.assert_not_called()
    notification = Notification.objects.get(channel=Notification.Channel.WEBHOOK)
    assert notification.status == Notification.Status.FAILED
    assert "Not an http(s) URL" in notification.last_error


def test_our_own_failure_on_the_last_attempt_fails_it_without_blaming_the_destination(
    route, receiver, destination, settings
):
    settings.CX_WEBHOOK_DISABLE_AFTER = 1
    receiver.statuses = [500]
    route()  # the first attempt meets a 500: left pending for the retry
    notification = Notification.objects.get(channel=Notification.Channel.WEBHOOK)

    with mock.patch("notifications.notifiers.WebhookNotifier.payload", side_effect=KeyError("summary")):
        last = tasks.send_webhook.max_retries
        assert tasks.send_webhook.apply((notification.pk,), retries=last).get() is False

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert "summary" in notification.last_error
    destination.refresh_from_db()
    assert (destination.consecutive_failures, destination.disabled_at) == (0, None)


def test_the_email_tasks_never_send_a_webhook(route, receiver, destination):
    receiver.statuses = [500]
    route()
    notification = Notification.objects.get(channel=Notification.Channel.WEBHOOK)

    assert tasks.send_notifications.apply(([notification.pk],)).get() == 0
    assert tasks.send_notification.apply((notification.pk,)).get() is False

    assert len(receiver.requests) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Notification.Status.PENDING, 1)


def test_a_channel_s_bookkeeping_failing_leaves_every_sent_message_recorded_sent(
    organisation, receiver, destination
):
    case_route(case_id=CaseFactory(subject="Pedido 12345 no llega").pk)  # on_commit never fires: all pending
    pending = list(Notification.objects.values_list("pk", flat=True))

    with (
        mock.patch(
            "notifications.notifiers.WebhookNotifier.delivered", side_effect=RuntimeError("bookkeeping")
        ),
        pytest.raises(RuntimeError, match="bookkeeping"),
    ):
        notifications_send(notification_ids=pending)

    emails = Notification.objects.exclude(channel=Notification.Channel.WEBHOOK)
    assert emails.exists()
    assert set(Notification.objects.values_list("status", flat=True)) == {Notification.Status.SENT}
    assert len(mail.outbox) == emails.count()
    assert len(receiver.requests) == 1

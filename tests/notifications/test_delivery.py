"""Sending recorded notifications: claimed once, sent once, failures given back or failed for good."""

import threading
from datetime import datetime
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import get_connection
from django.db import OperationalError, connection
from django.utils import timezone

from feedback.models import CaseEvent
from notifications.delivery import notification_send, notifications_send
from notifications.models import Notification
from notifications.notifiers import EmailNotifier
from notifications.services import notification_create, staff_notification
from routing.services import case_route

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.get_fixed_timezone(0))


class TestNotificationSend:
    @pytest.fixture
    def notification(self, late_case):
        case_route(case_id=late_case.pk, now=NOW)
        return Notification.objects.get()

    def test_it_sends_a_pending_notification_once(self, notification):
        assert notification_send(notification_id=notification.pk, now=NOW) is True
        assert notification_send(notification_id=notification.pk, now=NOW) is False

        assert len(mail.outbox) == 1
        notification.refresh_from_db()
        assert notification.status == Notification.Status.SENT
        assert notification.sent_at == NOW
        assert notification.attempts == 1
        assert mail.outbox[0].extra_headers["X-CX-Notification"] == notification.key

    def test_a_failed_send_is_given_back_for_a_retry(self, notification):
        with (
            mock.patch(
                "notifications.notifiers.EmailNotifier.notify", side_effect=ConnectionError("SMTP down")
            ),
            pytest.raises(ConnectionError),
        ):
            notification_send(notification_id=notification.pk)

        notification.refresh_from_db()
        assert notification.status == Notification.Status.PENDING
        assert notification.last_error == "SMTP down"
        assert notification.attempts == 1
        assert mail.outbox == []

        assert notification_send(notification_id=notification.pk) is True
        notification.refresh_from_db()
        assert (notification.status, notification.last_error, notification.attempts) == ("sent", "", 2)
        assert len(mail.outbox) == 1

    def test_a_database_failure_before_the_claim_leaves_it_pending(self, notification):
        # The database went away while the notification was being read: the
        # retry must find it still pending, not claimed by a send that never ran.
        with (
            mock.patch(
                "notifications.delivery.Notification.objects.select_related",
                side_effect=OperationalError("gone"),
            ),
            pytest.raises(OperationalError),
        ):
            notification_send(notification_id=notification.pk)

        notification.refresh_from_db()
        assert (notification.status, notification.attempts) == (Notification.Status.PENDING, 0)
        assert notification_send(notification_id=notification.pk) is True
        assert len(mail.outbox) == 1

    def test_a_notification_being_sent_elsewhere_is_left_alone(self, notification):
        Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.SENDING)

        assert notification_send(notification_id=notification.pk) is False
        assert mail.outbox == []


class TestNotificationsSend:
    """Several emails of one event: one read-and-claim, one mail connection, one record."""

    @pytest.fixture
    def two(self, late_case, luis):
        case_route(case_id=late_case.pk, now=NOW)
        notification_create(case_id=late_case.pk, recipient_id=luis.pk, event="watching")
        return list(Notification.objects.order_by("pk"))

    def test_they_go_out_over_one_connection_and_are_recorded_sent(self, two, late_case):

        with mock.patch("notifications.delivery.get_connection", wraps=get_connection) as connections:
            assert notifications_send(notification_ids=[n.pk for n in two], now=NOW) == 2

        assert connections.call_count == 1
        assert len(mail.outbox) == 2
        assert {n.status for n in Notification.objects.all()} == {Notification.Status.SENT}
        assert CaseEvent.objects.filter(case=late_case, kind=CaseEvent.Kind.NOTIFIED).count() == 2
        assert notifications_send(notification_ids=[n.pk for n in two]) == 0
        assert len(mail.outbox) == 2

    def test_the_case_tags_are_read_once_for_the_batch(self, two):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            notifications_send(notification_ids=[n.pk for n in two])

        assert len(mail.outbox) == 2
        assert sum('"routing_tag"' in q["sql"] for q in captured.captured_queries) == 1

    def test_one_failure_gives_back_only_that_one_and_is_raised(self, two):
        real = EmailNotifier.notify

        def flaky(notifier, notification, **kwargs):
            if notification.event == "watching":
                raise ConnectionError("mailbox full")
            return real(notifier, notification, **kwargs)

        with mock.patch.object(EmailNotifier, "notify", flaky), pytest.raises(ConnectionError):
            notifications_send(notification_ids=[n.pk for n in two])

        statuses = dict(Notification.objects.values_list("event", "status"))
        assert statuses == {"routed": Notification.Status.SENT, "watching": Notification.Status.PENDING}
        assert len(mail.outbox) == 1
        assert notifications_send(notification_ids=[n.pk for n in two]) == 1
        assert len(mail.outbox) == 2

    def test_a_mail_server_that_cannot_be_reached_leaves_them_pending(self, two):
        with (
            mock.patch(
                "notifications.delivery.get_connection", side_effect=ConnectionRefusedError("no SMTP")
            ),
            pytest.raises(ConnectionRefusedError),
        ):
            notifications_send(notification_ids=[n.pk for n in two])

        assert set(Notification.objects.values_list("status", "attempts")) == {
            (Notification.Status.PENDING, 1)
        }
        assert mail.outbox == []

    def test_a_key_that_names_nothing_is_no_error(self, two):
        assert notifications_send(notification_ids=[two[0].pk], keys=["case:0:acknowledgement:customer"]) == 1


@pytest.mark.django_db(transaction=True)
def test_a_notification_locked_by_another_worker_is_skipped_not_waited_for(late_case, laura):
    """PostgreSQL: the batch's read skips rows another worker is claiming (SQLite has no row locks)."""

    from django.db import connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    notification = staff_notification(case_id=late_case.pk, event="routed", recipient_id=laura.pk)
    notification.save()
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=notification.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        assert notification_send(notification_id=notification.pk) is False
    finally:
        release.set()
        thread.join()
    assert mail.outbox == []
    assert notification_send(notification_id=notification.pk) is True

"""The notifications queue's tasks, run eagerly: each one safe to run twice."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications import tasks as notification_tasks
from notifications.models import Notification
from routing import tasks

from ..factories import CaseFactory


@pytest.fixture(autouse=True)
def requeue_after_five_minutes(settings):
    settings.CX_REQUEUE_AFTER = timedelta(minutes=5)


def minutes_ago(minutes: int):
    return timezone.now() - timedelta(minutes=minutes)


class TestSendNotification:
    def test_running_it_twice_sends_one_email(self, organisation):
        case = CaseFactory()
        tasks.route_case(case.pk)
        notification = Notification.objects.get()

        assert notification_tasks.send_notification.delay(notification.pk).get() is True
        assert notification_tasks.send_notification.delay(notification.pk).get() is False

        assert len(mail.outbox) == 1


class TestSweepNotifications:
    @pytest.fixture
    def notification(self, organisation):
        tasks.route_case(CaseFactory().pk)  # on_commit never fires here: it stays pending
        return Notification.objects.get()

    def test_it_sends_old_pending_notifications(self, notification):
        Notification.objects.filter(pk=notification.pk).update(created_at=minutes_ago(10))

        assert notification_tasks.sweep_notifications() == 1

        notification.refresh_from_db()
        assert notification.status == Notification.Status.SENT
        assert len(mail.outbox) == 1

    def test_it_leaves_recent_and_sent_notifications_alone(self, notification):
        assert notification_tasks.sweep_notifications() == 0

        Notification.objects.filter(pk=notification.pk).update(
            created_at=minutes_ago(10), status=Notification.Status.SENT
        )
        assert notification_tasks.sweep_notifications() == 0
        assert mail.outbox == []

    def test_sweeping_twice_sends_one_email(self, notification):
        Notification.objects.filter(pk=notification.pk).update(created_at=minutes_ago(10))

        notification_tasks.sweep_notifications()
        notification_tasks.sweep_notifications()

        assert len(mail.outbox) == 1

"""Celery tasks, run eagerly: each one safe to run twice."""

from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.conf import settings
from django.core import mail
from django.utils import timezone

from feedback.models import Status
from notifications.models import Notification
from routing import tasks
from routing.models import RuleTrial

from ..factories import CaseFactory


@pytest.fixture(autouse=True)
def requeue_after_five_minutes(settings):
    settings.CX_REQUEUE_AFTER = timedelta(minutes=5)


def minutes_ago(minutes: int):
    return timezone.now() - timedelta(minutes=minutes)


class TestRouteCase:
    def test_running_it_twice_routes_and_notifies_once(
        self, organisation, carmen, django_capture_on_commit_callbacks
    ):
        case = CaseFactory()

        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.route_case.delay(case.pk).get() is True
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.route_case.delay(case.pk).get() is False

        case.refresh_from_db()
        assert case.owner == carmen
        assert Notification.objects.count() == 1
        assert len(mail.outbox) == 1

    def test_a_soft_time_limit_is_left_to_the_sweep_not_retried(self, organisation):
        case = CaseFactory()
        stopped = mock.patch.object(tasks.services, "case_route", side_effect=SoftTimeLimitExceeded())

        with stopped as route, pytest.raises(SoftTimeLimitExceeded):
            tasks.route_case.delay(case.pk)

        route.assert_called_once()
        case.refresh_from_db()
        assert case.status == Status.NEW  # the sweep of unrouted cases takes it up

    def test_other_failures_are_retried(self, organisation):
        case = CaseFactory()
        failing = mock.patch.object(
            tasks.services, "case_route", side_effect=ConnectionError("db restarting")
        )

        with failing, pytest.raises(Retry):
            tasks.route_case.delay(case.pk)


class TestSweepUnrouted:
    def test_it_routes_cases_stuck_in_new(self, organisation, carmen, django_capture_on_commit_callbacks):
        stuck = CaseFactory(created_at=minutes_ago(10))

        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.sweep_unrouted() == 1

        stuck.refresh_from_db()
        assert stuck.status == Status.ROUTED
        assert stuck.owner == carmen
        assert len(mail.outbox) == 1

    def test_it_leaves_recent_routed_and_progressing_cases_alone(self, organisation):
        CaseFactory(created_at=minutes_ago(1))
        CaseFactory(created_at=minutes_ago(10), status=Status.ROUTED, routed_at=minutes_ago(9))
        CaseFactory(created_at=minutes_ago(10), status=Status.IN_PROGRESS)

        with mock.patch.object(tasks.route_case, "delay") as delay:
            assert tasks.sweep_unrouted() == 0

        delay.assert_not_called()

    def test_it_requeues_only_the_stuck_ones(self, organisation):
        stuck = [CaseFactory(created_at=minutes_ago(m)) for m in (30, 10)]
        CaseFactory(created_at=minutes_ago(1))

        with mock.patch.object(tasks.route_case, "delay") as delay:
            assert tasks.sweep_unrouted() == 2

        assert [c.args for c in delay.call_args_list] == [(stuck[0].pk,), (stuck[1].pk,)]

    def test_sweeping_twice_does_not_notify_twice(self, organisation, django_capture_on_commit_callbacks):
        CaseFactory(created_at=minutes_ago(10))

        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.sweep_unrouted() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.sweep_unrouted() == 0

        assert Notification.objects.count() == 1
        assert len(mail.outbox) == 1


class TestSweepRuleTrials:
    def test_it_marks_lost_trials_failed_and_says_so(self, db, caplog):
        limit = timedelta(seconds=settings.CX_TASK_TIME_LIMITS["long"]["time_limit"])
        lost = RuleTrial.objects.create(draft={"name": "Lost"}, status=RuleTrial.Status.RUNNING)
        RuleTrial.objects.filter(pk=lost.pk).update(created_at=timezone.now() - 3 * limit)
        running = RuleTrial.objects.create(draft={"name": "Running"}, status=RuleTrial.Status.RUNNING)

        assert tasks.sweep_rule_trials.delay().get() == 1
        assert tasks.sweep_rule_trials.delay().get() == 0

        lost.refresh_from_db()
        running.refresh_from_db()
        assert (lost.status, running.status) == (RuleTrial.Status.FAILED, RuleTrial.Status.RUNNING)
        assert "Marked 1 lost what-if trials failed." in caplog.text

    def test_beat_runs_it_on_the_periodic_queue(self):
        [entry] = [
            e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == tasks.sweep_rule_trials.name
        ]
        assert entry["schedule"] == timedelta(seconds=60)
        default = {"queue": settings.CELERY_TASK_DEFAULT_QUEUE}
        assert settings.CELERY_TASK_ROUTES.get(tasks.sweep_rule_trials.name, default) == {"queue": "periodic"}

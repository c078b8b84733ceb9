"""Time limits of the Celery tasks: each stops itself before Redis would hand it to a second worker."""

import runpy
from pathlib import Path
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from cxportal.celery import app
from dashboards import rollups
from dashboards import tasks as dashboard_tasks
from notifications import tasks as notification_tasks
from routing import tasks as routing_tasks
from routing.models import TriageVersion

from .factories import CaseFactory

SETTINGS = Path(__file__).resolve().parent.parent / "cxportal" / "settings.py"
OUR_PACKAGES = ("cxportal.", "routing.", "notifications.", "feedback.", "dashboards.")
KINDS = {
    "short": [
        "routing.tasks.route_case",
        "notifications.tasks.send_notification",
        "notifications.tasks.send_notifications",
        "notifications.tasks.send_webhook",
    ],
    "periodic": [
        "routing.tasks.escalate_overdue",
        "routing.tasks.sweep_unrouted",
        "notifications.tasks.sweep_notifications",
        "routing.tasks.sweep_rule_trials",
        "feedback.tasks.apply_retention",
        "feedback.tasks.forget_intake_keys",
        "feedback.tasks.poll_mailbox",
        "feedback.tasks.requeue_case_imports",
    ],
    "long": [
        "routing.tasks.run_rule_trial",
        "routing.tasks.retrain_triage",
        "feedback.tasks.run_case_import",
        "dashboards.tasks.refresh_daily_figures",
    ],
}
VARIABLES = (
    "CX_VISIBILITY_TIMEOUT",
    "CX_WEBHOOK_TIMEOUT",
    "CX_TASK_LIMIT_SHORT",
    "CX_TASK_LIMIT_PERIODIC",
    "CX_TASK_LIMIT_LONG",
)


def our_tasks() -> dict:
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if name.startswith(OUR_PACKAGES)}


def visibility_timeout() -> int:
    return settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


class TestTheTasks:
    def test_every_task_stops_softly_then_for_good_before_it_would_be_delivered_again(self):
        tasks = our_tasks()

        assert set(KINDS["long"]) <= set(tasks)
        for name, task in tasks.items():
            assert 0 < task.soft_time_limit < task.time_limit < visibility_timeout(), name

    @pytest.mark.parametrize("kind", KINDS)
    def test_each_task_has_the_limits_of_its_kind(self, kind):
        limits = settings.CX_TASK_TIME_LIMITS[kind]
        tasks = our_tasks()

        for name in KINDS[kind]:
            assert (tasks[name].soft_time_limit, tasks[name].time_limit) == (
                limits["soft_time_limit"],
                limits["time_limit"],
            ), name

    def test_a_new_task_has_to_be_given_a_kind(self):
        assert set(our_tasks()) == {name for names in KINDS.values() for name in names}

    def test_a_retried_task_runs_out_its_countdown_and_its_limit_before_redelivery(self):
        retried = [task for task in our_tasks().values() if getattr(task, "autoretry_for", ())]

        assert retried
        for task in retried:
            assert task.retry_backoff_max + task.time_limit < visibility_timeout(), task.name

    def test_a_webhook_times_out_before_its_task_does(self):
        # Connecting, then waiting for the answer, each up to the timeout.
        assert notification_tasks.send_webhook.soft_time_limit > 2 * settings.CX_WEBHOOK_TIMEOUT

    def test_a_trial_no_worker_started_within_its_limit_is_dropped(self):
        assert routing_tasks.run_rule_trial.expires == settings.CX_TASK_TIME_LIMITS["long"]["time_limit"]


class TestLongTasksStoppedAtTheSoftLimit:
    def test_a_refresh_frees_its_lock_so_the_next_run_does_the_work(self, db, caplog):
        CaseFactory()

        with mock.patch.object(rollups.storage, "tally_days", side_effect=SoftTimeLimitExceeded()):
            assert dashboard_tasks.refresh_daily_figures() == 0

        assert "stopped at its time limit" in caplog.text
        assert dashboard_tasks.refresh_daily_figures() >= 1

    def test_a_training_leaves_the_live_model_alone(self, db, caplog):
        with mock.patch("routing.learning.triage_train", side_effect=SoftTimeLimitExceeded()):
            assert routing_tasks.retrain_triage() == 0

        assert "the live model stays" in caplog.text
        assert not TriageVersion.objects.exists()


@pytest.fixture
def environment(monkeypatch):
    """Set exactly these variables (the other limits unset); returns the settings they give."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def settings_with(**variables: str) -> dict:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS), init_globals={"__name__": "settings_under_test"})

    return settings_with


def limits(module: dict) -> dict[str, tuple[float, float]]:
    return {
        kind: (limit["soft_time_limit"], limit["time_limit"])
        for kind, limit in module["CX_TASK_TIME_LIMITS"].items()
    }


class TestTheSettings:
    def test_by_default_a_minute_five_minutes_and_nine_each_with_a_soft_limit_a_fifth_earlier(
        self, environment
    ):
        module = environment()

        assert limits(module) == {"short": (48, 60), "periodic": (270, 300), "long": (510, 540)}
        # Celery's own tasks get the periodic limits.
        assert (module["CELERY_TASK_SOFT_TIME_LIMIT"], module["CELERY_TASK_TIME_LIMIT"]) == (270, 300)

    @pytest.mark.parametrize("timeout", [3, 15])
    def test_a_low_visibility_timeout_shrinks_every_limit_under_it(self, environment, timeout):
        """Integration tests set it low to see a killed worker's task come back."""
        module = environment(CX_VISIBILITY_TIMEOUT=str(timeout))

        for soft, hard in limits(module).values():
            assert 0 < soft < hard < timeout
        assert module["CELERY_TASK_TIME_LIMIT"] < timeout

    def test_limits_set_with_a_longer_visibility_timeout_are_kept(self, environment):
        module = environment(
            CX_VISIBILITY_TIMEOUT="3600", CX_TASK_LIMIT_LONG="3000", CX_TASK_LIMIT_SHORT="20"
        )

        assert limits(module)["long"] == (2970, 3000)
        assert limits(module)["short"] == (16, 20)

    @pytest.mark.parametrize("limit", ["600", "900", "0"])
    def test_a_limit_set_at_or_above_the_visibility_timeout_stops_start_up(self, environment, limit):
        with pytest.raises(ImproperlyConfigured, match="CX_TASK_LIMIT_LONG must be above 0 and below"):
            environment(CX_TASK_LIMIT_LONG=limit)

    def test_a_short_limit_too_short_for_a_webhook_stops_start_up(self, environment):
        with pytest.raises(ImproperlyConfigured, match=r"more than 12\.5 s"):
            environment(CX_TASK_LIMIT_SHORT="12")

    def test_a_longer_webhook_timeout_lengthens_the_short_limit(self, environment):
        module = environment(CX_WEBHOOK_TIMEOUT="30")

        soft, hard = limits(module)["short"]
        assert hard == 90
        assert soft > 2 * 30

    def test_a_visibility_timeout_under_a_second_stops_start_up(self, environment):
        with pytest.raises(ImproperlyConfigured, match="CX_VISIBILITY_TIMEOUT"):
            environment(CX_VISIBILITY_TIMEOUT="0")

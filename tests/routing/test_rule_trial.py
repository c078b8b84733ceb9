"""What-if: a rule tried on past cases says what it would change, and changes nothing."""

import re
import signal
from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext

from cxportal.errors import ApplicationError
from feedback.models import Case, CaseEvent
from notifications.models import Notification
from routing import whatif
from routing.models import Priority, Rule, RuleTrial
from routing.rulefile import rule_to_dict
from routing.tasks import run_rule_trial
from routing.whatif import rule_trial_run, rule_trial_start, rule_trials_fail_stale

from ..factories import CaseFactory, RuleConditionFactory, RuleFactory, TagFactory


@pytest.fixture
def late_delivery(organisation) -> Rule:
    """The live rule set: one enabled rule."""
    rule = RuleFactory(name="Late delivery", order=10, set_department=organisation["logistics"])
    rule.add_tags.add(TagFactory(slug="delivery-delay"))
    RuleConditionFactory(rule=rule, value="retraso")
    return rule


@pytest.fixture
def refunds(organisation) -> Rule:
    """A draft: disabled, after the live rule in order."""
    rule = RuleFactory(
        name="Refunds",
        order=20,
        enabled=False,
        set_department=organisation["billing"],
        set_priority=Priority.URGENT,
    )
    rule.add_tags.add(TagFactory(slug="refund"))
    RuleConditionFactory(rule=rule, value="reembolso")
    return rule


@pytest.fixture
def cases(late_delivery):
    now = timezone.now()
    return {
        "refund": CaseFactory(message="Quiero un reembolso", created_at=now - timedelta(days=3)),
        "both": CaseFactory(message="Hay retraso, quiero un reembolso", created_at=now - timedelta(days=10)),
        "neither": CaseFactory(message="Hola", created_at=now - timedelta(days=20)),
        "too_old": CaseFactory(message="Quiero un reembolso", created_at=now - timedelta(days=100)),
    }


def trial_of(rule: Rule, **draft) -> RuleTrial:
    return RuleTrial.objects.create(rule=rule, draft=rule_to_dict(rule) | draft, days=90)


def side_effects() -> tuple:
    return (
        list(Case.objects.order_by("pk").values()),
        sorted(Case.tags.through.objects.values_list("case_id", "tag_id")),
        CaseEvent.objects.count(),
        Notification.objects.count(),
    )


def test_it_counts_the_cases_the_rule_would_change(refunds, cases):
    trial = trial_of(refunds)

    run_rule_trial.delay(trial.pk)

    trial.refresh_from_db()
    assert trial.status == RuleTrial.Status.DONE
    assert trial.summary == {"cases": 3, "tags_changed": 2, "department_changed": 1, "priority_changed": 2}
    by_reference = {change["reference"]: change for change in trial.changes}
    assert set(by_reference) == {cases["refund"].reference, cases["both"].reference}
    refund = by_reference[cases["refund"].reference]
    assert refund["case_id"] == cases["refund"].pk
    assert refund["before"] == {"tags": [], "department": "", "priority": ""}
    assert refund["after"] == {"tags": ["refund"], "department": "billing", "priority": "urgent"}
    both = by_reference[cases["both"].reference]
    # The live rule comes first and sets the department: the draft cannot take it.
    assert both["after"]["department"] == "logistics"
    assert both["after"]["tags"] == ["delivery-delay", "refund"]


def test_it_has_no_side_effects_on_cases(refunds, cases):
    before = side_effects()

    run_rule_trial.delay(trial_of(refunds).pk)

    assert side_effects() == before


def test_an_edit_of_a_live_rule_replaces_it_rather_than_running_twice(late_delivery, cases):
    trial = trial_of(late_delivery, set_priority="high")

    run_rule_trial.delay(trial.pk)

    trial.refresh_from_db()
    assert trial.summary == {"cases": 3, "tags_changed": 0, "department_changed": 0, "priority_changed": 1}
    [change] = trial.changes
    assert change["reference"] == cases["both"].reference
    assert change["before"]["priority"] == ""
    assert change["after"]["priority"] == "high"


def test_a_new_draft_without_a_saved_rule_can_be_tried(refunds, cases):
    draft = rule_to_dict(refunds) | {"name": "Unsaved"}
    trial = RuleTrial.objects.create(draft=draft, days=5)

    run_rule_trial.delay(trial.pk)

    trial.refresh_from_db()
    assert trial.summary == {"cases": 1, "tags_changed": 1, "department_changed": 1, "priority_changed": 1}


def test_progress_reaches_the_total_chunk_by_chunk(refunds, cases):
    trial = trial_of(refunds)

    with CaptureQueriesContext(connection) as queries:
        assert rule_trial_run(trial_id=trial.pk, chunk_size=1)

    progress = [
        int(match.group(1))
        for query in queries
        if query["sql"].startswith('UPDATE "routing_ruletrial" SET "processed"')
        and (match := re.search(r'"processed" = (\d+)', query["sql"]))
    ]
    assert progress == [1, 2, 3]

    trial.refresh_from_db()
    assert trial.total == 3
    assert trial.processed == 3
    assert trial.finished_at is not None


def test_running_a_trial_twice_runs_it_once(refunds, cases):
    trial = trial_of(refunds)

    assert rule_trial_run(trial_id=trial.pk)
    assert not rule_trial_run(trial_id=trial.pk)


def test_starting_a_trial_queues_it_after_commit(
    refunds, cases, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        trial = rule_trial_start(draft=rule_to_dict(refunds), rule=refunds, days=90, actor=admin_user)

    trial.refresh_from_db()
    assert trial.status == RuleTrial.Status.DONE
    assert trial.requested_by == admin_user
    assert trial.summary["cases"] == 3


def test_a_trial_that_cannot_run_says_why(cases, organisation):
    draft = {
        "name": "Broken",
        "conditions": [{"group": "any", "field": "colour", "operator": "equals", "value": "red"}],
    }
    trial = RuleTrial.objects.create(draft=draft | {"set_priority": "high"})

    with pytest.raises(Exception, match="colour"):
        run_rule_trial.delay(trial.pk)

    trial.refresh_from_db()
    assert trial.status == RuleTrial.Status.FAILED
    assert "colour" in trial.error


def test_a_trial_refuses_a_rule_that_does_nothing(refunds):
    draft = rule_to_dict(refunds) | {"add_tags": [], "set_priority": "", "set_department": None}

    with pytest.raises(ApplicationError) as error:
        rule_trial_start(draft=draft, rule=refunds)

    assert error.value.code == "no_actions"
    assert not RuleTrial.objects.exists()


def test_a_second_run_while_the_first_is_running_does_nothing(refunds, cases):
    """A redelivered task reaching another worker mid-trial finds it claimed."""
    trial = trial_of(refunds)
    second_runs = []
    facts = mock.Mock(wraps=whatif.facts_for_case)

    def facts_then_run_again(case, **kwargs):
        if not second_runs:
            second_runs.append(rule_trial_run(trial_id=trial.pk))
        return facts(case, **kwargs)

    with mock.patch.object(whatif, "facts_for_case", side_effect=facts_then_run_again):
        assert rule_trial_run(trial_id=trial.pk)

    assert second_runs == [False]
    # Each case evaluated once: the second run looked at none.
    assert facts.call_count == 3
    trial.refresh_from_db()
    assert trial.status == RuleTrial.Status.DONE
    assert trial.summary == {"cases": 3, "tags_changed": 2, "department_changed": 1, "priority_changed": 2}


def test_a_trial_stopped_at_its_soft_time_limit_is_marked_failed(refunds, cases):
    trial = trial_of(refunds)

    with mock.patch.object(whatif, "facts_for_case", side_effect=SoftTimeLimitExceeded()):
        # Handled: the task ends without an error, the trial says what happened.
        assert run_rule_trial.delay(trial.pk).get() is False

    trial.refresh_from_db()
    assert trial.status == RuleTrial.Status.FAILED
    assert trial.error == gettext("The trial took too long and was stopped; try it on fewer days.")
    assert trial.finished_at is not None
    assert trial.summary == {}


@pytest.mark.django_db(transaction=True)
def test_a_soft_time_limit_mid_query_still_marks_the_trial_failed(refunds, cases):
    """PostgreSQL: a query cut short leaves its connection busy; the failure is written on a new one."""
    if connection.vendor != "postgresql":
        pytest.skip("a query that sleeps is PostgreSQL's")
    trial = trial_of(refunds)

    def slow_query(case, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")

    def soft_limit(signum, frame):
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, soft_limit)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with mock.patch.object(whatif, "facts_for_case", side_effect=slow_query):
            assert rule_trial_run(trial_id=trial.pk) is False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    trial.refresh_from_db()
    assert trial.status == RuleTrial.Status.FAILED
    assert trial.error == gettext("The trial took too long and was stopped; try it on fewer days.")


class TestLostTrials:
    """A trial whose task was lost or whose worker was killed is marked failed, not left running."""

    @pytest.fixture
    def limit(self) -> timedelta:
        return timedelta(seconds=settings.CX_TASK_TIME_LIMITS["long"]["time_limit"])

    def trial(self, rule: Rule, status: str, age: timedelta) -> RuleTrial:
        trial = trial_of(rule)
        RuleTrial.objects.filter(pk=trial.pk).update(status=status, created_at=timezone.now() - age)
        return trial

    def test_a_trial_running_past_its_worker_s_limit_is_marked_failed(self, refunds, limit):
        lost = self.trial(refunds, RuleTrial.Status.RUNNING, 2 * limit + timedelta(minutes=2))
        # Waited for a worker up to one limit, then ran up to another: it may still run.
        recent = self.trial(refunds, RuleTrial.Status.RUNNING, limit + timedelta(minutes=2))

        assert rule_trials_fail_stale() == 1

        lost.refresh_from_db()
        assert lost.status == RuleTrial.Status.FAILED
        assert lost.error == gettext("The worker running the trial stopped; start it again.")
        assert lost.finished_at is not None
        recent.refresh_from_db()
        assert recent.status == RuleTrial.Status.RUNNING
        assert recent.error == ""

    def test_a_trial_is_judged_from_when_its_worker_claimed_it(self, refunds, cases, limit):
        """Waiting in the queue does not count against the run: one limit after the claim, not two."""
        lost = self.trial(refunds, RuleTrial.Status.RUNNING, limit + timedelta(minutes=3))
        RuleTrial.objects.filter(pk=lost.pk).update(started_at=timezone.now() - limit - timedelta(minutes=2))
        waited = self.trial(refunds, RuleTrial.Status.RUNNING, limit + timedelta(minutes=3))
        RuleTrial.objects.filter(pk=waited.pk).update(started_at=timezone.now() - timedelta(minutes=1))

        assert rule_trials_fail_stale() == 1

        lost.refresh_from_db()
        assert lost.status == RuleTrial.Status.FAILED
        waited.refresh_from_db()
        assert waited.status == RuleTrial.Status.RUNNING

    def test_a_run_says_when_it_claimed_its_trial(self, refunds, cases):
        trial = trial_of(refunds)
        before = timezone.now()

        rule_trial_run(trial_id=trial.pk)

        trial.refresh_from_db()
        assert before <= trial.started_at <= trial.finished_at

    def test_a_trial_no_worker_started_is_marked_failed_and_its_late_task_does_nothing(
        self, refunds, cases, limit
    ):
        lost = self.trial(refunds, RuleTrial.Status.QUEUED, limit + timedelta(minutes=2))
        fresh = self.trial(refunds, RuleTrial.Status.QUEUED, timedelta(minutes=1))

        assert rule_trials_fail_stale() == 1

        lost.refresh_from_db()
        assert lost.status == RuleTrial.Status.FAILED
        assert lost.error == gettext("No worker started the trial in time; start it again.")
        assert not rule_trial_run(trial_id=lost.pk)
        lost.refresh_from_db()
        assert lost.status == RuleTrial.Status.FAILED
        fresh.refresh_from_db()
        assert fresh.status == RuleTrial.Status.QUEUED

    def test_finished_trials_are_left_alone(self, refunds, limit):
        done = self.trial(refunds, RuleTrial.Status.DONE, 3 * limit)

        assert rule_trials_fail_stale() == 0

        done.refresh_from_db()
        assert done.status == RuleTrial.Status.DONE

    def test_a_run_whose_trial_was_marked_failed_stops_without_writing(self, refunds, cases, limit):
        trial = trial_of(refunds)
        real_facts = whatif.facts_for_case

        def facts_while_marked_lost(case, **kwargs):
            # The sweep, as if the trial had been running for three limits.
            rule_trials_fail_stale(now=timezone.now() + 3 * limit)
            return real_facts(case, **kwargs)

        with mock.patch.object(whatif, "facts_for_case", side_effect=facts_while_marked_lost):
            assert rule_trial_run(trial_id=trial.pk, chunk_size=1) is False

        trial.refresh_from_db()
        assert trial.status == RuleTrial.Status.FAILED
        assert trial.error == gettext("The worker running the trial stopped; start it again.")
        assert trial.processed == 0
        assert trial.summary == {}

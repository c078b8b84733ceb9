"""Escalation: a warning before a due date, one step up the chain per missed due date.

The clock is passed in (``now=``): nothing sleeps.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from feedback.models import Case, CaseEvent, Status
from notifications.models import Notification
from routing import tasks
from routing.escalation import escalate_overdue

from ..factories import CaseFactory

T0 = timezone.now().replace(microsecond=0) - timedelta(days=30)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the periodic escalation at ``T0 + hours``, sending what it queues."""

    def at(hours: float) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return escalate_overdue(now=T0 + timedelta(hours=hours))

    return at


@pytest.fixture
def case(organisation, laura):
    """Routed to logistics (laura, backup luis) at T0: answer within 10 h, resolve within 100 h."""
    return CaseFactory(
        department=organisation["logistics"],
        owner=laura,
        status=Status.ROUTED,
        created_at=T0,
        routed_at=T0,
        first_response_due_at=T0 + timedelta(hours=10),
        resolution_due_at=T0 + timedelta(hours=100),
    )


def sent(event: str) -> list[tuple[str, str]]:
    """(recipient, key) of every email sent about ``event``."""
    return sorted(
        (n.recipient.username, n.key)
        for n in Notification.objects.filter(event=event, status=Notification.Status.SENT)
    )


def test_nothing_happens_before_80_percent_of_the_time(case, run):
    run(7.9)

    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_it_warns_the_owner_once_at_80_percent(case, run, laura):
    run(8)
    run(9)

    assert sent("sla_warning") == [("laura", f"case:{case.pk}:sla_warning:first_response:user:{laura.pk}")]
    [message] = mail.outbox
    assert message.to == [laura.email]
    assert case.reference in message.subject
    assert case.reference in message.body
    case.refresh_from_db()
    assert case.escalation_level == 0


def test_a_missed_first_response_escalates_to_the_backup_once(case, run, luis):
    assert run(10.5) == 1
    assert run(11) == 0

    case.refresh_from_db()
    assert case.escalation_level == 1
    assert sent("escalated") == [("luis", f"case:{case.pk}:escalated:first_response:1:user:{luis.pk}")]
    [event] = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ESCALATED)
    assert event.data == {"level": 1, "deadline": "first_response", "recipients": [luis.pk]}
    assert [m.to for m in mail.outbox] == [[luis.email]]


def test_a_missed_resolution_then_goes_to_the_executives_once(case, run, luis, elena):
    run(10.5)
    mail.outbox.clear()

    assert run(101) == 1
    assert run(200) == 0

    case.refresh_from_db()
    assert case.escalation_level == 2
    assert sent("escalated") == [
        ("elena", f"case:{case.pk}:escalated:resolution:2:user:{elena.pk}"),
        ("luis", f"case:{case.pk}:escalated:first_response:1:user:{luis.pk}"),
    ]
    assert [m.to for m in mail.outbox] == [[elena.email]]
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ESCALATED).count() == 2


def test_both_due_dates_missed_at_once_take_both_steps(case, run, luis, elena):
    assert run(150) == 2

    assert sorted(m.to[0] for m in mail.outbox) == sorted([luis.email, elena.email])


def test_without_a_backup_the_owner_is_the_first_step(case, run, laura, organisation):
    organisation["logistics"].backup_owner = None
    organisation["logistics"].save()

    run(10.5)

    assert sent("escalated") == [("laura", f"case:{case.pk}:escalated:first_response:1:user:{laura.pk}")]


def test_a_first_response_on_time_leaves_only_the_resolution(case, run, luis):
    Case.objects.filter(pk=case.pk).update(first_response_at=T0 + timedelta(hours=2))

    assert run(50) == 0
    assert run(85) == 0  # the resolution warning
    assert run(101) == 1

    assert sent("sla_warning") == [("laura", f"case:{case.pk}:sla_warning:resolution:user:{case.owner_id}")]
    assert sent("escalated") == [("luis", f"case:{case.pk}:escalated:resolution:1:user:{luis.pk}")]


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED, Status.WAITING])
def test_resolved_closed_or_waiting_cases_are_not_escalated(case, run, status):
    Case.objects.filter(pk=case.pk).update(status=status)

    assert run(500) == 0

    assert Notification.objects.count() == 0
    assert not CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ESCALATED).exists()


def test_the_periodic_task_twice_sends_nothing_new(case, luis, elena, django_capture_on_commit_callbacks):
    # The case's due dates are a month in the past: both are missed now.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.escalate_overdue.delay().get() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.escalate_overdue.delay().get() == 0

    assert len(mail.outbox) == 2
    assert Notification.objects.filter(event="escalated").count() == 2


def test_a_step_another_run_took_is_not_taken_again(case, run):
    # Another worker took step 1 between this run's read and its update.
    Case.objects.filter(pk=case.pk).update(escalation_level=1)

    assert run(10.5) == 0
    assert Notification.objects.filter(event="escalated").count() == 0


def test_it_is_scheduled_every_minute_on_the_periodic_queue(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["escalate-overdue-cases"]
    assert entry["task"] == "routing.tasks.escalate_overdue"
    assert entry["schedule"] == timedelta(minutes=1)
    assert settings.CELERY_TASK_ROUTES["routing.tasks.escalate_overdue"] == {"queue": "periodic"}
    assert settings.CELERY_TASK_ROUTES["notifications.tasks.send_webhook"] == {"queue": "notifications"}


def test_when_the_backup_holds_the_case_the_first_step_goes_to_the_owner(case, run, laura, luis):
    # laura was away at routing, so luis (her backup) owns the case.
    Case.objects.filter(pk=case.pk).update(owner=luis)
    assert run(10.5) == 1
    assert [m.to for m in mail.outbox] == [[laura.email]]


def test_an_absent_owner_is_passed_over_and_the_case_owner_told(case, run, laura, luis):
    from routing.models import Absence

    Case.objects.filter(pk=case.pk).update(owner=luis)
    Absence.objects.create(user=laura, starts_at=T0 - timedelta(days=1), ends_at=T0 + timedelta(days=30))
    assert run(10.5) == 1
    assert [m.to for m in mail.outbox] == [[luis.email]]


def test_the_done_when_story_ends_with_elena_told_once(case, run, laura, luis, elena):
    # laura away, luis (backup) owns it, nobody answers: the executives are told once.
    from routing.models import Absence

    Case.objects.filter(pk=case.pk).update(owner=luis)
    Absence.objects.create(user=laura, starts_at=T0 - timedelta(days=1), ends_at=T0 + timedelta(days=30))
    run(10.5)
    run(100.5)
    run(200)
    to_elena = [m for m in mail.outbox if m.to == [elena.email]]
    assert len(to_elena) == 1


def test_the_80_percent_warning_counts_business_hours(organisation, laura, sla):

    from routing.escalation import case_escalate
    from routing.models import BusinessCalendar

    sla.calendar = BusinessCalendar.objects.create(name="Office", time_zone="Europe/Madrid")
    sla.save()
    # Friday 13 March 2026, 17:00 Madrid (16:00 UTC); 8 business hours (9-18,
    # Mon-Fri) end Monday 16:00 Madrid. 80% = 6.4 h: 1 h on Friday, 5.4 h on
    # Monday, so the warning is due Monday 14:24 Madrid (13:24 UTC). Counting
    # the wall clock instead, 80% of 71 h would fall at 01:48 on Monday.
    routed = datetime(2026, 3, 13, 16, 0, tzinfo=UTC)
    case = CaseFactory(
        department=organisation["logistics"],
        owner=laura,
        status=Status.ROUTED,
        created_at=routed,
        routed_at=routed,
        first_response_due_at=datetime(2026, 3, 16, 15, 0, tzinfo=UTC),
        resolution_due_at=datetime(2026, 3, 30, 15, 0, tzinfo=UTC),
    )

    case_escalate(case_id=case.pk, now=datetime(2026, 3, 16, 9, 0, tzinfo=UTC))  # Monday 10:00 Madrid
    assert not Notification.objects.filter(event="sla_warning").exists()
    case_escalate(case_id=case.pk, now=datetime(2026, 3, 16, 13, 30, tzinfo=UTC))  # Monday 14:30 Madrid
    assert Notification.objects.filter(event="sla_warning", key__contains="first_response").count() == 1

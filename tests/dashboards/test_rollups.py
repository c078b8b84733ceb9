"""Daily roll-ups: stored days read back exactly as the live tally, and refreshed when cases change."""

import io
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from dashboards import rollups
from dashboards.indicators import TOTAL, compute
from dashboards.models import DailyFigures, RolledUpDay
from dashboards.periods import last_days, local_zone
from dashboards.tasks import refresh_daily_figures
from feedback.models import Case, Status
from routing.models import BusinessCalendar
from tests.factories import CaseFactory

H = timedelta(hours=1)
D = timedelta(days=1)


def madrid(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=local_zone())


def both_ways(first: date, last: date, now: datetime, **options) -> tuple[dict, dict]:
    """The figures tallied live, then the same after the days are stored."""
    live = compute(first_day=first, last_day=last, now=now, **options)
    rollups.refresh([first + n * D for n in range((last - first).days + 1)], now=now)
    return live, compute(first_day=first, last_day=last, now=now, **options)


@pytest.mark.django_db
def test_times_are_business_hours_of_the_teams_calendar(logistics):
    calendar = BusinessCalendar.objects.create(name="Madrid office", time_zone="Europe/Madrid")
    logistics.sla_policy.calendar = calendar
    logistics.sla_policy.save()
    # Friday 17:00; answered Monday 10:00 (1 h on Friday + 1 h on Monday); resolved Tuesday 12:00
    # (1 + 9 + 3 h). Wall-clock time would be 65 h and 91 h.
    CaseFactory(
        department=logistics,
        status=Status.RESOLVED,
        created_at=madrid(6, 17),
        first_response_at=madrid(9, 10),
        resolved_at=madrid(10, 12),
    )

    live, stored = both_ways(date(2026, 3, 6), date(2026, 3, 12), now=madrid(13, 12))

    for figures in (live, stored):
        assert figures[logistics.pk]["first_response_median"] == 2 * H
        assert figures[logistics.pk]["resolution_median"] == 13 * H
        assert figures[TOTAL]["resolution_p90"] == 13 * H


@pytest.mark.django_db
def test_days_follow_madrid_midnight_across_the_summer_time_change(logistics):
    # 29 March 2026 has 23 hours in Madrid: 22:30 UTC is 23:30 on the 28th and 00:30 on the 30th.
    CaseFactory(department=logistics, created_at=datetime(2026, 3, 28, 22, 30, tzinfo=UTC))
    CaseFactory(department=logistics, created_at=datetime(2026, 3, 29, 22, 30, tzinfo=UTC))
    CaseFactory(
        department=logistics, created_at=datetime(2026, 3, 29, 21, 59, tzinfo=UTC)
    )  # 23:59 on the 29th

    live, stored = both_ways(date(2026, 3, 28), date(2026, 3, 30), now=madrid(31, 12))

    for figures in (live, stored):
        assert figures[logistics.pk].daily == {
            date(2026, 3, 28): 1,
            date(2026, 3, 29): 1,
            date(2026, 3, 30): 1,
        }


@pytest.mark.django_db
def test_stored_days_give_the_same_figures_as_the_live_tally_on_generated_history(organisation):
    call_command("generate_cases", count=600, days=75, seed=7, rollups=False, stdout=io.StringIO())
    now = timezone.now()
    period = last_days(30, now=now)
    previous = period.previous
    assert not RolledUpDay.objects.exists()

    live = [compute(first_day=p.first_day, last_day=p.last_day, now=now) for p in (period, previous)]
    call_command("refresh_dashboards", all=True, stdout=io.StringIO())
    stored = [compute(first_day=p.first_day, last_day=p.last_day, now=now) for p in (period, previous)]

    # Every day from the first case to today, today as far as it has gone.
    assert RolledUpDay.objects.count() == (period.last_day - rollups.first_case_day()).days + 1
    assert DailyFigures.objects.exists()
    for live_figures, stored_figures in zip(live, stored, strict=True):
        assert set(live_figures) == set(stored_figures)
        for scope, figures in live_figures.items():
            assert figures.values == stored_figures[scope].values, scope
            assert (figures.by_tag, figures.daily) == (
                stored_figures[scope].by_tag,
                stored_figures[scope].daily,
            )
    # Something to compare: the history has flows and state in both periods.
    for figures in live:
        assert figures[TOTAL]["received"] > 100
        assert figures[TOTAL]["backlog"] > 0
        assert figures[TOTAL]["first_response_median"] is not None


def stored_rows() -> list[dict]:
    return list(
        DailyFigures.objects.order_by("department_id", "day").values(
            "department_id", "day", "counts", "computed_at"
        )
    )


@pytest.mark.django_db
def test_a_refresh_recomputes_whole_days_and_running_it_twice_changes_nothing(logistics, billing):
    now = madrid(10, 12)
    moved = CaseFactory(department=logistics, created_at=madrid(8, 10))
    CaseFactory(department=billing, created_at=madrid(8, 11))
    CaseFactory(department=None, created_at=madrid(8, 12))
    days = [date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 11)]  # today is the 10th

    assert rollups.refresh(days, now=now) == 3  # not tomorrow
    first = stored_rows()
    assert rollups.refresh(days, now=now) == 3
    assert stored_rows() == first
    assert {(row["department_id"], row["day"]): row["counts"] for row in first if row["counts"]} == {
        (logistics.pk, date(2026, 3, 8)): {"received": 1},
        (billing.pk, date(2026, 3, 8)): {"received": 1},
        (None, date(2026, 3, 8)): {"received": 1},
    }
    assert sorted(RolledUpDay.objects.values_list("day", flat=True)) == days[:3]

    # The day is rewritten whole: a case moved to billing leaves logistics' row.
    Case.objects.filter(pk=moved.pk).update(department=billing)
    later = now + H
    assert rollups.refresh(days, now=later) == 3

    rows = {(row["department_id"], row["day"]): row for row in stored_rows()}
    assert (logistics.pk, date(2026, 3, 8)) not in rows
    assert rows[(billing.pk, date(2026, 3, 8))]["counts"] == {"received": 2}
    assert {row["computed_at"] for row in rows.values()} == {later}


@pytest.mark.django_db
def test_one_refresh_at_a_time(logistics):
    from django.core.cache import cache
    from django.core.management import CommandError

    CaseFactory(department=logistics, created_at=timezone.now() - 3 * D)
    cache.add(rollups.LOCK_KEY, "another worker", 60)
    try:
        with pytest.raises(rollups.RefreshRunning):
            rollups.refresh([date(2026, 3, 8)], now=madrid(10, 12))
        # The periodic task leaves it to the running refresh; the command says so.
        assert refresh_daily_figures.delay().get() == 0
        with pytest.raises(CommandError, match="Another refresh is running"):
            call_command("refresh_dashboards", days=3, stdout=io.StringIO())
        assert not DailyFigures.objects.exists()
    finally:
        cache.delete(rollups.LOCK_KEY)

    assert refresh_daily_figures.delay().get() == 4  # three days ago to today
    assert cache.get(rollups.LOCK_KEY) is None  # released


@pytest.mark.django_db
def test_the_tasks_lock_frees_itself_when_the_task_would_have_been_killed(logistics, settings):
    """A refresh killed at its hard limit cannot free its lock: it must not block the next runs for an hour."""
    from django.core.cache import cache

    CaseFactory(department=logistics, created_at=timezone.now() - D)
    with mock.patch.object(cache, "add", wraps=cache.add) as add:
        refresh_daily_figures.delay().get()

    ((_key, _value, timeout),) = [
        call.args for call in add.call_args_list if call.args[0] == rollups.LOCK_KEY
    ]
    assert timeout == settings.CX_TASK_TIME_LIMITS["long"]["time_limit"] < rollups.LOCK_TIMEOUT


@pytest.mark.django_db
def test_a_case_at_the_last_instant_of_a_day_counts_on_that_day(logistics):
    # 400 microseconds before midnight: SQLite's julianday() rounds it onto midnight itself.
    CaseFactory(department=logistics, created_at=madrid(9, 0) - timedelta(microseconds=400))

    days = rollups.tally_days(date(2026, 3, 8), date(2026, 3, 8), now=madrid(10, 12))

    assert days[(logistics.pk, date(2026, 3, 8))].counts["received"] == 1


@pytest.mark.django_db
def test_reopening_an_old_case_takes_back_the_resolution_its_day_counted(logistics, laura):
    from feedback.services import case_change_status

    now = timezone.now()
    case = CaseFactory(
        department=logistics,
        status=Status.IN_PROGRESS,
        created_at=now - 20 * D,
        routed_at=now - 20 * D,
        first_response_at=now - 20 * D + H,
    )
    case = case_change_status(case=case, status=Status.RESOLVED, actor=laura, now=now - 15 * D)
    resolved_day = (now - 15 * D).astimezone(local_zone()).date()
    refresh_daily_figures.delay().get()
    assert DailyFigures.objects.get(department=logistics, day=resolved_day).counts["resolved"] == 1

    case_change_status(case=case, status=Status.IN_PROGRESS, actor=laura)  # the customer wrote back
    refresh_daily_figures.delay().get()

    assert "resolved" not in DailyFigures.objects.get(department=logistics, day=resolved_day).counts


@pytest.mark.django_db
def test_a_stored_day_is_read_from_its_rows_not_from_the_cases(logistics):
    now = madrid(10, 12)
    case = CaseFactory(department=logistics, created_at=madrid(8, 10))
    rollups.refresh([date(2026, 3, 8)], now=now)
    # Changed behind the roll-up's back (no refresh): the stored day still says what it saw.
    Case.objects.filter(pk=case.pk).update(created_at=madrid(9, 10))

    figures = compute(first_day=date(2026, 3, 8), last_day=date(2026, 3, 9), now=now)[logistics.pk]

    assert figures.daily == {date(2026, 3, 8): 1, date(2026, 3, 9): 1}


@pytest.mark.django_db
def test_the_periodic_task_stores_missing_days_and_the_days_of_changed_cases(logistics, settings):
    now = timezone.now()
    today = now.astimezone(local_zone()).date()
    old = CaseFactory(department=logistics, created_at=now - 10 * D, first_response_due_at=now - 9 * D)
    CaseFactory(department=logistics, created_at=now - 3 * D)

    written = refresh_daily_figures.delay().get()

    # Every day since the first case, once, today so far included.
    assert written == (today - (now - 10 * D).astimezone(local_zone()).date()).days + 1
    received_day = (now - 10 * D).astimezone(local_zone()).date()
    row = DailyFigures.objects.get(department=logistics, day=received_day)
    assert row.counts["received"] == 1
    assert "answered" not in row.counts

    # The old case is answered now: the day it was received is recomputed on the next run.
    old.first_response_at = now - 9.5 * D
    old.save()
    refresh_daily_figures.delay().get()

    row = DailyFigures.objects.get(department=logistics, day=received_day)
    assert row.counts["answered"] == 1
    assert row.counts["kept"] == 1
    assert RolledUpDay.objects.get(day=today).computed_at >= now


def test_the_figures_are_refreshed_often_and_the_last_weeks_again_every_night():
    schedule = django_settings.CELERY_BEAT_SCHEDULE

    often = schedule["refresh-daily-figures"]
    nightly = schedule["recompute-recent-daily-figures"]

    assert often["task"] == nightly["task"] == "dashboards.tasks.refresh_daily_figures"
    assert often["schedule"] <= timedelta(minutes=15)
    assert nightly["kwargs"] == {"recent": 35}
    assert django_settings.CELERY_TASK_ROUTES["dashboards.tasks.refresh_daily_figures"] == {
        "queue": "periodic"
    }


@pytest.mark.django_db
def test_today_so_far_stored_plus_what_happened_since_is_the_whole_day(logistics, laura):
    """The periodic task stores today at noon; at four the page adds what happened since."""
    from feedback.services import case_change_status

    def case(created: int, due: datetime, **fields) -> Case:
        fields.setdefault("status", Status.ROUTED)
        return CaseFactory(
            department=logistics,
            created_at=madrid(10, created),
            routed_at=madrid(10, created),
            first_response_due_at=due,
            resolution_due_at=madrid(12, 18),
            **fields,
        )

    # By noon: one answered in time, one waiting (due at 12:30), one late and never answered,
    # one resolved; one due tomorrow answered early.
    case(9, madrid(10, 11), first_response_at=madrid(10, 10), status=Status.IN_PROGRESS)
    waiting = case(10, madrid(10, 12) + H / 2)
    case(8, madrid(10, 10))
    resolved = case(8, madrid(10, 9), first_response_at=madrid(10, 8) + H / 2, status=Status.IN_PROGRESS)
    case_change_status(case=resolved, status=Status.RESOLVED, actor=laura, now=madrid(10, 11))
    case(11, madrid(11, 11), first_response_at=madrid(10, 11) + H / 2, status=Status.IN_PROGRESS)
    noon = madrid(10, 12)
    rollups.refresh([date(2026, 3, 10)], now=noon)

    # Afternoon: the waiting case is answered late, a new one comes and is answered in time.
    Case.objects.filter(pk=waiting.pk).update(first_response_at=madrid(10, 13), status=Status.IN_PROGRESS)
    case(14, madrid(10, 15), first_response_at=madrid(10, 14) + H / 2, status=Status.IN_PROGRESS)
    four = madrid(10, 16)
    today = date(2026, 3, 10)

    so_far = compute(first_day=today, last_day=today, now=four)[logistics.pk]
    RolledUpDay.objects.filter(day=today).delete()
    whole = compute(first_day=today, last_day=today, now=four)[logistics.pk]

    assert so_far.values == whole.values
    assert whole["received"] == 6
    # Promise kept: 4 of the 5 answered (the waiting one was late).
    assert whole["promise_kept"] == 80
    # Due by four: 10:00 (never answered), 11:00 (met), 12:30 (late), 09:00 (met), 15:00 (met).
    assert whole["first_response_sla"] == 60
